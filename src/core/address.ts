// Strict RFC 5321 path parsing (section 4.1.2), with the RFC 6531 SMTPUTF8
// extension. No address rewriting tricks are ever interpreted: "%", "!" and a
// quoted "@" are just characters of a local part, so they can never open a relay.

import { isIP } from 'node:net';

export interface Address {
  /** Local part as given, with quotes removed from a quoted-string and quoted-pairs resolved. */
  local: string;
  /** Domain in lower case; for a literal, the bracketed text, e.g. "[192.0.2.1]". */
  domain: string;
  /** Set when the domain is an address literal. */
  literal?: { kind: 'ipv4' | 'ipv6' | 'general'; value: string };
  /** True when the local part was a quoted-string. */
  quoted: boolean;
  /** The mailbox text as the client sent it (without angle brackets and source route). */
  raw: string;
}

export type PathResult =
  | { ok: true; address: Address | null; rest: string } // null = the null reverse-path "<>"
  | { ok: false; error: string };

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]$/;
const LIMIT_LOCAL = 64;
const LIMIT_DOMAIN = 255;
const LIMIT_PATH = 256;

function isAtext(ch: string, utf8: boolean): boolean {
  if (ATEXT.test(ch)) return true;
  return utf8 && ch.codePointAt(0)! >= 0x80;
}

/**
 * Parses "<path>" at the start of `s` (a MAIL FROM:/RCPT TO: argument with the
 * keyword removed). Returns the address and the remaining text (the parameters).
 * `utf8` allows non-ASCII in local part and domain (SMTPUTF8 was requested).
 */
export function parsePath(s: string, opts: { utf8: boolean; allowNull: boolean; allowPostmaster?: boolean }): PathResult {
  if (!s.startsWith('<')) return { ok: false, error: 'address must be enclosed in <>' };
  const close = findPathEnd(s);
  if (close < 0) return { ok: false, error: 'missing closing >' };
  const inner = s.slice(1, close);
  const rest = s.slice(close + 1);
  if (rest.length && !rest.startsWith(' ')) return { ok: false, error: 'unexpected text after address' };
  if (!opts.utf8 && /[^\x00-\x7f]/.test(inner)) return { ok: false, error: 'non-ASCII address without SMTPUTF8' };
  if (/[\x00-\x1f\x7f]/.test(inner)) return { ok: false, error: 'control character in address' };
  if (Buffer.byteLength(inner) + 2 > LIMIT_PATH) return { ok: false, error: 'address too long' };
  if (inner === '') {
    return opts.allowNull ? { ok: true, address: null, rest: rest.trimStart() } : { ok: false, error: 'null address not allowed here' };
  }
  let mailbox = inner;
  // Source route "@a,@b:user@c": RFC 5321 3.6.1 says servers SHOULD ignore the route
  // and use the final mailbox. We validate the route's syntax, then drop it.
  if (mailbox.startsWith('@')) {
    const colon = mailbox.indexOf(':');
    if (colon < 0) return { ok: false, error: 'malformed source route' };
    const route = mailbox.slice(0, colon).split(',');
    for (const hop of route) {
      if (!hop.startsWith('@') || !isDomain(hop.slice(1), opts.utf8)) return { ok: false, error: 'malformed source route' };
    }
    mailbox = mailbox.slice(colon + 1);
  }
  if (opts.allowPostmaster && /^postmaster$/i.test(mailbox)) {
    return { ok: true, address: { local: 'postmaster', domain: '', quoted: false, raw: mailbox }, rest: rest.trimStart() };
  }
  const parsed = parseMailbox(mailbox, opts.utf8);
  if (typeof parsed === 'string') return { ok: false, error: parsed };
  return { ok: true, address: parsed, rest: rest.trimStart() };
}

/** Index of the ">" closing the path, skipping quoted strings. */
function findPathEnd(s: string): number {
  let inQuote = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === '>') return i;
    else if (c === '<') return -1;
  }
  return -1;
}

/** Parses "local@domain" strictly; returns the address or an error sentence. */
export function parseMailbox(mailbox: string, utf8: boolean): Address | string {
  let local: string;
  let i: number;
  let quoted = false;
  if (mailbox.startsWith('"')) {
    quoted = true;
    local = '';
    i = 1;
    for (;;) {
      if (i >= mailbox.length) return 'unterminated quoted local part';
      const c = mailbox[i];
      if (c === '"') { i++; break; }
      if (c === '\\') {
        const n = mailbox[i + 1];
        if (n === undefined || n.charCodeAt(0) < 32 || n.charCodeAt(0) > 126) return 'bad quoted-pair in local part';
        local += n;
        i += 2;
        continue;
      }
      const code = c.codePointAt(0)!;
      const ok = (code >= 32 && code <= 126 && c !== '"' && c !== '\\') || (utf8 && code >= 0x80);
      if (!ok) return 'bad character in quoted local part';
      local += c;
      i += c.length;
    }
    if (mailbox[i] !== '@') return 'missing @ after local part';
  } else {
    const at = mailbox.lastIndexOf('@');
    if (at <= 0) return 'missing local part or @';
    local = mailbox.slice(0, at);
    i = at;
    if (!isDotString(local, utf8)) return 'bad local part';
  }
  const localRaw = mailbox.slice(0, i);
  if (Buffer.byteLength(localRaw) > LIMIT_LOCAL) return 'local part too long';
  const domainText = mailbox.slice(i + 1);
  if (domainText.startsWith('[')) {
    const lit = parseAddressLiteral(domainText);
    if (typeof lit === 'string') return lit;
    return { local, domain: domainText.toLowerCase(), literal: lit, quoted, raw: mailbox };
  }
  if (!isDomain(domainText, utf8)) return 'bad domain';
  return { local, domain: domainText.toLowerCase(), quoted, raw: mailbox };
}

function isDotString(s: string, utf8: boolean): boolean {
  if (s === '') return false;
  for (const atom of s.split('.')) {
    if (atom === '') return false; // leading, trailing or double dot
    for (const ch of atom) if (!isAtext(ch, utf8)) return false;
  }
  return true;
}

/** RFC 5321 Domain: sub-domains of letters, digits and inner hyphens; no trailing dot. */
export function isDomain(s: string, utf8: boolean): boolean {
  if (s === '' || Buffer.byteLength(s) > LIMIT_DOMAIN) return false;
  for (const label of s.split('.')) {
    if (label === '' || label.length > 63) return false;
    if (label.startsWith('-') || label.endsWith('-')) return false;
    for (const ch of label) {
      if (/[A-Za-z0-9-]/.test(ch)) continue;
      if (utf8 && ch.codePointAt(0)! >= 0x80) continue;
      return false;
    }
  }
  return true;
}

/** "[192.0.2.1]", "[IPv6:2001:db8::1]" or "[tag:content]" (General-address-literal). */
export function parseAddressLiteral(s: string): { kind: 'ipv4' | 'ipv6' | 'general'; value: string } | string {
  if (!s.startsWith('[') || !s.endsWith(']')) return 'bad address literal';
  const body = s.slice(1, -1);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(body)) {
    return isIP(body) === 4 ? { kind: 'ipv4', value: body } : 'bad IPv4 literal';
  }
  const m = /^([A-Za-z0-9-]*[A-Za-z0-9]):([\x21-\x5a\x5e-\x7e]+)$/.exec(body);
  if (!m) return 'bad address literal';
  if (m[1].toLowerCase() === 'ipv6') {
    // No zone index ("fe80::1%eth0"): node's isIP accepts one, RFC 5321 IPv6-addr does not.
    return isIP(m[2]) === 6 && !m[2].includes('%') ? { kind: 'ipv6', value: m[2].toLowerCase() } : 'bad IPv6 literal';
  }
  return { kind: 'general', value: body };
}

/** Canonical text of an address for logs and envelopes: local@domain, quoting when needed. */
export function formatAddress(a: Address | null): string {
  if (!a) return '';
  if (a.domain === '') return a.local;
  const local = isDotString(a.local, true) ? a.local : `"${a.local.replace(/(["\\])/g, '\\$1')}"`;
  return `${local}@${a.domain}`;
}
