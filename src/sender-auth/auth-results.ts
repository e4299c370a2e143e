// A5 the one Authentication-Results header field (RFC 8601) a message gets from us,
// naming our authserv-id: SPF for MAIL FROM and HELO, every DKIM signature, DMARC
// and ARC. Comments are cut and cleaned (plain printable ASCII, no parentheses),
// property values quoted when they are not plain tokens, one result per line.

import type { SpfOutcome } from './spf.js';
import type { DkimSignatureOutcome } from './dkim-verify.js';
import type { DmarcOutcome } from './dmarc.js';
import type { ArcOutcome } from './arc.js';

export const AUTH_RESULTS = 'Authentication-Results';

export interface AuthResultsInput {
  /** Our authserv-id (usually the host name). */
  authservId: string;
  spf?: SpfOutcome;
  /** The HELO identity's result, when it was checked separately. */
  spfHelo?: SpfOutcome;
  /** undefined: DKIM was not checked; []: the message is not signed (dkim=none). */
  dkim?: readonly DkimSignatureOutcome[];
  dmarc?: DmarcOutcome;
  arc?: ArcOutcome;
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`{|}~]+$/; // RFC 2045 token characters (plus "@" handled below)
const MAX_COMMENT = 200;

/** A comment's text: printable ASCII, no parentheses or backslashes, bounded. */
export function commentText(s: string): string {
  return s.replace(/[^\x20-\x7e]+/g, ' ').replace(/[()\\]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, MAX_COMMENT);
}

/** A property value (RFC 8601 pvalue): a token, an address, or a quoted string. */
export function pvalue(v: string): string {
  const clean = v.replace(/[^\x20-\x7e]+/g, '');
  const at = clean.lastIndexOf('@');
  const plain = at >= 0 ? (at === 0 || TOKEN.test(clean.slice(0, at))) && TOKEN.test(clean.slice(at + 1)) : TOKEN.test(clean);
  if (plain && clean) return clean;
  return `"${clean.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function resinfo(method: string, result: string, comment: string | undefined, props: Array<[string, string | undefined]>): string {
  let s = `${method}=${result}`;
  const c = comment ? commentText(comment) : '';
  if (c) s += ` (${c})`;
  for (const [k, v] of props) if (v) s += ` ${k}=${pvalue(v)}`;
  return s;
}

function spfInfo(o: SpfOutcome): string {
  const prop: [string, string] = o.identity === 'helo' ? ['smtp.helo', o.domain] : ['smtp.mailfrom', o.sender];
  return resinfo('spf', o.result, o.comment, [prop]);
}

function dkimInfo(s: DkimSignatureOutcome): string {
  return resinfo('dkim', s.result, s.comment, [
    ['header.d', s.domain],
    ['header.s', s.selector],
    ['header.a', s.algorithm],
    ['header.b', s.b],
  ]);
}

function dmarcInfo(d: DmarcOutcome): string {
  const parts = [d.result === 'pass' || d.result === 'fail' ? `p=${d.policy}` : '', d.result === 'fail' ? `dis=${d.disposition}` : '', d.override?.comment ?? '', d.comment ?? ''].filter(Boolean);
  return resinfo('dmarc', d.result, parts.join(' '), [['header.from', d.domain || undefined]]);
}

function arcInfo(a: ArcOutcome): string {
  const c = [a.instances ? `i=${a.instances}` : '', a.sealer ? `sealed by ${a.sealer}` : '', a.result !== 'pass' ? (a.comment ?? '') : ''].filter(Boolean).join(' ');
  return resinfo('arc', a.result, c, []);
}

/** The whole header field, CRLF-terminated: "Authentication-Results: id;\r\n\tspf=...;\r\n\tdkim=...\r\n". */
export function authResultsHeader(input: AuthResultsInput): string {
  const infos: string[] = [];
  if (input.spf) infos.push(spfInfo(input.spf));
  if (input.spfHelo && input.spfHelo !== input.spf) infos.push(spfInfo(input.spfHelo));
  if (input.dkim) {
    if (input.dkim.length) infos.push(...input.dkim.map(dkimInfo));
    else infos.push('dkim=none (message not signed)');
  }
  if (input.dmarc) infos.push(dmarcInfo(input.dmarc));
  if (input.arc) infos.push(arcInfo(input.arc));
  const id = pvalue(input.authservId);
  if (!infos.length) return `${AUTH_RESULTS}: ${id}; none\r\n`;
  return `${AUTH_RESULTS}: ${id};\r\n\t${infos.join(';\r\n\t')}\r\n`;
}
