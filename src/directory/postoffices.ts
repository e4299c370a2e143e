// R5 postoffices (MailEnable): tenants that own domains, and through their domains
// the mailboxes and aliases in them. A domain belongs to at most one postoffice; a
// domain outside every postoffice is a postoffice of its own (it owns only itself).
// Kept in the directory's SQLite file, next to the domains table.

import type Database from 'better-sqlite3';
import { DirectoryError, normalizeDomain } from './names.js';
import { sqlLimit, type ListRange } from './list-range.js';

export const POSTOFFICES_SCHEMA = `
CREATE TABLE IF NOT EXISTS postoffices (
  name TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS postoffice_domains (
  domain TEXT PRIMARY KEY REFERENCES domains(name) ON DELETE CASCADE,
  postoffice TEXT NOT NULL REFERENCES postoffices(name) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS postoffice_domains_po ON postoffice_domains(postoffice);
`;

const NAME_RE = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

/** Lower-cases and validates a postoffice name; throws DirectoryError when malformed. */
export function normalizePostofficeName(name: string): string {
  const n = name.trim().toLowerCase();
  if (!NAME_RE.test(n)) {
    throw new DirectoryError(`"${name}" is not a valid postoffice name (letters, digits, ".", "-", "_"; up to 64).`);
  }
  return n;
}

export interface PostofficeInfo {
  name: string;
  domains: string[];
}

export class Postoffices {
  private readonly st;

  constructor(private readonly db: Database.Database) {
    db.exec(POSTOFFICES_SCHEMA);
    this.st = {
      insert: db.prepare('INSERT INTO postoffices (name, created_at) VALUES (?, ?)'),
      delete: db.prepare('DELETE FROM postoffices WHERE name = ?'),
      exists: db.prepare<[string], number>('SELECT 1 FROM postoffices WHERE name = ?').pluck(),
      all: db.prepare<[string, number], string>('SELECT name FROM postoffices WHERE name > ? ORDER BY name LIMIT ?').pluck(),
      domainsOf: db.prepare<[string], string>('SELECT domain FROM postoffice_domains WHERE postoffice = ? ORDER BY domain').pluck(),
      ofDomain: db.prepare<[string], string>('SELECT postoffice FROM postoffice_domains WHERE domain = ?').pluck(),
      hasDomain: db.prepare<[string], number>('SELECT 1 FROM domains WHERE name = ?').pluck(),
      assign: db.prepare('INSERT INTO postoffice_domains (domain, postoffice) VALUES (?, ?)'),
      unassign: db.prepare('DELETE FROM postoffice_domains WHERE domain = ?'),
      unassignAll: db.prepare('DELETE FROM postoffice_domains WHERE postoffice = ?'),
    };
  }

  add(name: string): string {
    const n = normalizePostofficeName(name);
    if (this.st.exists.get(n)) throw new DirectoryError(`Postoffice ${n} already exists.`, 'conflict');
    this.st.insert.run(n, Date.now());
    return n;
  }

  /**
   * Removes a postoffice. One that still owns domains is refused unless `force`,
   * which releases its domains (they, their mailboxes and aliases stay).
   * Returns the domains released.
   */
  remove(name: string, force = false): string[] {
    const n = normalizePostofficeName(name);
    return this.db.transaction(() => {
      if (!this.st.exists.get(n)) throw new DirectoryError(`Postoffice ${n} does not exist.`, 'notFound');
      const domains = this.st.domainsOf.all(n);
      if (domains.length && !force) {
        throw new DirectoryError(`Postoffice ${n} still owns ${domains.join(', ')}; move them first or use --force to release them.`, 'conflict');
      }
      this.st.unassignAll.run(n);
      this.st.delete.run(n);
      return domains;
    })();
  }

  exists(name: string): boolean {
    return this.st.exists.get(name.trim().toLowerCase()) !== undefined;
  }

  /** Postoffices by name (a page of them with `range`), each with its domains. */
  list(range?: ListRange): PostofficeInfo[] {
    return this.st.all.all(range?.after ?? '', sqlLimit(range)).map((name) => ({ name, domains: this.st.domainsOf.all(name) }));
  }

  /** One postoffice with its domains, or undefined. */
  get(name: string): PostofficeInfo | undefined {
    const n = name.trim().toLowerCase();
    return this.st.exists.get(n) === undefined ? undefined : { name: n, domains: this.st.domainsOf.all(n) };
  }

  /** Puts a local domain into a postoffice. A domain already in another postoffice is refused. */
  assign(postoffice: string, domain: string): void {
    const n = normalizePostofficeName(postoffice);
    const d = normalizeDomain(domain);
    this.db.transaction(() => {
      if (!this.st.exists.get(n)) throw new DirectoryError(`Postoffice ${n} does not exist.`, 'notFound');
      if (!this.st.hasDomain.get(d)) throw new DirectoryError(`Domain ${d} does not exist.`, 'notFound');
      const current = this.st.ofDomain.get(d);
      if (current === n) return;
      if (current !== undefined) throw new DirectoryError(`Domain ${d} already belongs to postoffice ${current}; unassign it first.`, 'conflict');
      this.st.assign.run(d, n);
    })();
  }

  /** Takes a domain out of its postoffice (it becomes a postoffice of its own). */
  unassign(domain: string): string {
    const d = normalizeDomain(domain);
    const current = this.st.ofDomain.get(d);
    if (current === undefined) throw new DirectoryError(`Domain ${d} is not in a postoffice.`, 'notFound');
    this.st.unassign.run(d);
    return current;
  }

  /** The postoffice owning a domain, or undefined (case-insensitive, no validation: hot path). */
  ofDomain(domain: string): string | undefined {
    return this.st.ofDomain.get(domain.toLowerCase());
  }

  /** The postoffice of a mailbox or alias address: that of its domain. */
  ofAddress(address: string): string | undefined {
    return this.ofDomain(address.slice(address.lastIndexOf('@') + 1));
  }

  /**
   * True when `domain` is one of the domains of the postoffice that owns `userDomain`.
   * A domain outside every postoffice owns only itself. Non-local domains are in no postoffice.
   */
  sameTenant(userDomain: string, domain: string): boolean {
    const u = userDomain.toLowerCase();
    const d = domain.toLowerCase();
    if (!this.st.hasDomain.get(u) || !this.st.hasDomain.get(d)) return false;
    if (u === d) return true;
    const pu = this.st.ofDomain.get(u);
    return pu !== undefined && pu === this.st.ofDomain.get(d);
  }
}
