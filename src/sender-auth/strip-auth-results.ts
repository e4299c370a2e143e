// A5 RFC 8601 section 5: before we add our Authentication-Results, every incoming
// Authentication-Results field that claims our authserv-id is removed, so a sender
// cannot forge our verdict. Fields of other authserv-ids stay (they are other
// ADMDs' claims and harmless to readers who trust only ours); ARC-Authentication-
// Results are part of ARC sets and never touched.
// The filter works on the header block as it streams: fields other than
// Authentication-Results pass at once, a candidate is held until it ends (at most
// 64 KiB; a longer one is decided on its start, where the authserv-id is), and the
// body passes untouched.

import { Transform } from 'node:stream';

const AR_NAME = /^authentication-results[ \t]*:/i;
const MAX_LINE = 64 * 1024;
const MAX_FIELD = 64 * 1024;

/** The authserv-id of an Authentication-Results field (name included, folded or not); '' if none. */
export function authservIdOf(field: string): string {
  let v = field.replace(AR_NAME, '').replace(/\r?\n/g, '');
  // Leading CFWS: white space and (nested) comments.
  for (;;) {
    v = v.replace(/^[ \t]+/, '');
    if (!v.startsWith('(')) break;
    let depth = 0;
    let i = 0;
    for (; i < v.length; i++) {
      if (v[i] === '\\') i++;
      else if (v[i] === '(') depth++;
      else if (v[i] === ')' && --depth === 0) break;
    }
    v = v.slice(i + 1);
  }
  if (v.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(v);
    return m ? m[1].replace(/\\(.)/g, '$1').toLowerCase() : '';
  }
  return (/^[^\s;()]+/.exec(v)?.[0] ?? '').toLowerCase();
}

/** True when the field is an Authentication-Results field claiming `authservId`. */
export function claimsAuthservId(field: string, authservId: string): boolean {
  return AR_NAME.test(field) && authservIdOf(field) === authservId.toLowerCase();
}

/** The filter's state machine, shared by the stream and the whole-block function. */
export class AuthResultsStripper {
  removed = 0;
  private inBody = false;
  private partial: Buffer[] = [];
  private partialLen = 0;
  /** Inside a line too long to hold: pass or drop the rest of it. */
  private midLine: 'pass' | 'drop' | undefined;
  /** The Authentication-Results field being held, line by line. */
  private held: Buffer[] | undefined;
  private heldLen = 0;
  /** The current field was removed: its continuation lines go too. */
  private dropping = false;

  constructor(private readonly authservId: string) {}

  /** Feeds bytes; returns what may be written on. */
  push(chunk: Buffer): Buffer[] {
    if (this.inBody) return [chunk];
    const out: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0 && !this.inBody; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl + 1);
      start = nl + 1;
      if (this.midLine) {
        if (this.midLine === 'pass') out.push(piece);
        this.midLine = undefined;
        continue;
      }
      this.partial.push(piece);
      const line = Buffer.concat(this.partial);
      this.partial = [];
      this.partialLen = 0;
      this.line(line, out);
    }
    const rest = chunk.subarray(start);
    if (!rest.length) return out;
    if (this.inBody) out.push(rest);
    else if (this.midLine) {
      if (this.midLine === 'pass') out.push(rest);
    } else {
      this.partial.push(rest);
      this.partialLen += rest.length;
      if (this.partialLen > MAX_LINE) this.tooLong(out);
    }
    return out;
  }

  /** End of input: whatever is still held. */
  end(): Buffer[] {
    const out: Buffer[] = [];
    if (this.partial.length) {
      const line = Buffer.concat(this.partial);
      this.partial = [];
      if (this.inBody) out.push(line);
      else this.line(line, out);
    }
    this.decide(out);
    return out;
  }

  private static continues(line: Buffer): boolean {
    return line[0] === 0x20 || line[0] === 0x09;
  }

  private line(line: Buffer, out: Buffer[]): void {
    if (AuthResultsStripper.continues(line)) {
      if (this.held) this.hold(line, out);
      else if (!this.dropping) out.push(line);
      return;
    }
    this.decide(out);
    this.dropping = false;
    if (line.length <= 2 && (line[0] === 0x0d || line[0] === 0x0a)) {
      this.inBody = true;
      out.push(line);
      return;
    }
    if (AR_NAME.test(line.subarray(0, 64).toString('latin1'))) {
      this.held = [];
      this.heldLen = 0;
      this.hold(line, out);
    } else out.push(line);
  }

  private hold(line: Buffer, out: Buffer[]): void {
    this.held!.push(line);
    this.heldLen += line.length;
    if (this.heldLen > MAX_FIELD) this.decide(out);
  }

  /** Ends the held field: removed when it claims our authserv-id, else written. */
  private decide(out: Buffer[]): void {
    if (!this.held) return;
    const field = Buffer.concat(this.held);
    this.held = undefined;
    if (claimsAuthservId(field.toString('latin1'), this.authservId)) {
      this.removed++;
      this.dropping = true;
    } else out.push(field);
  }

  /** A line too long to hold: decided on its start (the authserv-id comes first), then streamed or dropped. */
  private tooLong(out: Buffer[]): void {
    const line = Buffer.concat(this.partial);
    this.partial = [];
    this.partialLen = 0;
    if (AuthResultsStripper.continues(line)) {
      if (this.held) {
        this.held.push(line);
        this.decide(out);
        this.midLine = this.dropping ? 'drop' : 'pass';
        return;
      }
    } else {
      this.decide(out);
      this.dropping = false;
      if (claimsAuthservId(line.toString('latin1'), this.authservId)) {
        this.removed++;
        this.dropping = true;
      }
    }
    this.midLine = this.dropping ? 'drop' : 'pass';
    if (this.midLine === 'pass') out.push(line);
  }
}

/** The header block (or a whole message) without the fields that claim `authservId`. */
export function stripOwnAuthResults(block: Buffer, authservId: string): { data: Buffer; removed: number } {
  const s = new AuthResultsStripper(authservId);
  const data = Buffer.concat([...s.push(block), ...s.end()]);
  return { data, removed: s.removed };
}

/** The same filter as a stream over a whole message. */
export function ownAuthResultsFilter(authservId: string): Transform & { stripper: AuthResultsStripper } {
  const stripper = new AuthResultsStripper(authservId);
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      for (const b of stripper.push(chunk)) this.push(b);
      cb();
    },
    flush(cb) {
      for (const b of stripper.end()) this.push(b);
      cb();
    },
  });
  return Object.assign(t, { stripper });
}
