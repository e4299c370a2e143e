// From envelope recipients to "legs": what the scheduler delivers, records and
// reports on. A recipient in one of our domains is expanded through the
// directory (aliases, catchalls) first, like Postfix's virtual alias expansion:
// each local mailbox it reaches is a leg routed by its own domain (channel
// `local`, Maildir, unless a route says otherwise), each address outside our
// domains is a forward leg (a new queued message), and a name that resolves to
// nothing is a failed leg (5.1.1: the mailbox was removed after acceptance). A
// recipient elsewhere is one leg on the channel its domain routes to.

import type { Channel } from '../config/channels-schema.js';
import type { Snapshot } from '../config/load.js';
import type { Directory } from '../directory/store.js';
import type { SpoolEnvelope } from '../core/submission.js';
import { legKey } from '../spool/journal-records.js';
import { routeDomain } from './routes.js';
import { destinationOf } from '../delivery/destination.js';

interface LegBase {
  /** Index of the envelope recipient. */
  rcpt: number;
  /** The envelope recipient as received. */
  rcptAddress: string;
  /** The final address of this leg. */
  address: string;
  key: string;
  notify?: string[];
  orcpt?: string;
}

/** Delivered by the transport of `channel` to `destination` (legs with equal keys travel together). */
export interface DeliverLeg extends LegBase {
  kind: 'deliver';
  channel: Channel;
  destination: string;
}

/** An alias target outside our domains: forwarded as a new queued message. */
export interface ForwardLeg extends LegBase {
  kind: 'forward';
  /** The recipient expanded to this one address and nothing else (its NOTIFY passes on intact). */
  sole: boolean;
}

/** Known to fail or wait before any delivery: an unknown local name, a route to a missing channel. */
export interface SettledLeg extends LegBase {
  kind: 'fail' | 'defer';
  channel: string;
  status: string;
  diag: string;
}

export type Leg = DeliverLeg | ForwardLeg | SettledLeg;

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

export interface LegContext {
  config: Pick<Snapshot, 'channels' | 'routes' | 'relay'>;
  directory: Pick<Directory, 'isLocalDomain' | 'expandRecipient'>;
}

function routed(base: LegBase, ctx: LegContext): DeliverLeg | SettledLeg {
  const name = routeDomain(domainOf(base.address), ctx.config, (d) => ctx.directory.isLocalDomain(d));
  const channel = ctx.config.channels[name];
  if (!channel) return { ...base, kind: 'defer', channel: name, status: '4.3.5', diag: `route names unknown channel "${name}"` };
  return { ...base, kind: 'deliver', channel, destination: destinationOf(channel, base.address) };
}

/** The legs of every recipient of `env`, in recipient order. */
export function legsOf(env: SpoolEnvelope, ctx: LegContext): Leg[] {
  const legs: Leg[] = [];
  env.rcpts.forEach((r, rcpt) => {
    const base = (address: string): LegBase => ({ rcpt, rcptAddress: r.address, address, key: legKey(rcpt, address), notify: r.notify, orcpt: r.orcpt });
    if (!ctx.directory.isLocalDomain(domainOf(r.address))) {
      legs.push(routed(base(r.address), ctx));
      return;
    }
    const exp = ctx.directory.expandRecipient(r.address, { catchalls: !ctx.config.relay.disableAllCatchalls });
    for (const m of exp.mailboxes) legs.push(routed(base(m), ctx));
    const sole = exp.external.length === 1 && exp.mailboxes.length === 0 && exp.unresolved.length === 0;
    for (const x of exp.external) legs.push({ ...base(x), kind: 'forward', sole });
    for (const u of exp.unresolved) {
      legs.push({ ...base(u), kind: 'fail', channel: 'local', status: '5.1.1', diag: u === r.address.toLowerCase() ? `no such local mailbox: ${u}` : `alias target ${u} is not a local mailbox or alias` });
    }
    if (!exp.mailboxes.length && !exp.external.length && !exp.unresolved.length) {
      legs.push({ ...base(r.address.toLowerCase()), kind: 'fail', channel: 'local', status: '5.1.1', diag: `no such local mailbox: ${r.address}` });
    }
  });
  return legs;
}
