// The streaming core of the cleanup stage: cuts the message (dot-decoded, CRLF line
// ends) into lines, finds lines over 1000 octets (S7) and hands lines to the MIME
// structure consumer only where it needs them. Memory stays flat: a partial line is
// at most 999 octets; a long line is processed in windows of about 1000 octets.
//
// Fast path: where the consumer needs no lines (the body, when neither wrapping nor MIME
// processing is on) a chunk is checked with one lastIndexOf per 1000 octets and passed
// on as one zero-copy slice.

import { MAX_LINE, truncateAt, wrapAt, type WrapContext } from './long-lines.js';

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
/** Most octets of a line including its line end. */
const MAX_OCTETS = MAX_LINE + 2;
/**
 * Header lines are handed over whole up to this size (S8 and S6 work on whole fields,
 * S7 then applies to what they write); longer ones are cut or wrapped in the stream.
 */
export const HEADER_LINE_MAX = 64 * 1024;
const CRLF = Buffer.from('\r\n');
const SOFT_BREAK = Buffer.from('=\r\n');
const SPACE = Buffer.from(' ');

/**
 * Where cleaned bytes go. Slices that continue each other in the same memory (e.g. the
 * unchanged header lines of one chunk) leave as one slice, made once, not one per line.
 */
export class Output {
  private readonly bufs: Buffer[] = [];
  private run: Buffer | undefined;
  private runLen = 0;

  push(b: Buffer): void {
    if (!b.length) return;
    const r = this.run;
    if (r !== undefined && r.buffer === b.buffer && r.byteOffset + this.runLen === b.byteOffset) {
      this.runLen += b.length;
      return;
    }
    this.close();
    this.run = b;
    this.runLen = b.length;
  }

  private close(): void {
    const r = this.run;
    if (!r) return;
    this.bufs.push(this.runLen === r.length ? r : Buffer.from(r.buffer, r.byteOffset, this.runLen));
    this.run = undefined;
  }

  /** The slices so far, in order. */
  take(): Buffer[] {
    this.close();
    return this.bufs;
  }
}

export const enum Want {
  /** Pass bytes through; no lines needed. */
  None,
  /** Only lines starting with "--" (possible MIME boundaries). */
  Dashes,
  /** Every line (a header is being read). */
  All,
}

export interface LineConsumer {
  /** Which lines the consumer wants now (may change after each line it is given). */
  want(): Want;
  /**
   * One line with its line end (none only for a last line without one). The consumer
   * writes whatever it outputs to `out`. `continued`: a piece of a wrapped line after
   * the first (not a line the client sent).
   */
  line(l: Buffer, continued: boolean, out: Output): void;
  /** What kind of content the current line is, to wrap it correctly. */
  context(): WrapContext;
}

export interface LongLineEvents {
  /**
   * Called once per long line; returns 'swallow' when the message will be refused
   * (the rest of the input is then read and dropped), else how to handle it.
   */
  longLine(): 'swallow' | 'truncate' | 'wrap';
  truncated: number;
  wrapped: number;
}

interface Long {
  kind: 'skip' | 'wrap';
  /** wrap: the part of the line not yet written. */
  win?: Buffer;
  ctx?: WrapContext;
  first?: boolean;
}

export class LineStream {
  /** Once set, nothing more is passed on (the message will be refused). */
  swallow = false;
  private partial: Buffer[] = [];
  private partialLen = 0;
  private long: Long | undefined;

  constructor(
    private readonly consumer: LineConsumer,
    private readonly events: LongLineEvents,
  ) {}

  /** Feeds one chunk; output slices are appended to `out`. */
  push(chunk: Buffer, out: Output): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n && !this.swallow) {
      if (this.long) {
        pos = this.feedLong(chunk, pos, out);
        continue;
      }
      if (this.partialLen) {
        const room = this.cap() - this.partialLen; // octets this line may still take, LF included
        const lim = Math.min(n, pos + room);
        let q = chunk.indexOf(LF, pos);
        if (q >= lim) q = -1;
        if (q >= 0) {
          const line = Buffer.concat([...this.partial, chunk.subarray(pos, q + 1)]);
          this.partial = [];
          this.partialLen = 0;
          this.deliver(line, false, out);
          pos = q + 1;
        } else if (lim === n && n - pos < room) {
          this.partial.push(chunk.subarray(pos));
          this.partialLen += n - pos;
          pos = n;
        } else {
          const prefix = Buffer.concat([...this.partial, chunk.subarray(pos, lim)]);
          this.partial = [];
          this.partialLen = 0;
          this.startLong(prefix, out);
          pos = lim;
        }
        continue;
      }
      const want = this.consumer.want();
      pos = want === Want.None ? this.fast(chunk, pos, out) : this.byLine(chunk, pos, out, want);
    }
  }

  /** Passes whole short lines through as one slice; stops at a long or partial line. */
  private fast(chunk: Buffer, pos: number, out: Output): number {
    const n = chunk.length;
    const start = pos;
    for (;;) {
      const winEnd = pos + MAX_OCTETS - 1; // the LF of a line starting at pos may be here at the latest
      if (winEnd >= n - 1) {
        const p = chunk.lastIndexOf(LF, n - 1);
        if (p >= pos) pos = p + 1;
        if (pos > start) out.push(chunk.subarray(start, pos));
        if (pos < n) {
          if (n - pos < MAX_OCTETS) {
            this.partial.push(chunk.subarray(pos));
            this.partialLen = n - pos;
            return n;
          }
          // exactly MAX_OCTETS octets left without LF: a long line
          this.startLong(chunk.subarray(pos, pos + MAX_OCTETS), out);
          return pos + MAX_OCTETS;
        }
        return n;
      }
      const p = chunk.lastIndexOf(LF, winEnd);
      if (p >= pos) {
        pos = p + 1;
        continue;
      }
      if (pos > start) out.push(chunk.subarray(start, pos));
      this.startLong(chunk.subarray(pos, pos + MAX_OCTETS), out);
      return pos + MAX_OCTETS;
    }
  }

  /** Longest line handed over whole: a header line may be long, S7 is applied after S8/S6. */
  private cap(): number {
    return this.consumer.want() === Want.All ? HEADER_LINE_MAX : MAX_OCTETS;
  }

  /** Line by line while the consumer wants lines; runs of unwanted lines pass as one slice. */
  private byLine(chunk: Buffer, pos: number, out: Output, want: Want): number {
    const n = chunk.length;
    const cap = want === Want.All ? HEADER_LINE_MAX : MAX_OCTETS;
    let run = pos;
    const flushRun = (to: number) => {
      if (to > run) out.push(chunk.subarray(run, to));
    };
    while (pos < n) {
      const q = chunk.indexOf(LF, pos);
      const lineEnd = q < 0 ? n : q + 1;
      if (lineEnd - pos > cap || (q < 0 && n - pos >= cap)) {
        flushRun(pos);
        this.startLong(chunk.subarray(pos, pos + MAX_OCTETS), out);
        return pos + MAX_OCTETS;
      }
      if (q < 0) {
        flushRun(pos);
        this.partial.push(chunk.subarray(pos));
        this.partialLen = n - pos;
        return n;
      }
      if (want === Want.All || (chunk[pos] === DASH && chunk[pos + 1] === DASH)) {
        flushRun(pos);
        this.consumer.line(chunk.subarray(pos, lineEnd), false, out);
        run = lineEnd;
        pos = lineEnd;
        if (this.swallow) return n;
        const w = this.consumer.want();
        if (w !== want) return pos; // the caller picks the new way
      } else {
        pos = lineEnd;
      }
    }
    flushRun(pos);
    return pos;
  }

  /** A complete line (at most MAX_OCTETS octets, or a last line) goes to the consumer or out. */
  private deliver(line: Buffer, continued: boolean, out: Output): void {
    const want = this.consumer.want();
    if (want === Want.All || (want === Want.Dashes && line[0] === DASH && line[1] === DASH)) this.consumer.line(line, continued, out);
    else out.push(line);
  }

  /** `prefix`: the first MAX_OCTETS octets of a line that has no LF among them. */
  private startLong(prefix: Buffer, out: Output): void {
    const how = this.events.longLine();
    if (how === 'swallow') {
      this.swallow = true;
      this.partial = [];
      this.partialLen = 0;
      return;
    }
    if (how === 'truncate') {
      this.events.truncated++;
      const cut = truncateAt(prefix);
      this.deliver(Buffer.concat([prefix.subarray(0, cut), CRLF]), false, out);
      this.long = { kind: 'skip' };
      return;
    }
    this.events.wrapped++;
    this.long = { kind: 'wrap', win: prefix, ctx: this.consumer.context(), first: true };
    this.drainWrap(false, out);
  }

  /** Continues a long line; returns the position after it (or the chunk's end). */
  private feedLong(chunk: Buffer, pos: number, out: Output): number {
    const long = this.long!;
    const q = chunk.indexOf(LF, pos);
    if (long.kind === 'skip') {
      if (q < 0) return chunk.length;
      this.long = undefined;
      return q + 1;
    }
    const end = q < 0 ? chunk.length : q;
    // Take the segment in windows so a huge line never sits in memory whole.
    let p = pos;
    while (p < end) {
      const take = Math.min(end - p, 16 * 1024);
      long.win = Buffer.concat([long.win!, chunk.subarray(p, p + take)]);
      p += take;
      this.drainWrap(false, out);
    }
    if (q < 0) return chunk.length;
    // End of the long line: the CR of its CRLF is in the window (or there was a bare LF).
    let win = long.win!;
    const term = win.length && win[win.length - 1] === CR ? CRLF : Buffer.from([LF]);
    if (term === CRLF) win = win.subarray(0, win.length - 1);
    long.win = win;
    this.drainWrap(true, out);
    this.deliver(Buffer.concat([long.win, term]), !long.first, out);
    this.long = undefined;
    return q + 1;
  }

  /**
   * Breaks full lines off the window. Before the line's end is known only when the
   * window holds MAX_LINE + 2 octets (the last may be the CR of the CRLF); at the end
   * while the rest is longer than MAX_LINE.
   */
  private drainWrap(final: boolean, out: Output): void {
    const long = this.long!;
    let win = long.win!;
    while (final ? win.length > MAX_LINE : win.length >= MAX_OCTETS) {
      const fieldStart = long.first === true && long.ctx === 'header' && win[0] !== 0x20 && win[0] !== 0x09;
      const br = wrapAt(win, long.ctx!, fieldStart);
      const piece = Buffer.concat([win.subarray(0, br.cut), br.soft ? SOFT_BREAK : CRLF]);
      this.deliver(piece, !long.first, out);
      long.first = false;
      win = br.insertSpace ? Buffer.concat([SPACE, win.subarray(br.resume)]) : win.subarray(br.resume);
    }
    long.win = win;
  }

  /** End of the message: a last line without line end is passed on. */
  end(out: Output): void {
    if (this.swallow) return;
    if (this.long) {
      if (this.long.kind === 'wrap') {
        this.drainWrap(true, out);
        if (this.long.win!.length) this.deliver(this.long.win!, !this.long.first, out);
      }
      this.long = undefined;
    } else if (this.partialLen) {
      this.deliver(Buffer.concat(this.partial), false, out);
      this.partial = [];
      this.partialLen = 0;
    }
  }
}
