// Answers of the hottest directory lookups (is this a local domain, the limits of
// a subject), remembered while the directory file is unchanged. A message asks
// them about twenty times; each SQLite read costs a read transaction (file locks
// and a stat). Exact, never stale:
// - another process (the CLI) committing changes PRAGMA data_version, which is
//   read once per event-loop turn that looks something up - within one turn
//   every answer is as of the turn's start, as if the reads had run then;
// - our own connection's writes do not change data_version, so every statement
//   of the connection that is not read-only (and every exec) is counted and clears the
//   cache too (watchWrites, installed before any statement is prepared).

import type Database from 'better-sqlite3';

/** Entries per kind; past it the kind starts afresh (lookups of random names must not grow memory). */
const MAX_ENTRIES = 10_000;

export class ReadCache {
  private readonly kinds = new Map<string, Map<string, unknown>>();
  private version: unknown;
  private writes = 0;
  private seenWrites = -1;
  private checkedThisTurn = false;
  private readonly dataVersion: () => unknown;

  constructor(db: Database.Database) {
    const st = db.prepare('PRAGMA data_version').pluck();
    this.dataVersion = () => st.get();
    watchWrites(db, () => this.writes++);
  }

  /** The cached answer for `key` of `kind`, else `load()` (remembered). */
  get<T>(kind: string, key: string, load: () => T): T {
    this.validate();
    let m = this.kinds.get(kind);
    if (!m) this.kinds.set(kind, (m = new Map()));
    if (m.has(key)) return m.get(key) as T;
    const v = load();
    if (m.size >= MAX_ENTRIES) m.clear();
    m.set(key, v);
    return v;
  }

  private validate(): void {
    if (this.checkedThisTurn && this.seenWrites === this.writes) return;
    const v = this.dataVersion();
    if (v !== this.version || this.seenWrites !== this.writes) {
      this.kinds.clear();
      this.version = v;
      this.seenWrites = this.writes;
    }
    if (!this.checkedThisTurn) {
      this.checkedThisTurn = true;
      setImmediate(() => {
        this.checkedThisTurn = false;
      }).unref();
    }
  }
}

/** Calls `onWrite` after every use of a statement of this connection that is not read-only, and after exec(). */
function watchWrites(db: Database.Database, onWrite: () => void): void {
  const prepare = db.prepare.bind(db);
  const exec = db.exec.bind(db);
  db.prepare = ((sql: string) => {
    const st = prepare(sql);
    if (!st.readonly) {
      // run() for plain writes, get()/all() for writes with RETURNING.
      for (const m of ['run', 'get', 'all'] as const) {
        const f = (st[m] as (...a: unknown[]) => unknown).bind(st);
        (st as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
          try {
            return f(...args);
          } finally {
            onWrite();
          }
        };
      }
    }
    return st;
  }) as typeof db.prepare;
  db.exec = ((sql: string) => {
    try {
      return exec(sql);
    } finally {
      onWrite();
    }
  }) as typeof db.exec;
}
