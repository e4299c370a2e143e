// Per-sender and per-domain limits kept in the directory (the seeds' "LDAP
// attribute" level: Sun LDAP_SOURCEBLOCKLIMIT, LDAP_RECIPIENTLIMIT, ...; MDaemon
// per-domain size). A subject is a mailbox address or a domain, local or not.
// The most specific level wins: address, then its domain, then listener/global.

import type Database from 'better-sqlite3';
import { z } from 'zod';
import { DirectoryError, normalizeAddress, normalizeDomain } from './names.js';
import { sqlLimit, type ListRange } from './list-range.js';
import type { ReadCache } from './read-cache.js';

const count = z.number().int().positive();

/** Every attribute a subject may carry; keys match the config keys they override. */
export const LimitAttributes = z
  .object({
    maxMessageSize: count.describe('S1/S2: largest message in octets'),
    sourceBlockLimit: count.describe('S3: largest incoming message in blocks (Sun sourceblocklimit)'),
    maxRecipients: count.describe('H7: recipients per message (Sun recipientlimit)'),
    recipientCutoff: count.describe('H8: recipients presented before the message is refused (Sun recipientcutoff)'),
    recipientsPerHour: count.describe('H9: recipients per hour'),
  })
  .partial()
  .strict();

export type Limits = z.output<typeof LimitAttributes>;
export const LIMIT_KEYS = Object.keys(LimitAttributes.shape) as Array<keyof Limits>;

export const LIMITS_SCHEMA = `
CREATE TABLE IF NOT EXISTS limits (
  subject TEXT PRIMARY KEY,
  attrs TEXT NOT NULL
);`;

/** "alice@example.org" or "example.org", validated and lower-cased. */
export function normalizeSubject(subject: string): string {
  return subject.includes('@') ? normalizeAddress(subject).address : normalizeDomain(subject);
}

/** Throws DirectoryError naming any key that is not a limit attribute. */
export function checkLimitKeys(keys: string[]): void {
  const bad = keys.filter((k) => !(LIMIT_KEYS as string[]).includes(k));
  if (bad.length) throw new DirectoryError(`unknown limit ${bad.join(', ')} (known keys: ${LIMIT_KEYS.join(', ')})`);
}

export class SenderLimits {
  private readonly st;

  /** `cache`: the directory's (read-cache.ts); without it every lookup reads the table. */
  constructor(db: Database.Database, private readonly cache?: ReadCache) {
    db.exec(LIMITS_SCHEMA);
    this.st = {
      get: db.prepare<[string], string>('SELECT attrs FROM limits WHERE subject = ?').pluck(),
      put: db.prepare('INSERT INTO limits (subject, attrs) VALUES (?, ?) ON CONFLICT(subject) DO UPDATE SET attrs = excluded.attrs'),
      del: db.prepare('DELETE FROM limits WHERE subject = ?'),
      all: db.prepare<[string, number], { subject: string; attrs: string }>('SELECT subject, attrs FROM limits WHERE subject > ? ORDER BY subject LIMIT ?'),
    };
  }

  /** Attributes set on exactly this subject. */
  of(subject: string): Limits {
    const s = subject.toLowerCase();
    const raw = this.cache ? this.cache.get('limits', s, () => this.st.get.get(s)) : this.st.get.get(s);
    return raw ? (JSON.parse(raw) as Limits) : {};
  }

  /** Merges new attributes into a subject's; throws DirectoryError naming a bad key or value. */
  set(subject: string, attrs: Record<string, unknown>): Limits {
    const s = normalizeSubject(subject);
    const parsed = LimitAttributes.safeParse(attrs);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      const key = i.path.join('.') || (i as { keys?: string[] }).keys?.join(', ') || '';
      throw new DirectoryError(`${key ? key + ': ' : ''}${i.message} (known keys: ${LIMIT_KEYS.join(', ')})`);
    }
    const merged = { ...this.of(s), ...parsed.data };
    this.st.put.run(s, JSON.stringify(merged));
    return merged;
  }

  /** Removes some attributes (or all when `keys` is empty). */
  unset(subject: string, keys: string[] = []): void {
    const s = normalizeSubject(subject);
    checkLimitKeys(keys);
    if (!keys.length) {
      this.st.del.run(s);
      return;
    }
    const left: Record<string, unknown> = { ...this.of(s) };
    for (const k of keys) delete left[k];
    if (Object.keys(left).length) this.st.put.run(s, JSON.stringify(left));
    else this.st.del.run(s);
  }

  /** Subjects with limits, by subject (a page of them with `range`). */
  list(range?: ListRange): Array<{ subject: string; limits: Limits }> {
    return this.st.all.all(range?.after ?? '', sqlLimit(range)).map((r) => ({ subject: r.subject, limits: JSON.parse(r.attrs) as Limits }));
  }

  /** True when the subject has limits of its own. */
  has(subject: string): boolean {
    return this.st.get.get(subject.toLowerCase()) !== undefined;
  }

  /** Limits for a sender: the address's own, over its domain's. Null sender: none. */
  forSender(address: string): Limits {
    if (!address) return {};
    const at = address.lastIndexOf('@');
    const domain = at >= 0 ? address.slice(at + 1).toLowerCase() : '';
    return { ...(domain ? this.of(domain) : {}), ...this.of(address.toLowerCase()) };
  }

  /** Limits of a (recipient) domain. */
  forDomain(domain: string): Limits {
    return this.of(domain.toLowerCase());
  }
}
