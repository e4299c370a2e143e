// C1: failed store calls are counted, whichever store is behind: a timeout of a hung
// Redis, a lost connection, a SQLite error. The caller still gets the rejection, so a
// check fails closed (451 4.3.0 naming it). This is the one counter: the metrics
// (rampart_store_errors_total, rampart_store_timeouts_total) read it at each scrape.

import type { SharedStore } from './store.js';

/** Failures of one operation (get, incr, mapAll...); `timeouts` is the part that hit state.commandTimeoutMs. */
export interface OpErrors {
  errors: number;
  timeouts: number;
}

function isTimeout(e: unknown): boolean {
  return e instanceof Error && /timed out/i.test(e.message);
}

/** `inner` with every failure counted in `errors` (and rethrown). */
export class CountingStore implements SharedStore {
  /** Failed calls since this store was opened: in all, timeouts among them, and by operation. */
  readonly errors = { total: 0, timeouts: 0, byOp: new Map<string, OpErrors>() };

  constructor(readonly inner: SharedStore) {}

  private async count<T>(op: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      const timeout = isTimeout(e);
      const byOp = this.errors.byOp.get(op) ?? { errors: 0, timeouts: 0 };
      this.errors.byOp.set(op, byOp);
      this.errors.total++;
      byOp.errors++;
      if (timeout) {
        this.errors.timeouts++;
        byOp.timeouts++;
      }
      throw e;
    }
  }

  incr(key: string, by: number, ttlMs: number) {
    return this.count('incr', () => this.inner.incr(key, by, ttlMs));
  }
  mget(keys: string[]) {
    return this.count('mget', () => this.inner.mget(keys));
  }
  get(key: string) {
    return this.count('get', () => this.inner.get(key));
  }
  set(key: string, value: string, ttlMs?: number) {
    return this.count('set', () => this.inner.set(key, value, ttlMs));
  }
  del(key: string) {
    return this.count('del', () => this.inner.del(key));
  }
  mapSet(map: string, field: string, value: string, ttlMs?: number) {
    return this.count('mapSet', () => this.inner.mapSet(map, field, value, ttlMs));
  }
  mapGet(map: string, field: string) {
    return this.count('mapGet', () => this.inner.mapGet(map, field));
  }
  mapDel(map: string, field: string) {
    return this.count('mapDel', () => this.inner.mapDel(map, field));
  }
  mapAll(map: string) {
    return this.count('mapAll', () => this.inner.mapAll(map));
  }
  mapSize(map: string) {
    return this.count('mapSize', () => this.inner.mapSize(map));
  }
  close() {
    return this.inner.close();
  }
}
