// S8: Content-Type and Content-Disposition parameter lengths (Sun parameterlengthlimit,
// nameparameterlengthlimit). A parameter whose DECODED value is longer than the limit is
// cut and written back in a correct encoding, so the message stays valid MIME:
// - RFC 2231 (name*=charset'lang'%XX, continuations name*0*, name*1, ...): the sections
//   are joined and decoded, the value cut, and re-encoded as UTF-8 sections that never
//   split a %XX or a character;
// - RFC 2047 encoded words inside a value (filename="=?UTF-8?B?...?="): decoded, cut,
//   re-encoded as whole UTF-8 encoded words;
// - plain tokens and quoted strings (also raw UTF-8, RFC 6532): cut by characters and
//   quoted as needed.
// Lengths are counted in characters (Unicode code points) of the decoded value; a value
// in an unknown charset is counted and cut in octets. `name` (Content-Type) and
// `filename` (Content-Disposition) keep their extension (".pdf") when cut. `boundary`
// is never cut: that would break the message structure.
// Header text is handled as latin1 strings (one char per octet), so no octet is lost.

export interface ParamLimits {
  /** Every parameter (Sun parameterlengthlimit). */
  parameterLengthLimit: number;
  /** Content-Type `name` and Content-Disposition `filename` (Sun nameparameterlengthlimit). */
  nameParameterLengthLimit: number;
}

/** One parameter as written: attribute, unquoted value, original text. */
interface RawParam {
  /** Attribute as written (case kept). */
  attr: string;
  /** Value with quotes and backslash escapes removed; undefined for a bare word without "=". */
  value?: string;
  /** The original text of the parameter (trimmed), re-emitted when untouched. */
  raw: string;
}

export interface ParsedField {
  /** The part before the first ";" (e.g. "multipart/mixed"), trimmed. */
  main: string;
  params: RawParam[];
}

/** A parameter after RFC 2231 sections were joined and values decoded. */
interface LogicalParam {
  /** Lower-case base name (without "*", section numbers). */
  name: string;
  /** Indexes into ParsedField.params of every piece of this parameter. */
  members: number[];
  /** How the value was written, which is how it is written back. */
  mode: 'ascii' | 'utf8' | 'octets' | '2047' | '2231' | '2231-octets';
  /** Decoded value (for the octet modes: one char per octet). */
  text: string;
  /** RFC 2231 charset and language as given (2231 modes). */
  charset?: string;
  lang?: string;
}

export interface ParamRewrite {
  /** The rewritten field, folded, CRLF-terminated, latin1 (one char per octet). */
  field: string;
  /** Names of the parameters that were cut, e.g. ["filename"]. */
  truncated: string[];
}

const WSP = /[ \t]/;

/** Splits a structured header value (unfolded) into its main value and parameters. */
export function parseStructured(value: string): ParsedField {
  const params: RawParam[] = [];
  let i = 0;
  const n = value.length;
  let inQuote = false;
  // main value: up to the first ";" outside quotes
  while (i < n) {
    const c = value[i];
    if (c === '\\' && inQuote) i++;
    else if (c === '"') inQuote = !inQuote;
    else if (c === ';' && !inQuote) break;
    i++;
  }
  const main = value.slice(0, Math.min(i, n)).trim();
  while (i < n) {
    while (i < n && (value[i] === ';' || WSP.test(value[i]) || value[i] === '\r' || value[i] === '\n')) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && value[i] !== '=' && value[i] !== ';') i++;
    const attr = value.slice(start, i).trim();
    if (i >= n || value[i] === ';') {
      if (attr) params.push({ attr, raw: attr });
      continue;
    }
    i++; // "="
    while (i < n && WSP.test(value[i])) i++;
    let v = '';
    if (value[i] === '"') {
      i++;
      while (i < n && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < n) i++;
        v += value[i++];
      }
      if (i < n) i++; // closing quote (an unterminated string runs to the end)
      const rawEnd = i;
      while (i < n && value[i] !== ';') i++; // junk after the quoted string is dropped
      params.push({ attr, value: v, raw: value.slice(start, rawEnd).trim() });
    } else {
      const vs = i;
      while (i < n && value[i] !== ';') i++;
      v = value.slice(vs, i).trim();
      params.push({ attr, value: v, raw: value.slice(start, i).trim() });
    }
  }
  return { main, params };
}

const SECTION = /^([^*]+)(?:\*(\d{1,4}))?(\*)?$/;

/** Groups RFC 2231 sections into logical parameters and decodes each value. */
export function decodeParams(parsed: ParsedField): LogicalParam[] {
  const out: LogicalParam[] = [];
  const byKey = new Map<string, { name: string; members: number[]; sections: Array<{ n: number; ext: boolean; value: string }> }>();
  parsed.params.forEach((p, idx) => {
    if (p.value === undefined) return;
    const m = SECTION.exec(p.attr);
    const name = (m ? m[1] : p.attr).trim().toLowerCase();
    const is2231 = !!m && (m[2] !== undefined || m[3] !== undefined);
    const key = is2231 ? `${name}*` : name;
    let g = byKey.get(key);
    if (!g) {
      g = { name, members: [], sections: [] };
      byKey.set(key, g);
    }
    g.members.push(idx);
    g.sections.push({ n: m && m[2] !== undefined ? Number(m[2]) : 0, ext: !!m && m[3] !== undefined, value: p.value });
  });
  for (const [key, g] of byKey) {
    const first = g.members[0];
    if (!key.endsWith('*')) {
      // A repeated plain parameter: the first one counts, the others are kept as written.
      out.push({ name: g.name, members: [first], ...decodePlain(g.sections[0].value) });
      continue;
    }
    const secs = [...g.sections].sort((a, b) => a.n - b.n);
    const anyExt = secs.some((s) => s.ext);
    if (!anyExt) {
      out.push({ name: g.name, members: g.members, ...decodePlain(secs.map((s) => s.value).join('')) });
      continue;
    }
    let charset = '';
    let lang = '';
    const bytes: Buffer[] = [];
    secs.forEach((s, i) => {
      let v = s.value;
      if (i === 0 && s.ext) {
        const cm = /^([^']*)'([^']*)'([\s\S]*)$/.exec(v);
        if (cm) {
          charset = cm[1];
          lang = cm[2];
          v = cm[3];
        }
      }
      bytes.push(s.ext ? percentDecode(v) : Buffer.from(v, 'latin1'));
    });
    const all = Buffer.concat(bytes);
    // Invalid octets in a known charset (e.g. a value S7 already cut inside a character)
    // become U+FFFD, so what is written back is valid; an unknown charset stays octets.
    const text = decodeCharset(all, charset || 'us-ascii') ?? decodeCharset(all, charset || 'us-ascii', false);
    if (text === undefined) out.push({ name: g.name, members: g.members, mode: '2231-octets', text: all.toString('latin1'), charset, lang });
    else out.push({ name: g.name, members: g.members, mode: '2231', text, charset, lang });
  }
  out.sort((a, b) => a.members[0] - b.members[0]);
  return out;
}

function decodePlain(v: string): Pick<LogicalParam, 'mode' | 'text'> {
  if (v.includes('=?')) {
    const d = decode2047(v);
    if (d !== undefined) return { mode: '2047', text: d };
  }
  if (/[\x80-\xff]/.test(v)) {
    const b = Buffer.from(v, 'latin1');
    const t = decodeCharset(b, 'utf-8');
    return t === undefined ? { mode: 'octets', text: v } : { mode: 'utf8', text: t };
  }
  return { mode: 'ascii', text: v };
}

function percentDecode(v: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(v.slice(i + 1, i + 3))) {
      out.push(parseInt(v.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

/** Decodes octets in a charset; undefined when the charset is unknown or (fatal) the octets invalid. */
export function decodeCharset(b: Buffer, charset: string, fatal = true): string | undefined {
  let cs = charset.trim().toLowerCase();
  if (cs === '' || cs === 'us-ascii' || cs === 'ascii') cs = /[\x80-\xff]/.test(b.toString('latin1')) ? 'utf-8' : 'windows-1252';
  try {
    return new TextDecoder(cs, { fatal }).decode(b);
  } catch {
    return undefined;
  }
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

/**
 * Decodes RFC 2047 encoded words in a value; undefined when there is none or one cannot
 * be decoded. Adjacent words in the same charset are joined before decoding, so a
 * character split across two words comes out whole; whitespace between words goes.
 */
export function decode2047(v: string): string | undefined {
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[] } | undefined;
  let found = false;
  const flush = (): boolean => {
    if (!pending) return true;
    const t = decodeCharset(Buffer.concat(pending.bytes), pending.charset);
    pending = undefined;
    if (t === undefined) return false;
    out += t;
    return true;
  };
  for (const m of v.matchAll(ENCODED_WORD)) {
    const between = v.slice(last, m.index);
    const charset = m[1].split('*')[0].toLowerCase(); // RFC 2231 section 5 language suffix
    const bytes = m[2].toUpperCase() === 'B' ? Buffer.from(m[3], 'base64') : qDecode(m[3]);
    if (pending && /^[ \t\r\n]*$/.test(between) && pending.charset === charset) {
      pending.bytes.push(bytes);
    } else {
      if (!flush()) return undefined;
      if (!(found && /^[ \t\r\n]*$/.test(between))) out += between;
      pending = { charset, bytes: [bytes] };
    }
    found = true;
    last = m.index + m[0].length;
  }
  if (!found || !flush()) return undefined;
  return out + v.slice(last);
}

function qDecode(s: string): Buffer {
  return percentDecode(s.replace(/_/g, ' ').replace(/=([0-9a-fA-F]{2})/g, '%$1'));
}

/** Code points of a string. */
function chars(s: string): string[] {
  return Array.from(s);
}

/**
 * Cuts `text` to `limit` characters. For file names the extension (".pdf", at most 16
 * characters including the dot) is kept at the end, so the result still has it.
 */
export function cutValue(text: string, limit: number, keepExtension: boolean): string {
  const cs = chars(text);
  if (cs.length <= limit) return text;
  if (keepExtension) {
    const dot = text.lastIndexOf('.');
    const ext = dot >= 0 ? chars(text.slice(dot)) : [];
    if (ext.length >= 2 && ext.length <= 16 && ext.length * 2 <= limit && !/[\s\\/"]/.test(ext.join(''))) {
      return cs.slice(0, limit - ext.length).join('') + ext.join('');
    }
  }
  return cs.slice(0, limit).join('');
}

// ---- encoding ------------------------------------------------------------------------

/** RFC 2045 token characters (no tspecials, no space, no controls, ASCII only). */
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
/** Longest value written on one header line; longer ones are split into sections. */
const ONE_LINE = 76;
/** Longest section of an RFC 2231 continuation. */
const SECTION_LEN = 60;
/** A parameter text longer than this is re-encoded in sections when its field is rewritten. */
const LONG_RAW = 900;

/** RFC 5987 attr-char: what may stay unencoded in an extended value. */
function attrChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || '!#$&+-.^_`|~'.includes(String.fromCharCode(c));
}

function pctEncode(b: Buffer): string {
  let s = '';
  for (const c of b) s += attrChar(c) ? String.fromCharCode(c) : '%' + c.toString(16).toUpperCase().padStart(2, '0');
  return s;
}

function quote(s: string): string {
  return '"' + s.replace(/[\\"]/g, '\\$&') + '"';
}

/** Splits units (never split themselves) into sections of at most `max` characters. */
function sections(units: string[], max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const u of units) {
    if (cur && cur.length + u.length > max) {
      out.push(cur);
      cur = '';
    }
    cur += u;
  }
  if (cur || !out.length) out.push(cur);
  return out;
}

/** RFC 2231 extended value: charset'lang'%XX..., split into sections when long. */
function encode2231(name: string, bytesPerChar: Buffer[], charset: string, lang: string): string[] {
  const units = bytesPerChar.map(pctEncode);
  const head = `${charset}'${lang}'`;
  if (head.length + units.join('').length <= ONE_LINE) return [`${name}*=${head}${units.join('')}`];
  const secs = sections(units, SECTION_LEN);
  return secs.map((s, i) => `${name}*${i}*=${i === 0 ? head : ''}${s}`);
}

/** A plain value (latin1 string of octets): token, quoted string, or quoted sections when long. */
function encodePlain(name: string, octets: string, units: string[]): string[] {
  if (TOKEN.test(octets) && octets.length <= ONE_LINE) return [`${name}=${octets}`];
  // A quoted string up to LONG_RAW octets stays one (RFC 5322 allows 998 per line), as
  // more readers know it than RFC 2231 continuations.
  if (octets.length + name.length + 3 <= LONG_RAW) return [`${name}=${quote(octets)}`];
  const secs = sections(units, SECTION_LEN);
  return secs.map((s, i) => `${name}*${i}=${quote(s)}`);
}

/** RFC 2047 B-encoded UTF-8 words of at most 75 characters, never splitting a character. */
export function encode2047(text: string): string[] {
  const words: string[] = [];
  let cur: Buffer[] = [];
  let len = 0;
  const MAX = 45; // 45 octets -> 60 base64 characters -> "=?UTF-8?B?" + 60 + "?=" = 72
  for (const c of chars(text)) {
    const b = Buffer.from(c, 'utf8');
    if (len + b.length > MAX && cur.length) {
      words.push(`=?UTF-8?B?${Buffer.concat(cur).toString('base64')}?=`);
      cur = [];
      len = 0;
    }
    cur.push(b);
    len += b.length;
  }
  if (cur.length || !words.length) words.push(`=?UTF-8?B?${Buffer.concat(cur).toString('base64')}?=`);
  return words;
}

/** Writes a logical parameter with value `text` in its original form. Returns parameter texts (latin1). */
function encodeParam(p: LogicalParam, text: string): string[] {
  switch (p.mode) {
    case 'ascii':
      return encodePlain(p.name, text, chars(text).map((c) => c.replace(/[\\"]/g, '\\$&')));
    case 'octets':
      return encodePlain(p.name, text, chars(text).map((c) => c.replace(/[\\"]/g, '\\$&')));
    case 'utf8': {
      const octets = Buffer.from(text, 'utf8').toString('latin1');
      if (octets.length + p.name.length + 3 <= LONG_RAW) return [`${p.name}=${quote(octets)}`];
      return encode2231(p.name, chars(text).map((c) => Buffer.from(c, 'utf8')), 'utf-8', '');
    }
    case '2047': {
      const words = encode2047(text);
      // Folded between words: decoders drop the whitespace between adjacent encoded words.
      return [`${p.name}="${words.join('\r\n ')}"`];
    }
    case '2231':
      return encode2231(p.name, chars(text).map((c) => Buffer.from(c, 'utf8')), 'utf-8', p.lang ?? '');
    case '2231-octets':
      return encode2231(p.name, [...Buffer.from(text, 'latin1')].map((c) => Buffer.from([c])), p.charset || 'us-ascii', p.lang ?? '');
  }
}

/** The limit that applies to parameter `name` of a field (Sun: Content-Type name, Content-Disposition filename). */
export function limitFor(field: 'content-type' | 'content-disposition', name: string, limits: ParamLimits): number | undefined {
  if (name === 'boundary') return undefined;
  if ((field === 'content-type' && name === 'name') || (field === 'content-disposition' && name === 'filename')) return limits.nameParameterLengthLimit;
  return limits.parameterLengthLimit;
}

/** Unfolds a header field's value (after the colon), without the final line end. */
export function unfoldValue(field: string): string {
  const colon = field.indexOf(':');
  return field
    .slice(colon + 1)
    .replace(/\r?\n$/, '')
    .replace(/\r?\n(?=[ \t])/g, '');
}

/**
 * Applies S8 to one Content-Type or Content-Disposition field (latin1 text, folded,
 * with its line end). Returns the rewritten field, or undefined when nothing is too long.
 */
export function limitMimeParameters(field: string, limits: ParamLimits): ParamRewrite | undefined {
  const colon = field.indexOf(':');
  if (colon <= 0) return undefined;
  const fieldName = field.slice(0, colon);
  const kind = fieldName.trim().toLowerCase();
  if (kind !== 'content-type' && kind !== 'content-disposition') return undefined;
  const parsed = parseStructured(unfoldValue(field));
  const logical = decodeParams(parsed);
  const truncated: string[] = [];
  const replace = new Map<number, string[]>(); // first member index -> new texts
  const skip = new Set<number>();
  for (const p of logical) {
    const limit = limitFor(kind, p.name, limits);
    const length = p.mode === 'octets' || p.mode === '2231-octets' ? p.text.length : chars(p.text).length;
    if (limit === undefined || length <= limit) {
      // Untouched, but if the field is rewritten a value that was folded across lines
      // must not become one over-long line (S7 has already run): re-encode it unchanged.
      if (p.members.some((m) => parsed.params[m].raw.length > LONG_RAW)) {
        replace.set(p.members[0], encodeParam(p, p.text));
        p.members.slice(1).forEach((m) => skip.add(m));
      }
      continue;
    }
    const keepExt = p.name === 'name' || p.name === 'filename';
    const cut = p.mode === 'octets' || p.mode === '2231-octets' ? cutOctets(p.text, limit) : cutValue(p.text, limit, keepExt);
    truncated.push(p.name);
    replace.set(p.members[0], encodeParam(p, cut));
    p.members.slice(1).forEach((m) => skip.add(m));
  }
  if (!truncated.length) return undefined;
  let out = `${fieldName}: ${parsed.main.slice(0, LONG_RAW)}`;
  parsed.params.forEach((raw, i) => {
    if (skip.has(i)) return;
    for (const t of replace.get(i) ?? [raw.raw.slice(0, LONG_RAW)]) out += `;\r\n\t${t}`;
  });
  return { field: out + '\r\n', truncated };
}

function cutOctets(s: string, limit: number): string {
  return s.length <= limit ? s : s.slice(0, limit);
}

/** Content-Type's media type (lower case) and boundary, for the MIME structure tracker. */
export function contentTypeInfo(value: string): { type: string; boundary?: string } {
  const parsed = parseStructured(value);
  const type = parsed.main.toLowerCase().replace(/\s+/g, '');
  // The boundary is taken literally (latin1 octets), never decoded as an encoded word.
  const plain = parsed.params.find((p) => p.value !== undefined && p.attr.trim().toLowerCase() === 'boundary');
  let boundary = plain?.value;
  if (boundary === undefined) {
    const l = decodeParams(parsed).find((p) => p.name === 'boundary');
    if (l) boundary = l.mode === '2231-octets' || l.mode === 'octets' ? l.text : Buffer.from(l.text, 'utf8').toString('latin1');
  }
  return { type, boundary: boundary || undefined };
}
