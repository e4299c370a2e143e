// The embedded directory: domains, mailboxes and aliases in one SQLite file.
// Lookups run per RCPT, so every statement is prepared once in the constructor.
// Names are stored lower-case; matching is case-insensitive.

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { hashPassword, verifyPassword as verifyHash } from './password.js';
import { SenderLimits } from './sender-limits.js';
import { ReadCache } from './read-cache.js';
import { Postoffices } from './postoffices.js';
import { Catchalls } from './catchalls.js';
import { AdminTokens } from './admin-tokens.js';
import { Quotas } from './quotas.js';
import { DirectoryError, normalizeAddress, normalizeDomain, requireMailboxName, type DirectoryErrorKind } from './names.js';
import { sqlLimit, type ListRange } from './list-range.js';

export { DirectoryError, normalizeAddress, normalizeDomain, requireMailboxName, sqlLimit };
export type { DirectoryErrorKind, ListRange };

export type Recipient =
  | { kind: 'mailbox'; address: string }
  | { kind: 'alias'; address: string; targets: string[] };

export interface MailboxInfo {
  address: string;
  hasPassword: boolean;
}

export interface AliasInfo {
  address: string;
  targets: string[];
}

export interface Expansion {
  mailboxes: string[];
  external: string[];
  unresolved: string[];
}

const SCHEMA_VERSION = 1;
const MAX_ALIAS_DEPTH = 10;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS domains (
  name TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS mailboxes (
  address TEXT PRIMARY KEY,
  local TEXT NOT NULL,
  domain TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
  password_hash TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mailboxes_domain ON mailboxes(domain);
CREATE TABLE IF NOT EXISTS aliases (
  address TEXT PRIMARY KEY,
  domain TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
  targets TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS aliases_domain ON aliases(domain);
`;

/** Splits an address without validating (for lookups, where bad input simply matches nothing). */
function splitLoose(address: string): { address: string; domain: string } {
  const a = address.toLowerCase();
  return { address: a, domain: a.slice(a.lastIndexOf('@') + 1) };
}

let dummyHash: Promise<string> | undefined;

export class Directory {
  private readonly st;
  /** Per-sender and per-domain limits (S2, S3, H7, H8, H9). */
  readonly limits: SenderLimits;
  /** R5 postoffices: tenants owning domains. */
  readonly postoffices: Postoffices;
  /** R7 catchalls per domain. */
  readonly catchalls: Catchalls;
  /** Bearer tokens of the admin API (hashes only). */
  readonly tokens: AdminTokens;
  /** Q5 mailbox quotas (per mailbox, domain defaults). */
  readonly quotas: Quotas;

  /** Cached answers of isLocalDomain and the limits (exact: read-cache.ts). */
  private readonly cache: ReadCache;

  private constructor(private readonly db: Database.Database) {
    this.cache = new ReadCache(db); // first: it watches every statement prepared after it
    this.limits = new SenderLimits(db, this.cache);
    this.postoffices = new Postoffices(db);
    this.catchalls = new Catchalls(db);
    this.tokens = new AdminTokens(db);
    this.quotas = new Quotas(db, this.cache);
    this.st = {
      insertDomain: db.prepare('INSERT INTO domains (name, created_at) VALUES (?, ?)'),
      deleteDomain: db.prepare('DELETE FROM domains WHERE name = ?'),
      listDomains: db.prepare('SELECT name FROM domains WHERE name > ? ORDER BY name LIMIT ?').pluck(),
      hasDomain: db.prepare('SELECT 1 FROM domains WHERE name = ?').pluck(),
      insertMailbox: db.prepare('INSERT INTO mailboxes (address, local, domain, password_hash, created_at) VALUES (?, ?, ?, ?, ?)'),
      deleteMailbox: db.prepare('DELETE FROM mailboxes WHERE address = ?'),
      hasMailbox: db.prepare('SELECT 1 FROM mailboxes WHERE address = ?').pluck(),
      mailboxHash: db.prepare('SELECT password_hash FROM mailboxes WHERE address = ?'),
      setHash: db.prepare('UPDATE mailboxes SET password_hash = ? WHERE address = ?'),
      mailboxInfo: db.prepare('SELECT address, password_hash IS NOT NULL AS has FROM mailboxes WHERE address = ?'),
      listMailboxes: db.prepare('SELECT address, password_hash IS NOT NULL AS has FROM mailboxes WHERE (domain, local) > (?, ?) ORDER BY domain, local LIMIT ?'),
      listMailboxesIn: db.prepare('SELECT address, password_hash IS NOT NULL AS has FROM mailboxes WHERE domain = ? AND (domain, local) > (?, ?) ORDER BY local LIMIT ?'),
      insertAlias: db.prepare('INSERT INTO aliases (address, domain, targets, created_at) VALUES (?, ?, ?, ?)'),
      deleteAlias: db.prepare('DELETE FROM aliases WHERE address = ?'),
      aliasTargets: db.prepare('SELECT targets FROM aliases WHERE address = ?').pluck(),
      listAliases: db.prepare('SELECT address, targets FROM aliases WHERE (domain, address) > (?, ?) ORDER BY domain, address LIMIT ?'),
      anyDomain: db.prepare('SELECT 1 FROM domains LIMIT 1').pluck(),
    };
  }

  /** Opens (creating if needed) the directory file and its parent folder. */
  static open(path: string): Directory {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new DirectoryError(`${path} was written by a newer version of Rampart (schema ${version}; this one knows ${SCHEMA_VERSION}).`);
      }
      db.transaction(() => {
        db.exec(SCHEMA);
        if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
      return new Directory(db);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  // ---- domains

  addDomain(name: string): void {
    const d = normalizeDomain(name);
    if (this.st.hasDomain.get(d)) throw new DirectoryError(`Domain ${d} already exists.`, 'conflict');
    this.st.insertDomain.run(d, Date.now());
  }

  /** Removes the domain and, by cascade, its mailboxes and aliases. */
  removeDomain(name: string): void {
    const d = normalizeDomain(name);
    if (this.st.deleteDomain.run(d).changes === 0) throw new DirectoryError(`Domain ${d} does not exist.`, 'notFound');
  }

  /** Domains in name order (a page of them with `range`). */
  listDomains(range?: ListRange): string[] {
    return this.st.listDomains.all(range?.after ?? '', sqlLimit(range)) as string[];
  }

  isLocalDomain(name: string): boolean {
    const d = name.toLowerCase();
    return this.cache.get('domain', d, () => this.st.hasDomain.get(d) !== undefined);
  }

  // ---- mailboxes

  async addMailbox(address: string, password?: string): Promise<void> {
    const a = normalizeAddress(address);
    this.requireDomain(a.domain, a.address);
    requireMailboxName(a);
    this.requireFree(a.address);
    const hash = password === undefined ? null : await hashPassword(password);
    // Re-check after the await: another caller may have added it meanwhile.
    this.requireDomain(a.domain, a.address);
    this.requireFree(a.address);
    this.st.insertMailbox.run(a.address, a.local, a.domain, hash, Date.now());
  }

  removeMailbox(address: string): void {
    const a = normalizeAddress(address);
    if (this.st.deleteMailbox.run(a.address).changes === 0) throw new DirectoryError(`Mailbox ${a.address} does not exist.`, 'notFound');
    this.quotas.forget(a.address);
  }

  /** All mailboxes, or those of one domain (which must exist), by domain then local part; `range.after` is an address. */
  listMailboxes(domain?: string, range?: ListRange): MailboxInfo[] {
    let rows: { address: string; has: number }[];
    const after = splitLoose(range?.after ?? '@');
    const afterLocal = after.address.slice(0, after.address.length - after.domain.length - 1);
    if (domain === undefined) rows = this.st.listMailboxes.all(after.domain, afterLocal, sqlLimit(range)) as typeof rows;
    else {
      const d = normalizeDomain(domain);
      if (!this.st.hasDomain.get(d)) throw new DirectoryError(`Domain ${d} does not exist.`, 'notFound');
      rows = this.st.listMailboxesIn.all(d, after.domain, afterLocal, sqlLimit(range)) as typeof rows;
    }
    return rows.map((r) => ({ address: r.address, hasPassword: r.has === 1 }));
  }

  /** One mailbox, or undefined. */
  mailbox(address: string): MailboxInfo | undefined {
    const r = this.st.mailboxInfo.get(address.toLowerCase()) as { address: string; has: number } | undefined;
    return r && { address: r.address, hasPassword: r.has === 1 };
  }

  async setPassword(address: string, pw: string): Promise<void> {
    const a = normalizeAddress(address);
    if (!this.st.hasMailbox.get(a.address)) throw new DirectoryError(`Mailbox ${a.address} does not exist.`, 'notFound');
    const hash = await hashPassword(pw);
    if (this.st.setHash.run(hash, a.address).changes === 0) throw new DirectoryError(`Mailbox ${a.address} does not exist.`, 'notFound');
  }

  /** False for a wrong password, an unknown user or a mailbox without password; similar time in each case. */
  async verifyPassword(address: string, pw: string): Promise<boolean> {
    const row = this.st.mailboxHash.get(address.toLowerCase()) as { password_hash: string | null } | undefined;
    if (row?.password_hash) return verifyHash(pw, row.password_hash);
    dummyHash ??= hashPassword('rampart-dummy-password');
    await verifyHash(pw, await dummyHash);
    return false;
  }

  // ---- aliases

  /** Targets may be local or remote addresses; the alias itself must be in a local domain. */
  addAlias(address: string, targets: string[]): void {
    const a = normalizeAddress(address);
    this.requireDomain(a.domain, a.address);
    requireMailboxName(a);
    this.requireFree(a.address);
    const normalized = targets.map((t) => normalizeAddress(t));
    for (const t of normalized) if (this.isLocalDomain(t.domain)) requireMailboxName(t);
    const list = [...new Set(normalized.map((t) => t.address))];
    if (list.length === 0) throw new DirectoryError(`Alias ${a.address} needs at least one target.`);
    if (list.includes(a.address)) throw new DirectoryError(`Alias ${a.address} cannot point to itself.`);
    this.st.insertAlias.run(a.address, a.domain, JSON.stringify(list), Date.now());
  }

  removeAlias(address: string): void {
    const a = normalizeAddress(address);
    if (this.st.deleteAlias.run(a.address).changes === 0) throw new DirectoryError(`Alias ${a.address} does not exist.`, 'notFound');
  }

  /** Aliases by domain then address; `range.after` is an address. */
  listAliases(range?: ListRange): AliasInfo[] {
    const after = splitLoose(range?.after ?? '');
    const rows = this.st.listAliases.all(after.domain, after.address, sqlLimit(range)) as { address: string; targets: string }[];
    return rows.map((r) => ({ address: r.address, targets: JSON.parse(r.targets) as string[] }));
  }

  /** One alias, or undefined. */
  alias(address: string): AliasInfo | undefined {
    const a = address.toLowerCase();
    const targets = this.st.aliasTargets.get(a) as string | undefined;
    return targets === undefined ? undefined : { address: a, targets: JSON.parse(targets) as string[] };
  }

  // ---- lookups (hot path)

  /** The mailbox or alias for local@domain (case-insensitive); a mailbox wins over an alias. */
  lookupRecipient(local: string, domain: string): Recipient | undefined {
    const address = `${local}@${domain}`.toLowerCase();
    // Asked at RCPT by rcpt.localRecipient and again by rcpt.mailboxQuota: the rows are cached, each answer is a fresh object.
    const found = this.cache.get('recipient', address, () => (this.st.hasMailbox.get(address) ? true : (this.st.aliasTargets.get(address) as string | undefined)));
    if (found === true) return { kind: 'mailbox', address };
    if (found !== undefined) return { kind: 'alias', address, targets: JSON.parse(found) as string[] };
    return undefined;
  }

  /**
   * Follows aliases (depth limit 10, loop-safe) down to local mailboxes. Addresses in
   * other domains go to `external`; local names that resolve to nothing, or lie past
   * the depth limit, go to `unresolved`. Each list is de-duplicated, in discovery order.
   * With `catchalls: true` (R7; callers pass `!relay.disableAllCatchalls`), an unknown
   * local name goes to its domain's catchall target; catchalls never chain.
   */
  expandRecipient(address: string, opts: { catchalls?: boolean } = {}): Expansion {
    const out = { mailboxes: new Set<string>(), external: new Set<string>(), unresolved: new Set<string>() };
    const seen = new Set<string>();
    const walk = (addr: string, depth: number, viaCatchall = false): void => {
      const { address: a, domain } = splitLoose(addr);
      if (seen.has(a)) return;
      seen.add(a);
      if (!this.isLocalDomain(domain)) {
        out.external.add(a);
        return;
      }
      if (this.st.hasMailbox.get(a)) {
        out.mailboxes.add(a);
        return;
      }
      const targets = this.st.aliasTargets.get(a) as string | undefined;
      if (targets === undefined && opts.catchalls && !viaCatchall && depth < MAX_ALIAS_DEPTH) {
        const target = this.catchalls.targetFor(domain);
        if (target !== undefined) return walk(target, depth + 1, true);
      }
      if (targets === undefined || depth >= MAX_ALIAS_DEPTH) {
        out.unresolved.add(a);
        return;
      }
      for (const t of JSON.parse(targets) as string[]) walk(t, depth + 1, viaCatchall);
    };
    walk(address, 0);
    return { mailboxes: [...out.mailboxes], external: [...out.external], unresolved: [...out.unresolved] };
  }

  isEmpty(): boolean {
    return this.st.anyDomain.get() === undefined;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private requireDomain(domain: string, address: string): void {
    if (!this.st.hasDomain.get(domain)) {
      throw new DirectoryError(`Domain ${domain} is not a local domain; add it first (needed for ${address}).`, 'notFound');
    }
  }

  private requireFree(address: string): void {
    if (this.st.hasMailbox.get(address)) throw new DirectoryError(`${address} already exists as a mailbox.`, 'conflict');
    if (this.st.aliasTargets.get(address) !== undefined) throw new DirectoryError(`${address} already exists as an alias.`, 'conflict');
  }
}
