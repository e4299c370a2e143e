// Name syntax of the directory (domains, addresses, mailbox names Maildir can
// store) and the error every directory store throws for a problem the user can
// fix. Its own file so the stores (store.ts and the tables it composes) import
// it without a cycle.

import { mailboxNameProblem } from '../core/mailbox-name.js';

/** What kind of problem: malformed input, a name that names nothing, or a clash with what exists. */
export type DirectoryErrorKind = 'invalid' | 'notFound' | 'conflict';

/** A problem the user can fix (bad syntax, unknown or duplicate name). The message is one sentence. */
export class DirectoryError extends Error {
  override name = 'DirectoryError';

  constructor(message: string, readonly kind: DirectoryErrorKind = 'invalid') {
    super(message);
  }
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DOMAIN_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const LOCAL_RE = /^[^\s@"\\()<>,;:[\]\x00-\x1f\x7f]{1,64}$/;

/** Lower-cases and validates a domain name; throws DirectoryError when malformed. */
export function normalizeDomain(name: string): string {
  const d = name.trim().toLowerCase();
  if (d.length > 253 || !DOMAIN_RE.test(d)) throw new DirectoryError(`"${name}" is not a valid domain name.`);
  return d;
}

/** Lower-cases and validates "local@domain"; throws DirectoryError when malformed. */
export function normalizeAddress(address: string): { address: string; local: string; domain: string } {
  const a = address.trim().toLowerCase();
  const at = a.lastIndexOf('@');
  const local = a.slice(0, at);
  const domain = a.slice(at + 1);
  if (at <= 0 || !LOCAL_RE.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    throw new DirectoryError(`"${address}" is not a valid address (expected local@domain).`);
  }
  if (domain.length > 253 || !DOMAIN_RE.test(domain)) {
    throw new DirectoryError(`"${address}" is not a valid address: "${domain}" is not a valid domain name.`);
  }
  return { address: `${local}@${domain}`, local, domain };
}

/**
 * Every name created in a local domain (mailbox, alias, local alias or catchall
 * target) must be storable as a Maildir folder (core/mailbox-name.ts); remote
 * targets keep the wider RFC 5321 syntax ("a/b@remote.example" is a valid address).
 */
export function requireMailboxName(a: { address: string; local: string }): void {
  const problem = mailboxNameProblem(a.local);
  if (problem) throw new DirectoryError(`"${a.address}" cannot be a local mailbox or alias: ${problem}.`);
}
