// C1: failed store calls are counted (metrics read `storeErrors`), whichever store
// is behind: a timeout of a hung Redis, a lost connection, a SQLite error. The
// caller still gets the rejection, so a check fails closed (451 4.3.0 naming it).

import type { SharedStore } from './store.js';

/** Failed store calls since start; `timeouts` is the part that hit state.commandTimeoutMs. */
export const storeErrors = { total: 0, timeouts: 0 };

function isTimeout(e: unknown): boolean {
  return e instanceof Error && /timed out/i.test(e.message);
}

/** `inner` with every failure counted in `storeErrors` (and rethrown). */
export class CountingStore implements SharedStore {
  constructor(readonly inner: SharedStore) {}

  private async count<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      storeErrors.total++;
      if (isTimeout(e)) storeErrors.timeouts++;
      throw e;
    }
  }

  incr(key: string, by: number, ttlMs: number) {
    return this.count(() => this.inner.incr(key, by, ttlMs));
  }
  mget(keys: string[]) {
    return this.count(() => this.inner.mget(keys));
  }
  get(key: string) {
    return this.count(() => this.inner.get(key));
  }
  set(key: string, value: string, ttlMs?: number) {
    return this.count(() => this.inner.set(key, value, ttlMs));
  }
  del(key: string) {
    return this.count(() => this.inner.del(key));
  }
  mapSet(map: string, field: string, value: string, ttlMs?: number) {
    return this.count(() => this.inner.mapSet(map, field, value, ttlMs));
  }
  mapGet(map: string, field: string) {
    return this.count(() => this.inner.mapGet(map, field));
  }
  mapDel(map: string, field: string) {
    return this.count(() => this.inner.mapDel(map, field));
  }
  mapAll(map: string) {
    return this.count(() => this.inner.mapAll(map));
  }
  mapSize(map: string) {
    return this.count(() => this.inner.mapSize(map));
  }
  close() {
    return this.inner.close();
  }
}
