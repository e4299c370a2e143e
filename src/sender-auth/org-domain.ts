// Organizational domains (RFC 7489 3.2) from the Public Suffix List shipped in the
// tldts package (the list mailauth uses; no fetching at run time). Both sections
// of the list count, as in mailauth, so blog.example.github.io and
// shop.example.github.io are different organizations.

import { getDomain } from 'tldts';
import { domainToASCII } from 'node:url';

const OPTS = { allowIcannDomains: true, allowPrivateDomains: true };

/** Lower-case A-label form without a trailing dot; '' when it is not a domain. */
export function normalizeDomain(domain: string): string {
  return domainToASCII(domain.trim().replace(/\.$/, '').toLowerCase());
}

/** The organizational domain; a public suffix or unknown name is its own. */
export function organizationalDomain(domain: string): string {
  const d = normalizeDomain(domain);
  return getDomain(d, OPTS) ?? d;
}

/** DMARC identifier alignment: strict = the same domain, relaxed = the same organizational domain. */
export function aligned(a: string, b: string, mode: 'r' | 's'): boolean {
  const x = normalizeDomain(a);
  const y = normalizeDomain(b);
  if (!x || !y) return false;
  if (mode === 's') return x === y;
  return organizationalDomain(x) === organizationalDomain(y);
}
