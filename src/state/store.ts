// C1: the one interface for state shared between server processes or machines:
// rate windows, Large Message Safety keys, the deny list, failed-AUTH counters.
// Embedded (SQLite, survives restart, no extra service) or Redis (several nodes).

export interface SharedStore {
  /** Adds `by` to a counter and returns the new value. A new counter expires `ttlMs` after it was created. */
  incr(key: string, by: number, ttlMs: number): Promise<number>;
  /** Values of several keys at once (missing or expired: undefined). */
  mget(keys: string[]): Promise<Array<string | undefined>>;
  get(key: string): Promise<string | undefined>;
  /** Sets a value; without ttlMs it never expires. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Named maps (e.g. the deny list): one field per entry, each with its own optional expiry. */
  mapSet(map: string, field: string, value: string, ttlMs?: number): Promise<void>;
  mapGet(map: string, field: string): Promise<string | undefined>;
  mapDel(map: string, field: string): Promise<boolean>;
  /** Every live entry of a map. */
  mapAll(map: string): Promise<Map<string, string>>;
  mapSize(map: string): Promise<number>;
  close(): Promise<void>;
}

/** Where expiries are measured; tests pass a fake clock. */
export type Now = () => number;
