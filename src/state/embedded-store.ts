// The embedded SharedStore: a SQLite file under dataDir, so deny entries, LMS keys
// and rate windows survive a restart (C2) without any extra service.

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Now, SharedStore } from './store.js';

const SWEEP_MS = 60_000;

export class EmbeddedStore implements SharedStore {
  private readonly db: Database.Database;
  private readonly sweeper: NodeJS.Timeout;
  private readonly q;

  constructor(path: string, private readonly now: Now = Date.now) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER);
      CREATE TABLE IF NOT EXISTS maps (map TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, expires_at INTEGER, PRIMARY KEY (map, field));
    `);
    this.q = {
      get: this.db.prepare<[string, number], { value: string }>('SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)'),
      // Many keys in one statement (one read transaction, not one per key): a rate window reads 59 buckets.
      getMany: this.db.prepare<[string, number], { key: string; value: string }>(
        'SELECT key, value FROM kv WHERE key IN (SELECT value FROM json_each(?)) AND (expires_at IS NULL OR expires_at > ?)',
      ),
      set: this.db.prepare('INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at'),
      del: this.db.prepare('DELETE FROM kv WHERE key = ?'),
      update: this.db.prepare('UPDATE kv SET value = ? WHERE key = ?'),
      mapSet: this.db.prepare('INSERT INTO maps (map, field, value, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT(map, field) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at'),
      mapGet: this.db.prepare<[string, string, number], { value: string }>('SELECT value FROM maps WHERE map = ? AND field = ? AND (expires_at IS NULL OR expires_at > ?)'),
      mapDel: this.db.prepare('DELETE FROM maps WHERE map = ? AND field = ?'),
      mapAll: this.db.prepare<[string, number], { field: string; value: string }>('SELECT field, value FROM maps WHERE map = ? AND (expires_at IS NULL OR expires_at > ?)'),
      mapSize: this.db.prepare<[string, number], { n: number }>('SELECT count(*) AS n FROM maps WHERE map = ? AND (expires_at IS NULL OR expires_at > ?)'),
      sweepKv: this.db.prepare('DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      sweepMaps: this.db.prepare('DELETE FROM maps WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    };
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Removes expired rows (reads already ignore them). */
  sweep(): void {
    const t = this.now();
    this.q.sweepKv.run(t);
    this.q.sweepMaps.run(t);
  }

  async incr(key: string, by: number, ttlMs: number): Promise<number> {
    const t = this.now();
    // An expired counter starts again from `by` with a fresh expiry.
    return this.db.transaction(() => {
      const live = this.q.get.get(key, t);
      if (!live) {
        this.q.set.run(key, String(by), t + ttlMs);
        return by;
      }
      const next = Number(live.value) + by;
      this.q.update.run(String(next), key);
      return next;
    })();
  }

  async mget(keys: string[]): Promise<Array<string | undefined>> {
    const t = this.now();
    if (keys.length < 2) return keys.map((k) => this.q.get.get(k, t)?.value);
    const found = new Map<string, string>();
    for (const r of this.q.getMany.all(JSON.stringify(keys), t)) found.set(r.key, r.value);
    return keys.map((k) => found.get(k));
  }

  async get(key: string): Promise<string | undefined> {
    return this.q.get.get(key, this.now())?.value;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.q.set.run(key, value, ttlMs === undefined ? null : this.now() + ttlMs);
  }

  async del(key: string): Promise<void> {
    this.q.del.run(key);
  }

  async mapSet(map: string, field: string, value: string, ttlMs?: number): Promise<void> {
    this.q.mapSet.run(map, field, value, ttlMs === undefined ? null : this.now() + ttlMs);
  }

  async mapGet(map: string, field: string): Promise<string | undefined> {
    return this.q.mapGet.get(map, field, this.now())?.value;
  }

  async mapDel(map: string, field: string): Promise<boolean> {
    return this.q.mapDel.run(map, field).changes > 0;
  }

  async mapAll(map: string): Promise<Map<string, string>> {
    return new Map(this.q.mapAll.all(map, this.now()).map((r) => [r.field, r.value]));
  }

  async mapSize(map: string): Promise<number> {
    return this.q.mapSize.get(map, this.now())!.n;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.db.close();
  }
}
