// Q5 mailbox quotas (Sun mailquota / holdexquota / noexquota): a limit in octets
// (and optionally in messages) per mailbox, or a default for every mailbox of a
// domain, with what happens to mail over it: `hold` (keep it queued and retry
// until it fits or the channel's giveUpMs passes; 452 4.2.2 at RCPT) or `return`
// (return it at once with a DSN; 552 5.2.2 at RCPT). A mailbox's own setting
// wins, field by field, over its domain's. Read per lookup (prepared statements
// on the WAL file), so a change by the CLI or the API applies without a restart.

import type Database from 'better-sqlite3';
import { DirectoryError, normalizeAddress, normalizeDomain } from './names.js';
import type { ReadCache } from './read-cache.js';

export const QUOTAS_SCHEMA = `
CREATE TABLE IF NOT EXISTS quotas (
  subject TEXT PRIMARY KEY,
  domain TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
  bytes INTEGER,
  messages INTEGER,
  mode TEXT
);`;

export const QUOTA_MODES = ['hold', 'return'] as const;
export type QuotaMode = (typeof QUOTA_MODES)[number];

/** What one subject (mailbox or domain) sets; absent fields come from the domain, then the defaults. */
export interface QuotaSetting {
  subject: string;
  bytes?: number;
  messages?: number;
  mode?: QuotaMode;
}

/** The quota that applies to a mailbox. */
export interface EffectiveQuota {
  bytes?: number;
  messages?: number;
  mode: QuotaMode;
  /** Where the byte limit (else the message limit) came from. */
  from: 'mailbox' | 'domain';
}

interface Row {
  subject: string;
  bytes: number | null;
  messages: number | null;
  mode: string | null;
}

function setting(r: Row): QuotaSetting {
  return { subject: r.subject, ...(r.bytes !== null ? { bytes: r.bytes } : {}), ...(r.messages !== null ? { messages: r.messages } : {}), ...(r.mode ? { mode: r.mode as QuotaMode } : {}) };
}

export class Quotas {
  private readonly st;

  /** `cache`: the directory's (read-cache.ts): effective() runs at every RCPT and delivery to a local mailbox. */
  constructor(db: Database.Database, private readonly cache?: ReadCache) {
    db.exec(QUOTAS_SCHEMA);
    this.st = {
      put: db.prepare('INSERT INTO quotas (subject, domain, bytes, messages, mode) VALUES (?, ?, ?, ?, ?) ON CONFLICT(subject) DO UPDATE SET bytes = excluded.bytes, messages = excluded.messages, mode = excluded.mode'),
      del: db.prepare('DELETE FROM quotas WHERE subject = ?'),
      get: db.prepare<[string], Row>('SELECT subject, bytes, messages, mode FROM quotas WHERE subject = ?'),
      hasDomain: db.prepare<[string], number>('SELECT 1 FROM domains WHERE name = ?').pluck(),
      hasMailbox: db.prepare<[string], number>('SELECT 1 FROM mailboxes WHERE address = ?').pluck(),
    };
  }

  /** Sets the quota of a mailbox or a domain; fields left out keep their stored value. */
  set(subject: string, s: { bytes?: number; messages?: number; mode?: QuotaMode }): QuotaSetting {
    const sub = subject.includes('@') ? normalizeAddress(subject) : { address: normalizeDomain(subject), domain: normalizeDomain(subject) };
    if (!this.st.hasDomain.get(sub.domain)) throw new DirectoryError(`Domain ${sub.domain} is not a local domain; add it first.`, 'notFound');
    if (subject.includes('@') && !this.st.hasMailbox.get(sub.address)) throw new DirectoryError(`Mailbox ${sub.address} does not exist.`, 'notFound');
    for (const [k, v] of [['bytes', s.bytes], ['messages', s.messages]] as const) {
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new DirectoryError(`${k}: expected a whole number 0 or more, got ${v}`);
    }
    const old = this.get(sub.address);
    const next = { bytes: s.bytes ?? old?.bytes, messages: s.messages ?? old?.messages, mode: s.mode ?? old?.mode };
    this.st.put.run(sub.address, sub.domain, next.bytes ?? null, next.messages ?? null, next.mode ?? null);
    return this.get(sub.address)!;
  }

  unset(subject: string): void {
    const s = subject.includes('@') ? normalizeAddress(subject).address : normalizeDomain(subject);
    if (this.st.del.run(s).changes === 0) throw new DirectoryError(`${s} has no quota of its own.`, 'notFound');
  }

  /** What one subject sets itself, or undefined. */
  get(subject: string): QuotaSetting | undefined {
    const r = this.st.get.get(subject.toLowerCase());
    return r && setting(r);
  }

  /** The quota of a mailbox (its own fields over its domain's), or undefined when neither sets a limit. */
  effective(mailbox: string): EffectiveQuota | undefined {
    const a = mailbox.toLowerCase();
    const own = this.row(a);
    const dom = this.row(a.slice(a.lastIndexOf('@') + 1));
    if (!own && !dom) return undefined;
    const bytes = own?.bytes ?? dom?.bytes ?? undefined;
    const messages = own?.messages ?? dom?.messages ?? undefined;
    if (bytes === undefined && messages === undefined) return undefined;
    const mode = (own?.mode ?? dom?.mode ?? 'hold') as QuotaMode;
    const from = (own?.bytes ?? null) !== null || (bytes === undefined && (own?.messages ?? null) !== null) ? 'mailbox' : 'domain';
    return { ...(bytes !== undefined ? { bytes } : {}), ...(messages !== undefined ? { messages } : {}), mode, from };
  }

  private row(subject: string): Row | undefined {
    return this.cache ? this.cache.get('quota', subject, () => this.st.get.get(subject)) : this.st.get.get(subject);
  }

  /** A removed mailbox's own quota goes with it (domains cascade). */
  forget(mailbox: string): void {
    this.st.del.run(mailbox.toLowerCase());
  }
}
