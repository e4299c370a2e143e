// Answers with the time they may be kept: the smallest TTL of the answer's records
// (the CNAME records leading to them included), and for "no such name" or "no such
// record" the negative TTL of RFC 2308 section 5, min(SOA TTL, SOA MINIMUM), when the
// server sent the zone's SOA; without one a negative answer carries no TTL (RFC 2308
// says not to cache it). Failures carry none either.

import type { Lookup, ResolverOptions } from './lookup.js';
import { wireQuery, WireError, type WireType } from './wire-query.js';

export type TtlLookup<T> = Lookup<T> & { ttl?: number };

export type Mx = { exchange: string; priority: number };

/** The questions whose answers the DNS answer cache keeps (src/dns/caching-resolver.ts). */
export interface TtlResolver {
  aTtl(name: string): Promise<TtlLookup<string>>;
  aaaaTtl(name: string): Promise<TtlLookup<string>>;
  mxTtl(name: string): Promise<TtlLookup<Mx>>;
  /** Each record as its character-strings. */
  txtTtl(name: string): Promise<TtlLookup<string[]>>;
}

type Rr = { type: string; ttl?: number; data?: unknown };

function record(type: WireType, rr: Rr): unknown {
  switch (type) {
    case 'MX': {
      const d = rr.data as { preference?: number; exchange: string };
      return { exchange: d.exchange.replace(/\.$/, ''), priority: d.preference ?? 0 };
    }
    case 'TXT':
      return ([] as Array<Buffer | string>).concat(rr.data as Buffer[]).map((c) => (Buffer.isBuffer(c) ? c.toString('latin1') : c));
    default:
      return rr.data;
  }
}

export async function lookupWithTtl(name: string, type: WireType, opts: ResolverOptions): Promise<TtlLookup<unknown>> {
  let reply;
  try {
    reply = await wireQuery(name, type, opts);
  } catch (e) {
    return { kind: 'error', code: e instanceof WireError ? e.code : 'EUNKNOWN' };
  }
  const answers = reply.answers as Rr[];
  const records = answers.filter((rr) => rr.type === type);
  if (reply.rcode === 'NOERROR' && records.length) {
    const ttl = Math.min(...answers.filter((rr) => rr.type === type || rr.type === 'CNAME').map((rr) => rr.ttl ?? 0));
    return { kind: 'ok', records: records.map((rr) => record(type, rr)), ttl };
  }
  const soa = (reply.authorities as Rr[]).find((rr) => rr.type === 'SOA');
  const negative: TtlLookup<unknown> = reply.rcode === 'NXDOMAIN' ? { kind: 'nxdomain' } : { kind: 'none' };
  if (soa) negative.ttl = Math.min(soa.ttl ?? 0, (soa.data as { minimum?: number } | undefined)?.minimum ?? 0);
  return negative;
}
