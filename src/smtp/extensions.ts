// The EHLO keyword list (RFC 5321 4.1.1.1). AUTH appears only where it may be
// used: after TLS, or on a loopback listener that allows plaintext AUTH.

import type { SessionInfo } from '../core/envelope.js';
import type { Snapshot } from '../config/load.js';

export function authOffered(info: SessionInfo): boolean {
  return !info.authUser && (info.tls !== undefined || info.listener.allowInsecureAuth);
}

/** `size`: the SIZE value (S1/S3: listener or global size, capped by sourceBlockLimit/blockLimit; from policy). */
export function ehloKeywords(info: SessionInfo, config: Snapshot, size: number, tlsAvailable: boolean): string[] {
  const kw = [
    'PIPELINING',
    `SIZE ${size}`,
    `LIMITS RCPTMAX=${config.limits.maxRecipients}`,
    '8BITMIME',
    'SMTPUTF8',
    'ENHANCEDSTATUSCODES',
    'DSN',
    'CHUNKING',
  ];
  if (!info.tls && tlsAvailable) kw.push('STARTTLS');
  if (authOffered(info)) kw.push('AUTH PLAIN LOGIN');
  return kw;
}
