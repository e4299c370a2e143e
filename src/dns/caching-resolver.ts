// The resolver everything asks through (main.ts): MX, A, AAAA and TXT answers come
// from the answer cache (answer-cache.ts) while their TTL lasts, or from one question
// on the wire; the same question asked again while the first is out shares its
// answer. PTR and CNAME questions pass through uncached.

import { DnsAnswerCache, type DnsCacheSettings } from './answer-cache.js';
import type { DnsResolver, Lookup } from './resolver.js';
import type { Mx, TtlLookup, TtlResolver } from './ttl-lookup.js';

export interface CachingResolver extends DnsResolver {
  readonly cache: DnsAnswerCache;
}

export function cachingResolver(inner: DnsResolver & TtlResolver, settings: () => DnsCacheSettings, now: () => number): CachingResolver {
  const cache = new DnsAnswerCache(settings, now);
  const inFlight = new Map<string, Promise<Lookup<unknown>>>();

  /** Every caller gets its own records array: one that sorts or changes them must not change the cache. */
  function ask<T>(type: string, name: string, fetch: () => Promise<TtlLookup<T>>): Promise<Lookup<T>> {
    return shared(type, name, fetch).then(copy) as Promise<Lookup<T>>;
  }

  function shared<T>(type: string, name: string, fetch: () => Promise<TtlLookup<T>>): Promise<Lookup<unknown>> {
    if (settings().maxEntries <= 0) return fetch().then(strip);
    const key = `${type} ${name.toLowerCase().replace(/\.$/, '')}`;
    const hit = cache.get(key);
    if (hit) return Promise.resolve(hit);
    const pending = inFlight.get(key);
    if (pending) return pending;
    const p = fetch().then(
      (answer) => {
        inFlight.delete(key);
        cache.put(key, answer);
        return strip(answer);
      },
      (e: unknown) => {
        inFlight.delete(key);
        throw e;
      },
    );
    inFlight.set(key, p);
    return p;
  }

  const txtChunks = (n: string) => ask('TXT', n, () => inner.txtTtl(n));
  const a = (n: string) => ask('A', n, () => inner.aTtl(n));
  return {
    cache,
    a,
    aaaa: (n) => ask('AAAA', n, () => inner.aaaaTtl(n)),
    mx: (n) => ask<Mx>('MX', n, () => inner.mxTtl(n)),
    txtChunks,
    txt: async (n) => {
      const r = await txtChunks(n);
      return r.kind === 'ok' ? { kind: 'ok', records: r.records.map((chunks) => chunks.join('')) } : r;
    },
    ptr: (ip) => inner.ptr(ip),
    cname: (n) => inner.cname(n),
    aWithTtl: (n) => inner.aWithTtl(n), // DNSBL answers: kept in the shared store with their TTL (dnsbl/lookup.ts)
  };
}

function copy(answer: Lookup<unknown>): Lookup<unknown> {
  return answer.kind === 'ok' ? { kind: 'ok', records: [...answer.records] } : answer;
}

function strip(answer: TtlLookup<unknown>): Lookup<unknown> {
  if (answer.ttl === undefined) return answer;
  const { ttl: _ttl, ...plain } = answer;
  return plain as Lookup<unknown>;
}
