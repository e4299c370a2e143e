// The header and MIME side of the cleanup stage: assembles header fields (a field with
// its folded lines), applies the header steps to them (S5 count, S8 parameters, S6
// size) and, when wrapping or MIME processing needs it, follows the MIME structure of
// the body: boundaries from each part's Content-Type (nested multiparts, a stack),
// message/rfc822 parts (their header is read like a part header), and each part's
// Content-Transfer-Encoding (how a long line in it is wrapped). Boundary lines are
// passed through unchanged.
//
// Headers are held one field at a time, so the steps run in the order A5 (our own
// Authentication-Results removed), S8 (parameters), S7 (long header lines are cut or
// folded after S8 has rewritten what it must), S6 (size of what is written). A field over MAX_FIELD octets (possible only with S5 in
// warn mode or a very high maxHeaderLines) is passed on in pieces without S8.

import type { LineConsumer, LongLineEvents } from './line-stream.js';
import { Want, type Output } from './line-stream.js';
import { contentLength, fixLine, MAX_LINE, type WrapContext } from './long-lines.js';
import type { HeaderLineCounter } from './header-lines.js';
import type { HeaderSizeLimit } from './header-size.js';
import { contentTypeInfo, limitMimeParameters, unfoldValue, type ParamLimits } from './mime-parameters.js';
import type { OwnAuthResults } from './own-auth-results.js';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const DASH = 0x2d;
const COLON = 0x3a;
/** Largest header field held whole. */
export const MAX_FIELD = 64 * 1024;
/** Deepest MIME nesting followed; deeper parts are treated as plain content. */
export const MAX_DEPTH = 50;

export interface StructureOptions {
  /** Follow the MIME structure of the body (needed to wrap lines, or for MIME processing). */
  track: boolean;
  /** S8 on every part's header (and embedded messages), not only the outermost one. */
  mimeProcessing: boolean;
  paramLimits: ParamLimits;
  /** S5, primary header only. */
  headerLines: HeaderLineCounter;
  /** S6, primary header only. */
  headerSize: HeaderSizeLimit;
  /** Called once, on the first header line over the S5 limit. */
  onTooManyHeaderLines(): void;
  /** S8: names of the parameters cut, appended. */
  truncatedParams: string[];
  /** S7 for header lines (they arrive whole, so S8 and S6 see them before they are cut). */
  longLines: LongLineEvents;
  /** A5: Authentication-Results fields of the outermost header claiming our authserv-id are dropped. */
  ownAuthResults?: OwnAuthResults;
}

const enum Phase {
  Header,
  Body,
}

type HeaderKind = 'primary' | 'part' | 'embedded';

interface Multipart {
  /** "--" + boundary */
  delim: Buffer;
  digest: boolean;
}

export function isBlank(l: Buffer): boolean {
  return (l.length === 2 && l[0] === CR && l[1] === LF) || (l.length === 1 && l[0] === LF) || l.length === 0;
}

/** "Name:" at the start (RFC 5322 field name: printable ASCII but ":"; obsolete whitespace before the colon allowed). */
export function isFieldLine(l: Buffer): boolean {
  const colon = l.indexOf(COLON);
  if (colon <= 0 || colon > 998) return false;
  let i = 0;
  while (i < colon && l[i] > 32 && l[i] < 127) i++;
  if (i === 0) return false;
  while (i < colon && (l[i] === SP || l[i] === HT)) i++;
  return i === colon;
}

export class MimeStructure implements LineConsumer {
  private phase = Phase.Header;
  private kind: HeaderKind = 'primary';
  private field: Buffer[] = [];
  private fieldSize = 0;
  /** A field too large to hold: its further lines are kept or dropped as they come. */
  private overflow: 'keep' | 'drop' | undefined;
  private contentType: string | undefined;
  private encoding: string | undefined;
  private stack: Multipart[] = [];
  private bodyCtx: WrapContext = 'text';
  private inDigest = false;

  private readonly minParamLimit: number;

  constructor(private readonly o: StructureOptions) {
    this.minParamLimit = Math.min(o.paramLimits.parameterLengthLimit, o.paramLimits.nameParameterLengthLimit);
  }

  want(): Want {
    if (this.phase === Phase.Header) return Want.All;
    return this.o.track && this.stack.length ? Want.Dashes : Want.None;
  }

  context(): WrapContext {
    return this.phase === Phase.Header ? 'header' : this.bodyCtx;
  }

  line(l: Buffer, continued: boolean, out: Output): void {
    if (l[0] === DASH && l[1] === DASH && this.stack.length && this.boundary(l, out)) return;
    if (this.phase === Phase.Body) {
      out.push(l);
      return;
    }
    if (isBlank(l)) {
      this.flushField(out);
      if (l.length) out.push(l);
      this.endHeader();
      return;
    }
    const folded = l[0] === SP || l[0] === HT;
    if (folded && (this.field.length || this.overflow)) {
      this.count(continued);
      this.appendFolded(l, out);
      return;
    }
    if (folded || isFieldLine(l)) {
      this.count(continued);
      this.flushField(out);
      this.field.push(l);
      this.fieldSize = l.length;
      return;
    }
    // Not a header line: the header ends here (no blank line) and this line is content
    // (handed over whole, so S7 applies here, as the stream would have done).
    this.flushField(out);
    this.endHeader();
    const pieces = l.length > MAX_LINE + 2 ? this.fixLong([l], this.context()) : [l];
    pieces?.forEach((p, i) => this.line(p, continued || i > 0, out));
  }

  /** End of the message: a header still being read is written out. */
  end(out: Output): void {
    if (this.phase === Phase.Header) this.flushField(out);
  }

  private count(continued: boolean): void {
    if (this.kind === 'primary' && !continued && this.o.headerLines.add()) this.o.onTooManyHeaderLines();
  }

  private appendFolded(l: Buffer, out: Output): void {
    if (this.overflow) {
      const lines = this.fixLong([l]);
      if (!lines) return;
      const size = lines.reduce((n, b) => n + b.length, 0);
      if (this.overflow === 'keep' && (this.kind !== 'primary' || this.o.headerSize.keep(size, false))) for (const b of lines) out.push(b);
      else this.overflow = 'drop';
      return;
    }
    this.field.push(l);
    this.fieldSize += l.length;
    if (this.fieldSize > MAX_FIELD) this.flushField(out, true);
  }

  /** Writes the held field after S8 and S6; `partial`: only its first part (overflow). */
  private flushField(out: Output, partial = false): void {
    if (!this.field.length) {
      this.overflow = undefined;
      return;
    }
    let lines = this.field;
    let size = this.fieldSize;
    this.field = [];
    this.fieldSize = 0;
    const first = lines[0];
    if (this.kind === 'primary' && this.o.ownAuthResults?.claims(lines)) {
      if (partial) this.overflow = 'drop'; // the rest of a field too long to hold goes too
      return;
    }
    let name = '';
    if (first[0] === 0x43 || first[0] === 0x63) {
      // C or c: only Content-* fields matter here
      const colon = first.indexOf(COLON);
      if (colon > 0) name = first.toString('latin1', 0, colon).trim().toLowerCase();
    }
    let text: string | undefined;
    // A decoded value is never longer than its field's octets: short fields are skipped.
    if (!partial && size > this.minParamLimit && (name === 'content-type' || name === 'content-disposition') && (this.kind === 'primary' || this.o.mimeProcessing)) {
      text = Buffer.concat(lines).toString('latin1');
      const r = limitMimeParameters(text, this.o.paramLimits);
      if (r) {
        text = r.field;
        lines = r.field.split(/(?<=\n)/).map((x) => Buffer.from(x, 'latin1')); // one buffer per line, for S7
        size = lines.reduce((n, b) => n + b.length, 0);
        this.o.truncatedParams.push(...r.truncated);
      }
    }
    const fixed = this.fixLong(lines);
    if (!fixed) return; // refused (S7 reject): nothing more is written
    if (fixed !== lines) {
      lines = fixed;
      size = lines.reduce((n, b) => n + b.length, 0);
    }
    if (this.kind === 'primary' && !this.o.headerSize.keep(size)) {
      if (partial) this.overflow = 'drop';
      return;
    }
    if (partial) this.overflow = 'keep';
    if (this.o.track) {
      if (name === 'content-type' && this.contentType === undefined) this.contentType = unfoldValue(text ?? Buffer.concat(lines).toString('latin1'));
      else if (name === 'content-transfer-encoding' && this.encoding === undefined) this.encoding = unfoldValue(Buffer.concat(lines).toString('latin1'));
    }
    for (const b of lines) out.push(b);
  }

  /** S7 on lines held whole (header lines); undefined when the message is refused. */
  private fixLong(lines: Buffer[], ctx: WrapContext = 'header'): Buffer[] | undefined {
    let res: Buffer[] | undefined;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (l.length <= MAX_LINE + 2 || contentLength(l) <= MAX_LINE) {
        res?.push(l);
        continue;
      }
      res ??= lines.slice(0, i);
      const how = this.o.longLines.longLine();
      if (how === 'swallow') return undefined;
      if (how === 'truncate') this.o.longLines.truncated++;
      else this.o.longLines.wrapped++;
      for (const b of fixLine(l, how, ctx)) res.push(b);
    }
    return res ?? lines;
  }

  private startHeader(kind: HeaderKind): void {
    this.phase = Phase.Header;
    this.kind = kind;
    this.field = [];
    this.fieldSize = 0;
    this.overflow = undefined;
    this.contentType = undefined;
    this.encoding = undefined;
  }

  /** The header just ended: what follows is this entity's body. */
  private endHeader(): void {
    this.phase = Phase.Body;
    this.bodyCtx = 'text';
    if (!this.o.track) return;
    let type = this.kind === 'part' && this.inDigest ? 'message/rfc822' : 'text/plain';
    let boundary: string | undefined;
    if (this.contentType !== undefined) {
      const info = contentTypeInfo(this.contentType);
      if (/^[^/\s]+\/[^/\s]+$/.test(info.type)) {
        type = info.type;
        boundary = info.boundary;
      }
    }
    const cte = (this.encoding ?? '').replace(/\(.*?\)/g, '').trim().toLowerCase();
    this.contentType = this.encoding = undefined;
    const deep = this.stack.length >= MAX_DEPTH;
    if (type.startsWith('multipart/') && boundary && !deep) {
      this.stack.push({ delim: Buffer.from('--' + boundary, 'latin1'), digest: type === 'multipart/digest' });
      return; // preamble: text
    }
    if ((type === 'message/rfc822' || type === 'message/global') && cte !== 'base64' && cte !== 'quoted-printable' && !deep) {
      this.startHeader('embedded');
      return;
    }
    this.bodyCtx = cte === 'base64' ? 'base64' : cte === 'quoted-printable' ? 'quoted-printable' : 'text';
  }

  /** A boundary line of an open multipart (innermost first)? Then the structure moves on. */
  private boundary(l: Buffer, out: Output): boolean {
    for (let k = this.stack.length - 1; k >= 0; k--) {
      const d = this.stack[k].delim;
      if (l.length < d.length || l.compare(d, 0, d.length, 0, d.length) !== 0) continue;
      let e = l.length;
      while (e > d.length && (l[e - 1] === LF || l[e - 1] === CR)) e--;
      const close = e >= d.length + 2 && l[d.length] === DASH && l[d.length + 1] === DASH;
      if (!close) {
        let i = d.length;
        while (i < e && (l[i] === SP || l[i] === HT)) i++;
        if (i < e) continue; // "--boundaryX": another string, not this boundary
      }
      if (l.length > MAX_LINE + 2 && contentLength(l) > MAX_LINE) {
        // Only a line read as a header line gets here this long: the boundary and what
        // follows it (transport padding) are kept, the rest cut, whatever the mode.
        const how = this.o.longLines.longLine();
        if (how === 'swallow') return true;
        this.o.longLines.truncated++;
        l = fixLine(l, 'truncate', 'text')[0];
      }
      if (this.phase === Phase.Header) this.flushField(out); // a part header cut short
      this.stack.length = k + 1; // inner multiparts end with their parent's boundary
      if (close) {
        this.stack.pop();
        this.phase = Phase.Body;
        this.bodyCtx = 'text'; // epilogue
      } else {
        this.inDigest = this.stack[k].digest;
        this.startHeader('part');
      }
      out.push(l);
      return true;
    }
    return false;
  }
}
