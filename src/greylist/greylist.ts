// A9 greylisting (off by default), postgrey's model: the triplet (client network,
// sender, recipient) seen for the first time gets 451 4.7.1; a retry after `delay`
// and within `retryWindow` of the first attempt passes, and the triplet is then
// remembered for `passTtl` (refreshed on every pass). A client network whose
// triplets passed `autoAllowAfter` times is not greylisted any more (until its
// record expires). Clients in the LAN, authenticated ones and clients on a DNS
// allow list (DNSWL) are never greylisted. All state is in the shared store, with
// timestamps in the values so the decision does not depend on the store's clock.
// The network is the client's /24 (IPv4) or /64 (IPv6): senders retry from
// another address of the same pool.

import ipaddr from 'ipaddr.js';
import { tempfail, type Verdict } from '../core/decision.js';
import type { SharedStore } from '../state/store.js';

export const GREYLIST_CHECK = 'rcpt.greylist';
export const GREYLIST_FEATURE = 'A9';

export interface GreylistSettings {
  delayMs: number;
  retryWindowMs: number;
  passTtlMs: number;
  /** Passes after which the client network is no longer greylisted; 0 = never. */
  autoAllowAfter: number;
}

export interface GreylistRequest {
  ip: string;
  /** MAIL FROM address ('' for the null sender). */
  sender: string;
  recipient: string;
  now: number;
  /** Exempt: relay.lanNetworks. */
  lan?: boolean;
  /** Exempt: authenticated. */
  authenticated?: boolean;
  /** Exempt: listed by a DNSBL site with a negative weight (A6). */
  dnswlListed?: boolean;
}

/** "192.0.2.0/24" or "2001:db8:1:2::/64" for the client address. */
export function clientNetwork(ip: string): string {
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') {
    const b = addr.toByteArray();
    return `${b[0]}.${b[1]}.${b[2]}.0/24`;
  }
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}

/**
 * The sender as postgrey compares it: lower case, without +extension, digit runs in
 * the local part as "#" (VERP and per-message bounce addresses), BATV prvs= tags and
 * SRS rewriting reduced to the forwarder.
 */
export function normalizeSender(sender: string): string {
  const s = sender.toLowerCase();
  const at = s.lastIndexOf('@');
  if (at < 0) return s || '<>';
  let local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (/^srs[01][=+-]/.test(local)) return `#srs@${domain}`;
  local = local.replace(/^(?:prvs|btv1|msprvs1)=[^=]*=/, '');
  local = local.replace(/\+.*$/, '').replace(/\d+/g, '#');
  return `${local}@${domain}`;
}

interface Triplet {
  /** First attempt (ms). */
  first: number;
  /** Set once it passed. */
  passed?: true;
}

const tripletKey = (net: string, sender: string, rcpt: string) => `greylist:t:${net}:${normalizeSender(sender)}:${rcpt.toLowerCase()}`;
const clientKey = (net: string) => `greylist:c:${net}`;

function greylisted(req: GreylistRequest, net: string, waitMs: number): Verdict {
  return tempfail(GREYLIST_CHECK, 451, '4.7.1', 'Greylisted, please try again later', `greylisted ${net} <${req.sender}> -> <${req.recipient}>, retry in ${Math.ceil(waitMs / 1000)} s`, GREYLIST_FEATURE);
}

/** undefined = pass; a 451 4.7.1 decision = try again later. */
export async function greylist(req: GreylistRequest, store: SharedStore, s: GreylistSettings): Promise<Verdict> {
  if (req.lan || req.authenticated || req.dnswlListed) return undefined;
  const net = clientNetwork(req.ip);
  if (s.autoAllowAfter > 0) {
    const passes = Number((await store.get(clientKey(net))) ?? 0);
    if (passes >= s.autoAllowAfter) return undefined;
  }
  const key = tripletKey(net, req.sender, req.recipient);
  const raw = await store.get(key);
  const t: Triplet | undefined = raw ? (JSON.parse(raw) as Triplet) : undefined;
  if (t?.passed) {
    await store.set(key, raw!, s.passTtlMs); // still in use: keep it
    return undefined;
  }
  if (!t || req.now - t.first > s.retryWindowMs) {
    // First sight (or a retry too late to count): start again.
    await store.set(key, JSON.stringify({ first: req.now } satisfies Triplet), s.delayMs + s.retryWindowMs);
    return greylisted(req, net, s.delayMs);
  }
  const waited = req.now - t.first;
  if (waited < s.delayMs) return greylisted(req, net, s.delayMs - waited);
  await store.set(key, JSON.stringify({ first: t.first, passed: true } satisfies Triplet), s.passTtlMs);
  if (s.autoAllowAfter > 0) await store.incr(clientKey(net), 1, s.passTtlMs);
  return undefined;
}
