// A sliding-window counter written once over the SharedStore (C1), so it runs on
// the embedded store or Redis alike: the window is cut into buckets (default 60
// buckets of one minute for one hour); each bucket is a counter with an expiry,
// and the window total is the sum of the live buckets. Precision is one bucket:
// an hourly window counts what happened in the current minute and the 59 before.
//
// take() is "add, then check": it increments first and gives the amount back if
// the total went past the limit, so concurrent sessions (or nodes) cannot both
// slip under the limit; at worst two racing takes are both refused.

import type { SharedStore } from './store.js';

export interface RateWindowOptions {
  /** Key prefix naming the window, e.g. "rcpt-hour". */
  name: string;
  windowMs?: number;
  buckets?: number;
  now?: () => number;
}

export interface TakeResult {
  ok: boolean;
  /** The window total after the take (unchanged when refused). */
  total: number;
}

export class RateWindow {
  readonly windowMs: number;
  readonly bucketMs: number;
  private readonly buckets: number;
  private readonly now: () => number;

  constructor(private readonly store: SharedStore, private readonly opts: RateWindowOptions) {
    this.windowMs = opts.windowMs ?? 3_600_000;
    this.buckets = opts.buckets ?? 60;
    if (!Number.isInteger(this.buckets) || this.buckets < 1) throw new Error('rate window: buckets must be a positive integer');
    this.bucketMs = this.windowMs / this.buckets;
    this.now = opts.now ?? Date.now;
  }

  private current(): number {
    return Math.floor(this.now() / this.bucketMs);
  }

  private keyOf(key: string, bucket: number): string {
    return `rate:${this.opts.name}:${key}:${bucket}`;
  }

  /** Keys of the window's buckets except the current one. */
  private older(key: string, cur: number): string[] {
    return Array.from({ length: this.buckets - 1 }, (_, i) => this.keyOf(key, cur - 1 - i));
  }

  private ttl(): number {
    return this.windowMs + this.bucketMs; // a bucket lives as long as some window can still see it
  }

  /** The count over the window. */
  async total(key: string): Promise<number> {
    const cur = this.current();
    const values = await this.store.mget([this.keyOf(key, cur), ...this.older(key, cur)]);
    return values.reduce((sum, v) => sum + (v ? Number(v) : 0), 0);
  }

  /** Adds `n` to the current bucket; returns the window total. */
  async add(key: string, n = 1): Promise<number> {
    const cur = this.current();
    const [mine, rest] = await Promise.all([this.store.incr(this.keyOf(key, cur), n, this.ttl()), this.store.mget(this.older(key, cur))]);
    return mine + rest.reduce((sum, v) => sum + (v ? Number(v) : 0), 0);
  }

  /** Adds `n` unless that takes the window total past `limit`. */
  async take(key: string, n: number, limit: number): Promise<TakeResult> {
    const cur = this.current();
    const bucket = this.keyOf(key, cur);
    const [mine, rest] = await Promise.all([this.store.incr(bucket, n, this.ttl()), this.store.mget(this.older(key, cur))]);
    const total = mine + rest.reduce((sum, v) => sum + (v ? Number(v) : 0), 0);
    if (total <= limit) return { ok: true, total };
    await this.store.incr(bucket, -n, this.ttl());
    return { ok: false, total: total - n };
  }
}
