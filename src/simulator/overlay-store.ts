// The policy simulator's view of the shared store: reads come from the real store
// (the running server's counters, greylist triplets, pregreet passes, deny lists),
// writes stay in this object's memory, so `rampart check` changes nothing another
// session sees (unless --record, which uses the real store). Expiry is honoured for
// what is written here; what is read through keeps the real store's own.

import type { SharedStore } from '../state/store.js';

interface Local {
  value: string;
  expiresAt: number;
}

export class OverlayStore implements SharedStore {
  private readonly values = new Map<string, Local>();
  private readonly deleted = new Set<string>();
  private readonly maps = new Map<string, Map<string, Local | null>>();

  constructor(
    private readonly inner: SharedStore,
    private readonly now: () => number = Date.now,
  ) {}

  private live(l: Local | undefined): string | undefined {
    return l && l.expiresAt > this.now() ? l.value : undefined;
  }

  private expiry(ttlMs?: number): number {
    return ttlMs === undefined || ttlMs <= 0 ? Infinity : this.now() + ttlMs;
  }

  async get(key: string): Promise<string | undefined> {
    if (this.deleted.has(key)) return undefined;
    const l = this.values.get(key);
    if (l) return this.live(l);
    return this.inner.get(key);
  }

  async mget(keys: string[]): Promise<Array<string | undefined>> {
    return Promise.all(keys.map((k) => this.get(k)));
  }

  async incr(key: string, by: number, ttlMs: number): Promise<number> {
    const current = Number((await this.get(key)) ?? 0) || 0;
    const l = this.values.get(key);
    const next = current + by;
    this.deleted.delete(key);
    this.values.set(key, { value: String(next), expiresAt: l && this.live(l) !== undefined ? l.expiresAt : this.expiry(ttlMs) });
    return next;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.deleted.delete(key);
    this.values.set(key, { value, expiresAt: this.expiry(ttlMs) });
  }

  async del(key: string): Promise<void> {
    this.values.delete(key);
    this.deleted.add(key);
  }

  private local(map: string): Map<string, Local | null> {
    let m = this.maps.get(map);
    if (!m) this.maps.set(map, (m = new Map()));
    return m;
  }

  async mapSet(map: string, field: string, value: string, ttlMs?: number): Promise<void> {
    this.local(map).set(field, { value, expiresAt: this.expiry(ttlMs) });
  }

  async mapGet(map: string, field: string): Promise<string | undefined> {
    const l = this.maps.get(map)?.get(field);
    if (l === null) return undefined;
    if (l) return this.live(l);
    return this.inner.mapGet(map, field);
  }

  async mapDel(map: string, field: string): Promise<boolean> {
    const had = (await this.mapGet(map, field)) !== undefined;
    this.local(map).set(field, null);
    return had;
  }

  async mapAll(map: string): Promise<Map<string, string>> {
    const out = await this.inner.mapAll(map);
    for (const [field, l] of this.maps.get(map) ?? []) {
      const v = l === null ? undefined : this.live(l);
      if (v === undefined) out.delete(field);
      else out.set(field, v);
    }
    return out;
  }

  async mapSize(map: string): Promise<number> {
    return (await this.mapAll(map)).size;
  }

  /** Closes nothing: the real store belongs to whoever opened it. */
  async close(): Promise<void> {}
}
