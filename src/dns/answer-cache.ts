// DNS answers kept for as long as their TTL allows, shared by everything that asks
// (sender authentication's TXT questions, delivery's MX, A and AAAA questions): Node's
// resolver keeps no cache, and a busy MX asks about the same few domains all day.
// The TTL is clamped to [minTtl, maxTtl]; a negative answer ("no such name", "no such
// record") is kept for its RFC 2308 negative TTL, at most negativeMaxTtl, and only
// when the server sent the SOA that gives it. Failures are never kept. At most
// maxEntries answers are held; the least recently used goes first.

import type { Lookup } from './resolver.js';
import type { TtlLookup } from './ttl-lookup.js';

export interface DnsCacheSettings {
  /** Answers held at most; 0 = no cache. */
  maxEntries: number;
  /** Seconds: a shorter TTL is raised to this. */
  minTtl: number;
  /** Seconds: a longer TTL is cut to this. */
  maxTtl: number;
  /** Seconds: the longest time a negative answer is kept. */
  negativeMaxTtl: number;
}

interface Entry {
  answer: Lookup<unknown>;
  expires: number;
}

export class DnsAnswerCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly settings: () => DnsCacheSettings,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The kept answer to `key`, if it has not expired. */
  get(key: string): Lookup<unknown> | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (e.expires <= this.now()) return undefined;
    this.entries.set(key, e); // most recently used last
    return e.answer;
  }

  /** Keeps `answer` for its TTL (clamped), when it may be kept at all. */
  put(key: string, answer: TtlLookup<unknown>): void {
    const s = this.settings();
    const seconds = keepSeconds(answer, s);
    if (!seconds || s.maxEntries <= 0) return;
    this.entries.delete(key);
    while (this.entries.size >= s.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    const { ttl: _ttl, ...plain } = answer;
    this.entries.set(key, { answer: plain as Lookup<unknown>, expires: this.now() + seconds * 1000 });
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Seconds `answer` may be kept (0: not at all). */
export function keepSeconds(answer: TtlLookup<unknown>, s: DnsCacheSettings): number {
  if (answer.kind === 'error' || answer.ttl === undefined) return 0;
  if (answer.kind === 'ok') return Math.min(Math.max(answer.ttl, s.minTtl), s.maxTtl);
  return Math.min(answer.ttl, s.negativeMaxTtl, s.maxTtl);
}
