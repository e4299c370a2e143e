// Replies of an SMTP/LMTP peer (RFC 5321 4.2): read from raw bytes with hard
// bounds, so a peer that sends garbage or a line without end costs a clear
// protocol error and a few kilobytes, never unbounded memory.

/** One whole (possibly multi-line) reply. */
export interface Reply {
  code: number;
  /** The lines as received, code prefix included, without CRLF. */
  lines: string[];
  /** RFC 3463 enhanced status code of the first line, when it has one of the reply's class. */
  enhanced?: string;
}

/** Longest reply line we read (RFC 5321 4.5.3.1.5 allows 512 octets; real peers stay far below 4096). */
export const MAX_REPLY_LINE = 4096;
/** Most lines in one reply (an EHLO reply has a dozen). */
export const MAX_REPLY_LINES = 100;
/** Longest diagnostic kept for a recipient (log, queue state, DSN Diagnostic-Code). */
export const MAX_DIAGNOSTIC = 1000;

export class ReplyProtocolError extends Error {}

const LINE = /^([2-5]\d\d)([ -]|$)/;
const ENHANCED = /^\d{3}[ -]([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)/;

/** Splits a byte stream into replies. push() throws ReplyProtocolError on garbage or over-long input. */
export class ReplyReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private lines: string[] = [];

  push(chunk: Buffer): Reply[] {
    const out: Reply[] = [];
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(0x0a, start);
      if (lf < 0) break;
      const piece = chunk.subarray(start, lf);
      start = lf + 1;
      const bytes = this.pendingBytes ? Buffer.concat([...this.pending, piece]) : piece;
      this.pending = [];
      this.pendingBytes = 0;
      if (bytes.length > MAX_REPLY_LINE) throw new ReplyProtocolError(`reply line longer than ${MAX_REPLY_LINE} bytes`);
      const reply = this.line(bytes.toString('utf8').replace(/\r$/, ''));
      if (reply) out.push(reply);
    }
    const rest = chunk.subarray(start);
    if (rest.length) {
      this.pendingBytes += rest.length;
      if (this.pendingBytes > MAX_REPLY_LINE) throw new ReplyProtocolError(`reply line longer than ${MAX_REPLY_LINE} bytes`);
      this.pending.push(Buffer.from(rest)); // a copy: the socket may reuse its buffer
    }
    return out;
  }

  /** Forgets partial input (after STARTTLS nothing sent in clear may be kept, RFC 3207 6). */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.lines = [];
  }

  private line(text: string): Reply | undefined {
    const m = LINE.exec(text);
    if (!m) throw new ReplyProtocolError(`unparsable reply ${JSON.stringify(clip(text, 80))}`);
    if (this.lines.length && !this.lines[0].startsWith(m[1])) throw new ReplyProtocolError(`reply lines with different codes (${this.lines[0].slice(0, 3)}, ${m[1]})`);
    this.lines.push(text);
    if (this.lines.length > MAX_REPLY_LINES) throw new ReplyProtocolError(`reply of more than ${MAX_REPLY_LINES} lines`);
    if (m[2] === '-') return undefined;
    const lines = this.lines;
    this.lines = [];
    const code = Number(m[1]);
    const e = ENHANCED.exec(lines[0]);
    return { code, lines, enhanced: e && e[1] === m[1][0] ? `${e[1]}.${e[2]}.${e[3]}` : undefined };
  }
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** The reply as received, lines joined by a space, control characters dropped, bounded. */
export function replyText(r: Reply): string {
  // eslint-disable-next-line no-control-regex
  return clip(r.lines.join(' ').replace(/[\x00-\x1f\x7f]/g, ' '), MAX_DIAGNOSTIC);
}

/** RFC 3463 status of a reply: its enhanced code, else the class with ".0.0". */
export function replyStatus(r: Reply): string {
  return r.enhanced ?? `${String(r.code)[0]}.0.0`;
}

/** The same status made temporary (RFC 5321 4.5.3.1.10: 552 at RCPT means 452). */
export function asTemporary(status: string): string {
  return `4${status.slice(1)}`;
}

/** 2xx: the command was taken (a 3xx only ever answers DATA and AUTH, which check for it themselves). */
export function isPositive(r: Reply): boolean {
  return r.code >= 200 && r.code < 300;
}
