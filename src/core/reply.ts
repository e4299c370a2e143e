// Formatting of SMTP replies: every reply carries an RFC 3463 enhanced code
// (RFC 2034 ENHANCEDSTATUSCODES), multi-line replies use "code-" continuation.

export interface Reply {
  code: number;
  enhanced?: string; // omitted only for the greeting (RFC 2034 excludes 220 banner and EHLO lines)
  lines: string[];
}

/** One reply, CRLF-terminated, ready for the socket. */
export function formatReply(r: Reply): string {
  const lines = r.lines.length ? r.lines : [''];
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const sep = i === lines.length - 1 ? ' ' : '-';
    const text = sanitizeReplyText(lines[i]);
    out += r.enhanced ? `${r.code}${sep}${r.enhanced} ${text}\r\n` : `${r.code}${sep}${text}\r\n`;
  }
  return out;
}

/** Reply text must never contain CR or LF (they would forge extra replies). */
export function sanitizeReplyText(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}
