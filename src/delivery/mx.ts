// Where to connect for a destination (RFC 5321 5.1): the MX hosts by
// preference (equal ones shuffled), the domain itself when it has no MX
// (implicit MX), nothing for a null MX (RFC 7505); each host's IPv6 and IPv4
// addresses. An MX host that is an alias (CNAME), "localhost", or one of our own
// listeners is refused as a mail loop; a relay host problem is always temporary.

import { isIP } from 'node:net';
import type { DnsResolver, Lookup } from '../dns/resolver.js';
import { isOwnEndpoint, type Endpoint } from './own-endpoints.js';

export interface Host {
  name: string;
  addresses: string[];
}

export type Route =
  | { kind: 'hosts'; hosts: Host[]; port: number }
  | { kind: 'unix'; path: string }
  | { kind: 'fail'; status: string; diagnostic: string };

/** What to resolve: a recipient domain (MX) or the channel's relay host. */
export interface RouteRequest {
  name: string;
  /** Look up MX records (false for "[host]", an address, and LMTP). */
  mx: boolean;
  port: number;
  /** A relay host from our configuration: its problems defer mail instead of bouncing it. */
  relay: boolean;
}

/** Most addresses tried for one delivery (Postfix smtp_mx_address_limit is 5). */
export const MAX_ADDRESSES = 10;

export function shuffleEqualPreferences<T extends { priority: number }>(records: readonly T[], random: () => number = Math.random): T[] {
  const keyed = records.map((r) => ({ r, k: random() }));
  keyed.sort((a, b) => a.r.priority - b.r.priority || a.k - b.k);
  return keyed.map((x) => x.r);
}

export function isLocalhostName(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === 'localhost' || n.endsWith('.localhost'); // RFC 6761 6.3
}

interface Candidate {
  name: string;
  priority: number;
  /** Named by an MX record (an alias is refused only there). */
  fromMx: boolean;
}

export async function resolveRoute(dns: DnsResolver, req: RouteRequest, own: readonly Endpoint[], random: () => number = Math.random): Promise<Route> {
  const temp = (d: string): Route => ({ kind: 'fail', status: '4.4.3', diagnostic: d });
  // Postfix too: a relay host that does not resolve, or loops, is "relayhost configuration problem" 4.3.5.
  const perm = (status: string, d: string): Route => (req.relay ? { kind: 'fail', status: '4.3.5', diagnostic: `relay host: ${d}` } : { kind: 'fail', status, diagnostic: d });
  const literal = req.name.replace(/^\[(?:ipv6:)?(.*)\]$/i, '$1');
  if (isIP(literal)) return hostsOrLoop([{ name: literal, addresses: [literal] }], [{ name: literal, priority: 0, fromMx: false }], req, own, perm);

  let candidates: Candidate[];
  if (req.mx) {
    const mx = await dns.mx(req.name);
    if (mx.kind === 'nxdomain') return perm('5.1.2', `domain ${req.name} does not exist (NXDOMAIN)`);
    if (mx.kind === 'error') return temp(`DNS lookup of the MX records of ${req.name} failed: ${mx.code}`);
    if (mx.kind === 'none') candidates = [{ name: req.name, priority: 0, fromMx: false }];
    else {
      const real = mx.records.filter((r) => r.exchange !== '' && r.exchange !== '.');
      if (!real.length) return perm('5.1.10', `domain ${req.name} accepts no mail (null MX, RFC 7505)`);
      candidates = shuffleEqualPreferences(real, random).map((r) => ({ name: r.exchange.toLowerCase().replace(/\.$/, ''), priority: r.priority, fromMx: true }));
    }
  } else candidates = [{ name: req.name, priority: 0, fromMx: false }];

  const looked = await Promise.all(candidates.map((c) => lookupHost(dns, c)));
  const hosts: Host[] = [];
  const usable: Candidate[] = [];
  const problems: Problem[] = [];
  for (const [i, l] of looked.entries()) {
    if ('problem' in l) problems.push({ ...l.problem, priority: candidates[i].priority });
    else {
      hosts.push(l.host);
      usable.push(candidates[i]);
    }
  }
  if (hosts.length) return hostsOrLoop(hosts, usable, req, own, perm, problems);
  const loop = problems.find((p) => p.kind === 'loop');
  if (loop) return perm('5.4.6', loop.text);
  const dnsError = problems.find((p) => p.kind === 'dns');
  if (dnsError) return temp(dnsError.text);
  return perm('5.4.4', problems.map((p) => p.text).join('; '));
}

interface Problem {
  kind: 'loop' | 'dns' | 'none';
  text: string;
  priority: number;
}

async function lookupHost(dns: DnsResolver, c: Candidate): Promise<{ host: Host } | { problem: Omit<Problem, 'priority'> }> {
  if (isLocalhostName(c.name)) return { problem: { kind: 'loop', text: `MX host ${c.name} is localhost: mail loops back to myself` } };
  const [cname, aaaa, a] = await Promise.all([c.fromMx ? dns.cname(c.name) : Promise.resolve({ kind: 'none' } as Lookup<string>), dns.aaaa(c.name), dns.a(c.name)]);
  // RFC 5321 5.1: an MX must name a host, not an alias.
  if (cname.kind === 'ok') return { problem: { kind: 'loop', text: `MX host ${c.name} is an alias (CNAME ${cname.records[0]}), refused as a possible mail loop (RFC 5321 5.1)` } };
  const addresses = [...(aaaa.kind === 'ok' ? aaaa.records : []), ...(a.kind === 'ok' ? a.records : [])];
  if (addresses.length) return { host: { name: c.name, addresses } };
  const err = [aaaa, a, cname].find((l) => l.kind === 'error') as { code: string } | undefined;
  if (err) return { problem: { kind: 'dns', text: `DNS lookup of the addresses of ${c.name} failed: ${err.code}` } };
  return { problem: { kind: 'none', text: `host ${c.name} has no address (no A or AAAA record)` } };
}

/**
 * RFC 5321 5.1: a host that is one of our own listeners, and every host of the same or lower
 * preference, are dropped; if we are the best MX, mail for the domain loops back to us.
 */
function hostsOrLoop(
  hosts: Host[],
  candidates: Candidate[],
  req: RouteRequest,
  own: readonly Endpoint[],
  perm: (s: string, d: string) => Route,
  problems: Problem[] = [],
): Route {
  const mine = hosts.findIndex((h) => h.addresses.some((a) => isOwnEndpoint(a, req.port, own)));
  if (mine < 0) return { kind: 'hosts', hosts, port: req.port };
  const cut = candidates[mine].priority;
  const kept = hosts.filter((_, i) => candidates[i].priority < cut);
  if (kept.length) return { kind: 'hosts', hosts: kept, port: req.port };
  // Postfix smtp_addr.c: better MX hosts exist but did not resolve: retry, it is not a loop yet.
  const better = problems.find((p) => p.kind === 'dns' && p.priority < cut);
  if (better) return { kind: 'fail', status: '4.4.3', diagnostic: `unable to find the primary relay for ${req.name}: ${better.text}` };
  const h = hosts[mine];
  const extra = problems.length ? ` (other hosts: ${problems.map((p) => p.text).join('; ')})` : '';
  return perm('5.4.6', `mail for ${req.name} loops back to myself: ${h.name} [${h.addresses.find((a) => isOwnEndpoint(a, req.port, own))}]:${req.port} is one of our listeners${extra}`);
}
