// A6 DNSBL/DNSWL lookup for one client address, the postscreen way: every zone
// queried in parallel (once, even when several sites filter its replies
// differently), each listing site adds its weight, the sum is the score. Answers are
// cached in the shared store for their DNS TTL (clamped to minTtl..maxTtl; a "not
// listed" answer, whose negative TTL the resolver does not expose, for minTtl), so
// every node of a cluster asks once. A timeout or SERVFAIL lists nothing and is not
// cached: it is reported as a failure the caller logs. A store failure only means
// the zones are asked again.

import ipaddr from 'ipaddr.js';
import type { DnsResolver } from '../dns/resolver.js';
import type { SharedStore } from '../state/store.js';
import { isErrorReply, replyMatches, type DnsblSite } from './sites.js';

export interface DnsblListing {
  zone: string;
  /** The site as configured that matched. */
  site: string;
  weight: number;
  /** The zone's A replies. */
  replies: string[];
}

export interface DnsblReport {
  /** Sum of the weights of the matching sites. */
  score: number;
  listed: DnsblListing[];
  /** Zones that could not be asked (temporary): no listing assumed. */
  failures: Array<{ zone: string; code: string }>;
  /** Replies that look like a list's error code or an invented answer (never listings). */
  oddReplies: Array<{ zone: string; reply: string }>;
  /** True when a site with a negative weight (an allow list) listed the client. */
  allowListed: boolean;
}

export interface DnsblOptions {
  dns: DnsResolver;
  store: SharedStore;
  /** Seconds; cache lifetime bounds. */
  minTtl: number;
  maxTtl: number;
}

/** The name to query: reversed IPv4 octets or IPv6 nibbles, then the zone (RFC 5782 2.1, 2.4). */
export function dnsblQueryName(ip: string, zone: string): string {
  const addr = ipaddr.process(ip); // IPv4-mapped IPv6 is the IPv4 client
  const bytes = addr.toByteArray();
  const labels = addr.kind() === 'ipv4' ? bytes.map(String) : bytes.flatMap((b) => [(b >> 4).toString(16), (b & 15).toString(16)]);
  return `${labels.reverse().join('.')}.${zone}`;
}

type Answer = { replies: string[] } | { failure: string };

const cacheKey = (zone: string, ip: string) => `dnsbl:${zone}:${ipaddr.process(ip).toString()}`;

async function ask(ip: string, zone: string, opts: DnsblOptions): Promise<Answer> {
  const r = await opts.dns.aWithTtl(dnsblQueryName(ip, zone));
  if (r.kind === 'error') return { failure: r.code };
  const replies = r.kind === 'ok' ? r.records.map((x) => x.address) : [];
  const ttl = r.kind === 'ok' ? Math.min(...r.records.map((x) => x.ttl)) : opts.minTtl;
  const seconds = Math.min(opts.maxTtl, Math.max(opts.minTtl, ttl));
  // A store that cannot keep the answer costs a lookup next time, nothing more.
  await opts.store.set(cacheKey(zone, ip), JSON.stringify(replies), seconds * 1000).catch(() => {});
  return { replies };
}

/** Looks the client up in every site's zone and sums the weights. */
export async function lookupDnsbl(ip: string, sites: readonly DnsblSite[], opts: DnsblOptions): Promise<DnsblReport> {
  const report: DnsblReport = { score: 0, listed: [], failures: [], oddReplies: [], allowListed: false };
  const zones = [...new Set(sites.map((s) => s.zone))];
  if (!zones.length) return report;
  // Without the store (outage) every zone is asked: the cache saves queries, it decides nothing.
  const cached = await opts.store.mget(zones.map((z) => cacheKey(z, ip))).catch(() => zones.map(() => undefined));
  const answers = await Promise.all(zones.map((z, i) => (cached[i] !== undefined ? { replies: JSON.parse(cached[i]!) as string[] } : ask(ip, z, opts))));
  const byZone = new Map(zones.map((z, i) => [z, answers[i]]));
  for (const [zone, a] of byZone) {
    if ('failure' in a) report.failures.push({ zone, code: a.failure });
    else for (const reply of a.replies) if (isErrorReply(reply) && !sites.some((s) => s.zone === zone && s.filter && replyMatches(s, reply))) report.oddReplies.push({ zone, reply });
  }
  for (const site of sites) {
    const a = byZone.get(site.zone)!;
    if ('failure' in a) continue;
    const replies = a.replies.filter((r) => replyMatches(site, r));
    if (!replies.length) continue;
    report.score += site.weight;
    report.listed.push({ zone: site.zone, site: site.text, weight: site.weight, replies });
    if (site.weight < 0) report.allowListed = true;
  }
  return report;
}
