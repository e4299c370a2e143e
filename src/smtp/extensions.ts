// The EHLO keyword list (RFC 5321 4.1.1.1). AUTH appears only where it may be
// used: after TLS, or on a loopback listener that allows plaintext AUTH.

import type { SmtpSession } from './session.js';
import { advertisedSize } from '../policy/size-limits.js';

export function authOffered(s: SmtpSession): boolean {
  return !s.info.authUser && (s.info.tls !== undefined || s.info.listener.allowInsecureAuth);
}

export function ehloKeywords(s: SmtpSession): string[] {
  const limits = s.config.limits;
  const kw = [
    'PIPELINING',
    `SIZE ${advertisedSize(s.config, s.info.listener).bytes}`, // S1/S3: listener or global size, capped by sourceBlockLimit/blockLimit
    `LIMITS RCPTMAX=${limits.maxRecipients}`,
    '8BITMIME',
    'SMTPUTF8',
    'ENHANCEDSTATUSCODES',
    'DSN',
    'CHUNKING',
  ];
  if (!s.info.tls && s.deps.tls.available) kw.push('STARTTLS');
  if (authOffered(s)) kw.push('AUTH PLAIN LOGIN');
  return kw;
}
