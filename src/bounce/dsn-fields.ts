// Small pieces of a delivery status notification (RFC 3464): xtext decoding of
// ENVID/ORCPT (RFC 3461 6.3 a, d), address types (RFC 6533 utf-8), field folding,
// and text that is safe in a header (no CR/LF, no 8-bit octets unless allowed).

/** RFC 3461 4: "+XX" hex escapes back to their characters. */
export function xtextDecode(s: string): string {
  return s.replace(/\+([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** RFC 3461 4: xtext encoding ("+", "=", controls and non-ASCII as +XX; UTF-8 octets one by one). */
export function xtextEncode(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += b < 33 || b > 126 || b === 0x2b || b === 0x3d ? `+${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  return out;
}

/** True when every character is printable US-ASCII or space/tab. */
export function isAsciiText(s: string): boolean {
  return /^[\x20-\x7e\t]*$/.test(s);
}

/**
 * One line of header-safe text: CR/LF runs become a space; other controls and,
 * unless `utf8`, non-ASCII characters become "?". Never longer than `max`.
 */
export function headerText(s: string, utf8: boolean, max = 900): string {
  let t = s.replace(/[\r\n]+/g, ' ').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
  if (!utf8) t = t.replace(/[^\x20-\x7e\t]/g, '?');
  t = t.trim();
  return t.length > max ? t.slice(0, max - 3) + '...' : t;
}

/** "Name: value", folded at spaces so lines stay near 78 characters (RFC 5322 2.2.3). */
export function field(name: string, value: string): string {
  const words = value.split(' ');
  const lines: string[] = [];
  let cur = `${name}:`;
  for (const w of words) {
    if (cur.length + 1 + w.length > 78 && cur.trim() !== `${name}:` && cur.length > 1) {
      lines.push(cur);
      cur = ` ${w}`;
    } else {
      cur += ` ${w}`;
    }
  }
  lines.push(cur);
  return lines.join('\r\n') + '\r\n';
}

/**
 * An address-type;address pair for Final-Recipient / Original-Recipient: "rfc822"
 * for ASCII addresses, "utf-8" (RFC 6533 3) for internationalized ones.
 */
export function typedAddress(address: string): string {
  return isAsciiText(address) ? `rfc822; ${address}` : `utf-8; ${address}`;
}

/**
 * The Original-Recipient value from an ORCPT parameter as stored ("type;xtext"):
 * the address decoded from xtext (RFC 3461 6.3 d). Undefined when there is none
 * or it does not decode to header-safe text.
 */
export function originalRecipient(orcpt: string | undefined, utf8: boolean): string | undefined {
  if (!orcpt) return undefined;
  const semi = orcpt.indexOf(';');
  if (semi <= 0) return undefined;
  const type = orcpt.slice(0, semi).trim().toLowerCase();
  const raw = orcpt.slice(semi + 1).trim();
  // RFC 6533 utf-8 addresses are not xtext; rfc822 ones are.
  const addr = type === 'utf-8' ? raw : xtextDecode(raw);
  if (/[\r\n\x00]/.test(addr)) return undefined;
  if (!utf8 && !isAsciiText(addr)) return undefined;
  return `${type}; ${addr}`;
}
