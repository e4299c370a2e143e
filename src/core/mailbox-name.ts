// Which local parts can name a mailbox. Local delivery stores a mailbox as the
// directory <dataDir>/mail/<domain>/<local>/Maildir, so the local part is one file
// name: the directory (every name created in a local domain), the RCPT check and
// the Maildir path code all ask this one function, so nothing is accepted at RCPT
// that delivery would refuse.

import { join } from 'node:path';

/** RFC 5321 4.5.3.1.1: at most 64 octets; also well under a file name's 255. */
export const MAX_LOCAL_PART_OCTETS = 64;

/**
 * Why `local` cannot name a Maildir mailbox, as a phrase for an error message, or
 * undefined when it can. Refused: empty, longer than 64 octets (UTF-8), a "/" or
 * "\" (path separators), NUL and other control characters (C0, DEL, C1), "." and
 * "..", a leading dot (a hidden directory, and no RFC 5321 dot-atom starts with
 * one), and text that is not valid Unicode (no file name can hold it).
 */
export function mailboxNameProblem(local: string): string | undefined {
  if (local.length === 0) return 'the local part is empty';
  if (/[\uD800-\uDFFF]/u.test(local)) return 'the local part is not valid Unicode'; // a lone surrogate
  if (Buffer.byteLength(local, 'utf8') > MAX_LOCAL_PART_OCTETS) return `the local part is longer than ${MAX_LOCAL_PART_OCTETS} octets`;
  if (local.includes('/')) return 'the local part contains "/", which a Maildir folder name cannot hold';
  if (local.includes('\\')) return 'the local part contains "\\", which a Maildir folder name cannot hold';
  if (/[\x00-\x1f\x7f-\x9f]/.test(local)) return 'the local part contains a control character';
  if (local === '.' || local === '..') return `the local part "${local}" names a directory link`;
  if (local.startsWith('.')) return 'the local part starts with "."';
  return undefined;
}

/**
 * Characters Dovecot accepts in a user name by default (auth_username_chars): a
 * mailbox outside this set can be stored and delivered to, but Dovecot refuses the
 * login unless its auth_username_chars is widened (or emptied).
 */
const DOVECOT_DEFAULT_USERNAME_CHARS = /^[a-zA-Z0-9.\-_@]*$/;

/** True when Dovecot with its default auth_username_chars would accept this address as a user name. */
export function dovecotDefaultAccepts(address: string): boolean {
  return DOVECOT_DEFAULT_USERNAME_CHARS.test(address);
}

/**
 * Maildir of a mailbox: <dataDir>/mail/<domain>/<local>/Maildir. A name that cannot
 * be stored (core/mailbox-name.ts; e.g. a row written into the directory before it
 * validated names) fails permanently: retrying could never deliver it.
 */
export function maildirPath(dataDir: string, mailbox: string): string {
  const at = mailbox.lastIndexOf('@');
  const local = mailbox.slice(0, at);
  const domain = mailbox.slice(at + 1);
  const problem = mailboxNameProblem(local) ?? (/[/\\\0]|^\.|^$/.test(domain) ? 'the domain cannot be a folder name' : undefined);
  if (problem) throw Object.assign(new Error(`unsafe mailbox name ${mailbox}: ${problem}`), { permanent: true });
  return join(dataDir, 'mail', domain, local, 'Maildir');
}
