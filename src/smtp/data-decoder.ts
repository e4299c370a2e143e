// Streaming decoder for the DATA phase (RFC 5321 4.1.1.4, 4.5.2).
//
// Only <CRLF>.<CRLF> ends the message: a bare LF or bare CR is never taken as a
// line end, so "\n.\n" or "\r.\r" cannot smuggle a second message past us
// (CVE-2023-51766 family). Bare line endings are counted and passed through as
// content; the session decides to refuse them. Dot-unstuffing and the end marker
// are recognised across chunk boundaries. Output is zero-copy slices of the input.

const CR = 13;
const LF = 10;
const DOT = 46;

const enum State {
  LineStart, // after CRLF (or at the very start): a dot here is special
  Mid, // inside a line
  Cr, // saw CR inside a line, expecting LF
  Dot, // saw "." at line start
  DotCr, // saw ".\r" at line start
}

export interface DecodeResult {
  /** Decoded content slices, in order (share memory with the input chunk). */
  out: Buffer[];
  /** Set when the end marker was seen: index in the input just after it (the rest is the next command). */
  endAt?: number;
}

export class DataDecoder {
  private state = State.LineStart;
  /** Bare LF seen (an LF not preceded by CR). */
  bareLf = 0;
  /** Bare CR seen (a CR not followed by LF). */
  bareCr = 0;
  /** Decoded octets so far (after unstuffing, CRLF counted as two). */
  bytes = 0;
  /** True once the end marker was seen. */
  done = false;

  /** Feeds one chunk; returns the decoded slices and, at the end marker, where it ended. */
  push(chunk: Buffer): DecodeResult {
    const out: Buffer[] = [];
    let i = 0;
    let segStart = 0; // start of the pending pass-through slice
    const emit = (end: number) => {
      if (end > segStart) {
        out.push(chunk.subarray(segStart, end));
        this.bytes += end - segStart;
      }
    };
    const emitBytes = (b: Buffer) => {
      out.push(b);
      this.bytes += b.length;
    };
    const n = chunk.length;
    let nextLf = -2; // next LF at or after i once searched, -1: none in the rest of the chunk
    let nextCr = -2;
    while (i < n) {
      switch (this.state) {
        case State.LineStart: {
          if (chunk[i] === DOT) {
            emit(i);
            this.state = State.Dot;
            i++;
            segStart = i; // the dot itself is never emitted here
          } else {
            this.state = State.Mid;
          }
          break;
        }
        case State.Mid: {
          // Fast path: jump to the next CR or LF (native searches; a found position is reused
          // until passed, and "none" is remembered, so a chunk is searched at most once per byte).
          if (nextLf !== -1 && nextLf < i) nextLf = chunk.indexOf(LF, i);
          if (nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i);
          const j = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
          if (j === -1) { i = n; break; }
          if (chunk[j] === LF) {
            this.bareLf++; // content, never a line end
            i = j + 1;
          } else {
            this.state = State.Cr;
            i = j + 1;
          }
          break;
        }
        case State.Cr: {
          if (chunk[i] === LF) {
            this.state = State.LineStart;
            i++;
          } else {
            this.bareCr++;
            this.state = State.Mid; // reprocess this byte inside the line
          }
          break;
        }
        case State.Dot: {
          const c = chunk[i];
          if (c === CR) {
            this.state = State.DotCr;
            i++;
          } else {
            // Stuffed dot: it was dropped; the rest of the line is content.
            this.state = State.Mid;
          }
          break;
        }
        case State.DotCr: {
          if (chunk[i] === LF) {
            // <CRLF>.<CRLF>: the final CRLF before the dot belongs to the message.
            this.done = true;
            this.state = State.LineStart;
            return { out, endAt: i + 1 };
          }
          // ".\r" then not LF: the dot was a stuffed dot; the CR is a bare CR.
          this.bareCr++;
          emitBytes(Buffer.from([CR]));
          segStart = i;
          this.state = State.Mid;
          break;
        }
      }
    }
    // Chunk consumed. In DotCr the CR after a line-start dot is held back: it may be
    // part of the end marker, and is emitted by the next chunk if it is not.
    if (this.state === State.DotCr) {
      // The CR (last byte) must not be emitted yet: it might be the end marker.
      emit(n - 1);
    } else {
      emit(n);
    }
    return { out };
  }
}
