// S7: lines longer than 1000 octets including CRLF (RFC 5321 4.5.3.1.6; Sun
// rejectsmtplonglines / wrapsmtplonglines / truncatesmtplonglines). This file decides
// WHERE a long line is cut or broken; line-stream.ts finds long lines in the stream.
//
// - truncate: the line keeps its first 998 octets, then CRLF; the rest is dropped.
// - wrap: the line is broken into lines of at most 998 octets + CRLF without breaking
//   MIME: header lines are folded before a space or tab (RFC 5322 2.2.3); a
//   quoted-printable body gets soft line breaks "=" CRLF that never split an "=XX"
//   escape; a base64 body gets plain CRLFs (decoders skip them); any other body gets a
//   CRLF (after a space when there is one near the end): that changes the text.
// A cut never splits a UTF-8 character, and a broken-off rest never starts with "--"
// (it could pose as a MIME boundary).

export type LongLinesMode = 'reject' | 'wrap' | 'truncate';
export type WrapContext = 'header' | 'base64' | 'quoted-printable' | 'text';

/** Most octets of a line before its CRLF (RFC 5321: 1000 including CRLF). */
export const MAX_LINE = 998;

const SP = 0x20;
const HT = 0x09;
const DASH = 0x2d;
const EQ = 0x3d;

/**
 * The largest cut <= `at` that does not split a UTF-8 sequence. Octets that are not
 * UTF-8 (latin1 text, binary) are cut at `at`.
 */
export function utf8Cut(b: Buffer, at: number): number {
  if (at >= b.length || (b[at] & 0xc0) !== 0x80) return at;
  for (let j = at - 1; j >= Math.max(0, at - 3); j--) {
    const c = b[j];
    if ((c & 0xc0) === 0xc0) return j; // lead byte: cut before the character
    if ((c & 0xc0) !== 0x80) break;
  }
  return at;
}

/** Where a truncated line is cut (its first `cut` octets are kept). */
export function truncateAt(line: Buffer): number {
  return utf8Cut(line, MAX_LINE);
}

export interface Break {
  /** Octets [0, cut) form the output line. */
  cut: number;
  /** The rest starts at `resume` (equal to cut, or cut + 0 with `insertSpace`). */
  resume: number;
  /** Quoted-printable soft line break: "=" before the CRLF. */
  soft: boolean;
  /** Header fold without whitespace to fold at: the rest gets a leading space (changes the value). */
  insertSpace: boolean;
}

function dashes(b: Buffer, i: number): boolean {
  return b[i] === DASH && b[i + 1] === DASH;
}

/**
 * Where to break a line that is longer than MAX_LINE. `b` holds at least MAX_LINE + 1
 * octets of the line's content (no line end). `fieldStart`: the line is the first line
 * of a header field (folding must come after the colon).
 */
export function wrapAt(b: Buffer, ctx: WrapContext, fieldStart = false): Break {
  switch (ctx) {
    case 'header': {
      // Fold before the last space or tab that leaves something other than whitespace
      // on this line (and, on a field's first line, comes after the colon).
      let lo = 0;
      while (lo < b.length && (b[lo] === SP || b[lo] === HT)) lo++;
      if (fieldStart) {
        const colon = b.indexOf(0x3a);
        if (colon >= 0 && colon < MAX_LINE) lo = Math.max(lo, colon + 1);
      }
      for (let i = MAX_LINE; i > lo; i--) {
        if (b[i] === SP || b[i] === HT) return { cut: i, resume: i, soft: false, insertSpace: false };
      }
      const cut = utf8Cut(b, MAX_LINE);
      return { cut, resume: cut, soft: false, insertSpace: true };
    }
    case 'base64':
      return { cut: MAX_LINE, resume: MAX_LINE, soft: false, insertSpace: false };
    case 'quoted-printable': {
      // Room for the "=" of the soft break; never inside "=XX"; the rest must not start with "--".
      let cut = MAX_LINE - 1;
      while (cut > MAX_LINE - 16 && (b[cut - 1] === EQ || b[cut - 2] === EQ || dashes(b, cut))) cut--;
      return { cut, resume: cut, soft: true, insertSpace: false };
    }
    case 'text': {
      // After the last space in the final 100 octets (the space ends the line, as in
      // format=flowed), else at MAX_LINE; never inside a UTF-8 character.
      for (let i = MAX_LINE - 1; i >= MAX_LINE - 100; i--) {
        if (b[i] === SP && !dashes(b, i + 1)) return { cut: i + 1, resume: i + 1, soft: false, insertSpace: false };
      }
      let cut = utf8Cut(b, MAX_LINE);
      while (cut > MAX_LINE - 8 && dashes(b, cut)) cut = utf8Cut(b, cut - 1);
      return { cut, resume: cut, soft: false, insertSpace: false };
    }
  }
}

const CRLF = Buffer.from('\r\n');
const SOFT = Buffer.from('=\r\n');
const SPACE = Buffer.from(' ');

/** Octets of a line before its line end (CRLF or a bare LF). */
export function contentLength(line: Buffer): number {
  const n = line.length;
  if (n && line[n - 1] === 0x0a) return n >= 2 && line[n - 2] === 0x0d ? n - 2 : n - 1;
  return n;
}

/**
 * Truncates or wraps one complete line held in memory (a header line: the header
 * steps see whole fields first). Returns the resulting lines, each with a line end.
 */
export function fixLine(line: Buffer, how: 'truncate' | 'wrap', ctx: WrapContext): Buffer[] {
  const len = contentLength(line);
  if (len <= MAX_LINE) return [line];
  let content = line.subarray(0, len);
  if (how === 'truncate') return [Buffer.concat([content.subarray(0, truncateAt(content)), CRLF])];
  const term = len === line.length ? Buffer.alloc(0) : line.subarray(len);
  const out: Buffer[] = [];
  let first = true;
  while (content.length > MAX_LINE) {
    const br = wrapAt(content, ctx, first && ctx === 'header' && content[0] !== SP && content[0] !== HT);
    out.push(Buffer.concat([content.subarray(0, br.cut), br.soft ? SOFT : CRLF]));
    content = br.insertSpace ? Buffer.concat([SPACE, content.subarray(br.resume)]) : content.subarray(br.resume);
    first = false;
  }
  out.push(Buffer.concat([content, term]));
  return out;
}
