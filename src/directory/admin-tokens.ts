// Bearer tokens of the admin API, kept in the directory's SQLite file. A token is
// shown once, when it is created; only its SHA-256 is stored. A token carries 256
// random bits, so a fast hash is enough (nothing to brute-force, unlike a password)
// and the lookup per request is one indexed read.

import type Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { DirectoryError } from './names.js';
import { sqlLimit, type ListRange } from './list-range.js';

export const ADMIN_TOKENS_SCHEMA = `
CREATE TABLE IF NOT EXISTS admin_tokens (
  name TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  read_only INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);`;

const NAME_RE = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
const PREFIX = 'rmp_';
/** last_used_at is written at most this often per token (a write per request would cost an fsync each). */
const TOUCH_MS = 60_000;

export interface TokenInfo {
  name: string;
  readOnly: boolean;
  createdAt: number;
  lastUsedAt?: number;
}

interface Row {
  name: string;
  read_only: number;
  created_at: number;
  last_used_at: number | null;
}

/** Lower-cases and validates a token name; throws DirectoryError when malformed. */
export function normalizeTokenName(name: string): string {
  const n = name.trim().toLowerCase();
  if (!NAME_RE.test(n)) throw new DirectoryError(`"${name}" is not a valid token name (letters, digits, ".", "-", "_"; up to 64).`);
  return n;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function info(r: Row): TokenInfo {
  return { name: r.name, readOnly: r.read_only === 1, createdAt: r.created_at, lastUsedAt: r.last_used_at ?? undefined };
}

export class AdminTokens {
  private readonly st;
  private readonly touched = new Map<string, number>();

  constructor(db: Database.Database) {
    db.exec(ADMIN_TOKENS_SCHEMA);
    this.st = {
      insert: db.prepare('INSERT INTO admin_tokens (name, hash, read_only, created_at) VALUES (?, ?, ?, ?)'),
      exists: db.prepare<[string], number>('SELECT 1 FROM admin_tokens WHERE name = ?').pluck(),
      byHash: db.prepare<[string], Row>('SELECT name, read_only, created_at, last_used_at FROM admin_tokens WHERE hash = ?'),
      all: db.prepare<[string, number], Row>('SELECT name, read_only, created_at, last_used_at FROM admin_tokens WHERE name > ? ORDER BY name LIMIT ?'),
      delete: db.prepare('DELETE FROM admin_tokens WHERE name = ?'),
      touch: db.prepare('UPDATE admin_tokens SET last_used_at = ? WHERE name = ?'),
    };
  }

  /** Creates a token; returns its secret, which is never stored and cannot be shown again. */
  create(name: string, opts: { readOnly?: boolean } = {}): { token: string; info: TokenInfo } {
    const n = normalizeTokenName(name);
    if (this.st.exists.get(n)) throw new DirectoryError(`Token ${n} already exists; revoke it first or choose another name.`, 'conflict');
    const token = PREFIX + randomBytes(32).toString('base64url');
    const createdAt = Date.now();
    this.st.insert.run(n, hashToken(token), opts.readOnly ? 1 : 0, createdAt);
    return { token, info: { name: n, readOnly: !!opts.readOnly, createdAt } };
  }

  /** The token's details when `token` is a valid secret, else undefined. Records the use (throttled). */
  verify(token: string, now = Date.now()): TokenInfo | undefined {
    if (!token.startsWith(PREFIX) || token.length > 100) return undefined;
    const row = this.st.byHash.get(hashToken(token));
    if (!row) return undefined;
    if (now - (this.touched.get(row.name) ?? 0) >= TOUCH_MS) {
      this.touched.set(row.name, now);
      this.st.touch.run(now, row.name);
    }
    return info(row);
  }

  list(range?: ListRange): TokenInfo[] {
    return this.st.all.all(range?.after ?? '', sqlLimit(range)).map(info);
  }

  revoke(name: string): void {
    const n = normalizeTokenName(name);
    if (this.st.delete.run(n).changes === 0) throw new DirectoryError(`Token ${n} does not exist.`, 'notFound');
    this.touched.delete(n);
  }
}
