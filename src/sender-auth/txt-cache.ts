// SPF, DKIM key and DMARC records (DNS TXT) kept in memory for a short time, shared
// by all sessions: a busy MX asks about the same few sender domains all day, and
// Node's resolver keeps no cache (each question costs a new UDP socket). Node does not
// report the TTL of TXT answers, so an answer is kept for senderAuth.txtCacheMs (a
// record changed at its source is seen within that time), never longer, and the
// cache holds at most MAX_ENTRIES names. Answers and "no such record" are kept;
// failures (timeouts, SERVFAIL) never are. Every other question passes through.

import type { DnsResolver, Lookup } from '../dns/resolver.js';

export const MAX_ENTRIES = 10_000;

interface Entry {
  at: number;
  answer: Promise<Lookup<string[]>>;
}

class TxtCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly dns: DnsResolver) {}

  chunks(name: string, ttlMs: number, now: number): Promise<Lookup<string[]>> {
    const key = name.toLowerCase();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < ttlMs) return hit.answer;
    if (hit) this.entries.delete(key);
    const answer = this.dns.txtChunks(name);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string); // oldest first
    const entry = { at: now, answer };
    this.entries.set(key, entry);
    // A failure is not kept: the next question asks again (a question in flight is shared).
    void answer.then(
      (r) => r.kind === 'error' && this.entries.get(key) === entry && this.entries.delete(key),
      () => this.entries.get(key) === entry && this.entries.delete(key),
    );
    return answer;
  }
}

const caches = new WeakMap<DnsResolver, { cache: TxtCache; views: Map<number, DnsResolver> }>();

/** `dns` with TXT answers cached for `ttlMs` (0: no cache); the cache belongs to the resolver. */
export function withTxtCache(dns: DnsResolver, ttlMs: number): DnsResolver {
  if (ttlMs <= 0) return dns;
  let held = caches.get(dns);
  if (!held) caches.set(dns, (held = { cache: new TxtCache(dns), views: new Map() }));
  let view = held.views.get(ttlMs);
  if (!view) held.views.set(ttlMs, (view = cachedView(dns, held.cache, ttlMs)));
  return view;
}

function cachedView(dns: DnsResolver, c: TxtCache, ttlMs: number): DnsResolver {
  const now = Date.now; // real time: how old an answer is, whatever clock the policy uses
  return {
    mx: (n) => dns.mx(n),
    a: (n) => dns.a(n),
    aaaa: (n) => dns.aaaa(n),
    ptr: (ip) => dns.ptr(ip),
    cname: (n) => dns.cname(n),
    aWithTtl: (n) => dns.aWithTtl(n),
    txtChunks: (n) => c.chunks(n, ttlMs, now()),
    txt: async (n) => {
      const r = await c.chunks(n, ttlMs, now());
      return r.kind === 'ok' ? { kind: 'ok', records: r.records.map((chunks) => chunks.join('')) } : r;
    },
  };
}
