// R7 catchalls: per local domain, a target address that receives mail for local
// parts of that domain that are neither a mailbox nor an alias. The global switch
// `relay.disableAllCatchalls` is config, so it is not read here: callers pass it.

import type Database from 'better-sqlite3';
import { DirectoryError, normalizeAddress, normalizeDomain, requireMailboxName } from './names.js';
import { sqlLimit, type ListRange } from './list-range.js';

export const CATCHALLS_SCHEMA = `
CREATE TABLE IF NOT EXISTS catchalls (
  domain TEXT PRIMARY KEY REFERENCES domains(name) ON DELETE CASCADE,
  target TEXT NOT NULL,
  created_at INTEGER NOT NULL
);`;

export interface CatchallInfo {
  domain: string;
  target: string;
}

export class Catchalls {
  private readonly st;

  constructor(db: Database.Database) {
    db.exec(CATCHALLS_SCHEMA);
    this.st = {
      put: db.prepare('INSERT INTO catchalls (domain, target, created_at) VALUES (?, ?, ?) ON CONFLICT(domain) DO UPDATE SET target = excluded.target'),
      del: db.prepare('DELETE FROM catchalls WHERE domain = ?'),
      get: db.prepare<[string], string>('SELECT target FROM catchalls WHERE domain = ?').pluck(),
      all: db.prepare<[string, number], CatchallInfo>('SELECT domain, target FROM catchalls WHERE domain > ? ORDER BY domain LIMIT ?'),
      hasDomain: db.prepare<[string], number>('SELECT 1 FROM domains WHERE name = ?').pluck(),
      hasMailbox: db.prepare<[string], number>('SELECT 1 FROM mailboxes WHERE address = ?').pluck(),
      hasAlias: db.prepare<[string], number>('SELECT 1 FROM aliases WHERE address = ?').pluck(),
    };
  }

  /**
   * Sets (or replaces) the catchall of a local domain. A target in a local domain must
   * be an existing mailbox or alias: catchalls never chain, so an unknown local target
   * could never be delivered. A remote target is stored (see `isRemote`).
   */
  set(domain: string, target: string): CatchallInfo {
    const d = normalizeDomain(domain);
    const t = normalizeAddress(target);
    if (!this.st.hasDomain.get(d)) throw new DirectoryError(`Domain ${d} is not a local domain; add it first.`, 'notFound');
    if (this.st.hasDomain.get(t.domain)) requireMailboxName(t);
    if (this.st.hasDomain.get(t.domain) && !this.st.hasMailbox.get(t.address) && !this.st.hasAlias.get(t.address)) {
      throw new DirectoryError(`Catchall target ${t.address} is in a local domain but is neither a mailbox nor an alias.`, 'notFound');
    }
    this.st.put.run(d, t.address, Date.now());
    return { domain: d, target: t.address };
  }

  unset(domain: string): void {
    const d = normalizeDomain(domain);
    if (this.st.del.run(d).changes === 0) throw new DirectoryError(`Domain ${d} has no catchall.`, 'notFound');
  }

  /** Catchalls by domain (a page of them with `range`). */
  list(range?: ListRange): CatchallInfo[] {
    return this.st.all.all(range?.after ?? '', sqlLimit(range));
  }

  /** The catchall target of a domain (case-insensitive), or undefined. Hot path: no validation. */
  targetFor(domain: string): string | undefined {
    return this.st.get.get(domain.toLowerCase());
  }

  /** True when the target lies outside the local domains (needs remote delivery). */
  isRemote(target: string): boolean {
    return !this.st.hasDomain.get(target.slice(target.lastIndexOf('@') + 1).toLowerCase());
  }
}
