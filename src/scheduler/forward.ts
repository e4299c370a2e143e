// Q1 forwarding: alias targets outside our domains get a NEW queued message,
// like Postfix local(8): same envelope sender, same body, one recipient per
// target, each carrying the NOTIFY and ORCPT of the recipient it came from
// (ORCPT defaults to that recipient, RFC 3461 6.2.7.4). A "Delivered-To: <alias>"
// field goes on top; a message that already carries the alias's Delivered-To has
// been here before and fails with 5.4.6 (forwarding loop) instead.

import type { Readable } from 'node:stream';
import type { Logger } from '../log/logger.js';
import { INTERNAL, type SpoolEnvelope, type Submitter } from '../core/submission.js';
import { xtextEncode } from '../bounce/dsn-fields.js';
import type { ForwardLeg } from './legs.js';

const MAX_HEAD = 256 * 1024;

export interface ForwardSource {
  id: string;
  envelope: SpoolEnvelope;
  open(): Readable;
}

export interface ForwardResult {
  /** Queue id of the new message (absent when every leg was a loop). */
  newId?: string;
  forwarded: ForwardLeg[];
  loops: ForwardLeg[];
}

/** The Delivered-To values of the message's header section, lower case. */
async function deliveredTo(open: () => Readable): Promise<Set<string>> {
  const chunks: Buffer[] = [];
  let got = 0;
  const s = open();
  try {
    for await (const c of s as AsyncIterable<Buffer>) {
      chunks.push(c);
      got += c.length;
      if (got > MAX_HEAD || c.includes('\r\n\r\n')) break;
    }
  } finally {
    s.destroy();
  }
  const all = Buffer.concat(chunks).toString('latin1');
  const end = all.indexOf('\r\n\r\n');
  const head = end >= 0 ? all.slice(0, end) : all;
  const out = new Set<string>();
  for (const m of head.matchAll(/^Delivered-To:[ \t]*(.*(?:\r\n[ \t].*)*)$/gim)) out.add(m[1].replace(/\r\n[ \t]+/g, ' ').trim().toLowerCase());
  return out;
}

/** NOTIFY for a target of a recipient that expanded to several addresses: SUCCESS is answered here ("expanded"). */
function notifyForTarget(leg: ForwardLeg): string[] | undefined {
  if (leg.sole || !leg.notify?.includes('SUCCESS')) return leg.notify;
  const rest = leg.notify.filter((n) => n !== 'SUCCESS');
  return rest.length ? rest : ['NEVER'];
}

export async function forwardLegs(deps: { submitter: Submitter; log: Logger; now: () => number }, src: ForwardSource, legs: ForwardLeg[]): Promise<ForwardResult> {
  const seen = await deliveredTo(src.open);
  const loops = legs.filter((l) => seen.has(l.rcptAddress.toLowerCase()));
  const forwarded = legs.filter((l) => !loops.includes(l));
  if (!forwarded.length) return { forwarded, loops };
  const rcpts: SpoolEnvelope['rcpts'] = [];
  const addresses = new Set<string>();
  for (const l of forwarded) {
    if (addresses.has(l.address)) continue;
    addresses.add(l.address);
    rcpts.push({ address: l.address, notify: notifyForTarget(l), orcpt: l.orcpt ?? `rfc822;${xtextEncode(l.rcptAddress)}` });
  }
  const aliases = [...new Set(forwarded.map((l) => l.rcptAddress.toLowerCase()))];
  const head = Buffer.from(aliases.map((a) => `Delivered-To: ${a}\r\n`).join(''), 'utf8');
  const env = src.envelope;
  const envelope: SpoolEnvelope = {
    mailFrom: env.mailFrom,
    rcpts,
    params: { body: env.params.body, smtputf8: env.params.smtputf8, ret: env.params.ret, envid: env.params.envid },
    client: { ip: env.client.ip, listener: INTERNAL.forward, authUser: env.client.authUser },
    sessionId: `forward:${src.id}`,
    receivedAt: deps.now(),
  };
  const sink = await deps.submitter.begin(envelope);
  try {
    await sink.write(head);
    for await (const c of src.open() as AsyncIterable<Buffer>) await sink.write(c);
    await sink.commit();
  } catch (e) {
    await sink.abort().catch(() => {});
    throw e;
  }
  deps.log.info({ event: 'forwarded', queueId: src.id, newId: sink.id, aliases, to: [...addresses] }, 'alias targets outside our domains forwarded as a new message');
  return { newId: sink.id, forwarded, loops };
}
