// P6: the Received trace header (RFC 5321 4.4) with RFC 3848 / RFC 6531
// with-types: ESMTP, ESMTPS (TLS), ESMTPA (AUTH), ESMTPSA, UTF8SMTP*, or SMTP.

import type { SessionInfo } from '../core/envelope.js';

export interface ReceivedInput {
  session: Readonly<SessionInfo>;
  hostname: string;
  queueId: string;
  smtputf8: boolean;
  /** The single recipient, if exactly one (RFC 5321 "for" clause). */
  singleRcpt?: string;
  date: Date;
  /** R9: leave the client IP out (per listener). */
  hideClientIp?: boolean;
}

export function withType(s: Readonly<SessionInfo>, smtputf8: boolean): string {
  if (!s.esmtp) return 'SMTP';
  const base = smtputf8 ? 'UTF8SMTP' : 'ESMTP';
  return base + (s.tls ? 'S' : '') + (s.authUser ? 'A' : '');
}

/** Folded, CRLF-terminated header field. */
export function receivedHeader(r: ReceivedInput): string {
  const s = r.session;
  // R9: an address-literal HELO ("[192.0.2.7]", what many MUAs send) is the client IP too.
  const helo = s.helo && !(r.hideClientIp && s.helo.startsWith('[')) ? sanitize(s.helo) : 'unknown';
  const tcpInfo = r.hideClientIp ? '' : ` (${addressLiteral(s.remoteAddress)})`;
  const lines = [`Received: from ${helo}${tcpInfo}`];
  const tls = s.tls ? ` (using ${s.tls.protocol} with cipher ${s.tls.cipher})` : '';
  lines.push(`\tby ${r.hostname}${tls} with ${withType(s, r.smtputf8)} id ${r.queueId}`);
  if (r.singleRcpt) lines.push(`\tfor <${sanitize(r.singleRcpt)}>`);
  lines[lines.length - 1] += `; ${rfc5322Date(r.date)}`;
  return lines.join('\r\n') + '\r\n';
}

function addressLiteral(ip: string): string {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return v4.includes(':') ? `[IPv6:${v4}]` : `[${v4}]`;
}

/** Keeps client-supplied text from breaking the header (no CR, LF, parentheses games). */
function sanitize(s: string): string {
  return s.replace(/[^\x21-\x7e\u0080-\uffff]/g, '?').replace(/[()\\;]/g, '?');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 date-time in UTC, e.g. "Sat, 21 Nov 2026 05:34:25 +0000". */
export function rfc5322Date(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
