// The Redis SharedStore (C1), for several Rampart nodes behind one MX name.
// Counters use one Lua script so "increment, and set the expiry if new" is atomic.
// Map entries carry their own expiry inside the value (Redis 7.0 hashes have no
// per-field TTL); expired entries are skipped on read and removed lazily.

import { Redis } from 'ioredis';
import type { SharedStore } from './store.js';

const INCR = `local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`;

interface Entry { v: string; e?: number }

export class RedisStore implements SharedStore {
  private readonly redis: Redis;

  constructor(url: string, private readonly prefix = 'rampart:', private readonly now: () => number = Date.now, commandTimeoutMs = 2000) {
    // Fail fast instead of queueing forever: a lost store must give 451, not a hang.
    // commandTimeout covers the case the others miss: a connected Redis that stops
    // answering (hung, SIGSTOPped, swapping) would otherwise hold each call until the
    // policy runner's 30 s limit.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false, connectTimeout: 5000, commandTimeout: commandTimeoutMs });
    this.redis.on('error', () => {}); // reported through the failing commands
  }

  /** state.commandTimeoutMs on reload: ioredis reads it for every new command. */
  setCommandTimeout(ms: number): void {
    this.redis.options.commandTimeout = ms;
  }

  /** Resolves once connected (start-up waits for it so a wrong URL is a clear error). */
  async ready(timeoutMs = 5000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('redis: not reachable')), timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  async incr(key: string, by: number, ttlMs: number): Promise<number> {
    return Number(await this.redis.eval(INCR, 1, this.k(key), by, Math.max(1, Math.round(ttlMs))));
  }

  async mget(keys: string[]): Promise<Array<string | undefined>> {
    if (!keys.length) return [];
    return (await this.redis.mget(...keys.map((k) => this.k(k)))).map((v) => v ?? undefined);
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(this.k(key))) ?? undefined;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs === undefined) await this.redis.set(this.k(key), value);
    else await this.redis.set(this.k(key), value, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async del(key: string): Promise<void> {
    await this.redis.del(this.k(key));
  }

  async mapSet(map: string, field: string, value: string, ttlMs?: number): Promise<void> {
    const entry: Entry = ttlMs === undefined ? { v: value } : { v: value, e: this.now() + ttlMs };
    await this.redis.hset(this.k(map), field, JSON.stringify(entry));
  }

  private live(raw: string | null, map: string, field: string): string | undefined {
    if (raw === null) return undefined;
    const e = JSON.parse(raw) as Entry;
    if (e.e !== undefined && e.e <= this.now()) {
      void this.redis.hdel(this.k(map), field).catch(() => {});
      return undefined;
    }
    return e.v;
  }

  async mapGet(map: string, field: string): Promise<string | undefined> {
    return this.live(await this.redis.hget(this.k(map), field), map, field);
  }

  async mapDel(map: string, field: string): Promise<boolean> {
    return (await this.redis.hdel(this.k(map), field)) > 0;
  }

  async mapAll(map: string): Promise<Map<string, string>> {
    const all = await this.redis.hgetall(this.k(map));
    const out = new Map<string, string>();
    for (const [f, raw] of Object.entries(all)) {
      const v = this.live(raw, map, f);
      if (v !== undefined) out.set(f, v);
    }
    return out;
  }

  async mapSize(map: string): Promise<number> {
    return (await this.mapAll(map)).size;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
