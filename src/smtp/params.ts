// ESMTP parameters of MAIL FROM and RCPT TO (RFC 5321 4.1.2 esmtp-param):
// SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), RET/ENVID/NOTIFY/ORCPT
// (RFC 3461 DSN) and AUTH (RFC 4954). Unknown or repeated parameters are errors.

import type { MailParams, RcptParams } from '../core/params.js';

export type ParamError = { error: string; code: number; enhanced: string };

const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
// esmtp-value: any printable ASCII except "=", or UTF-8 beyond ASCII (RFC 6531 3.3).
// Never a control character, space or "=", whatever else the value holds.
const VALUE = /^(?:[\x21-\x3c\x3e-\x7e]|[^\x00-\x7f])+$/u;
const XTEXT = /^([\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})*$/;
// ORCPT: addr-type ";" xtext (RFC 3461 4.2), or its RFC 6533 UTF-8 forms.
const ORCPT = /^[A-Za-z0-9-]+;([\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2}|[^\x00-\x7f])*$/u;

function splitParams(text: string): Array<[string, string | undefined]> | ParamError {
  const out: Array<[string, string | undefined]> = [];
  const seen = new Set<string>();
  for (const p of text.split(' ')) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    const rawKey = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? undefined : p.slice(eq + 1);
    // Test before upper-casing: "\u017Fize".toUpperCase() is "SIZE".
    if (!KEYWORD.test(rawKey)) return { error: 'Syntax error in parameters', code: 501, enhanced: '5.5.4' };
    const key = rawKey.toUpperCase();
    if (value !== undefined && !VALUE.test(value)) {
      return { error: `Bad value for ${key}`, code: 501, enhanced: '5.5.4' };
    }
    if (seen.has(key)) return { error: `Duplicate parameter ${key}`, code: 501, enhanced: '5.5.4' };
    seen.add(key);
    out.push([key, value]);
  }
  return out;
}

const unsupported = (key: string): ParamError => ({ error: `Unsupported parameter ${key}`, code: 555, enhanced: '5.5.4' });
const badValue = (key: string): ParamError => ({ error: `Bad value for ${key}`, code: 501, enhanced: '5.5.4' });

export function parseMailParams(text: string): MailParams | ParamError {
  const list = splitParams(text);
  if ('error' in list) return list;
  const p: MailParams = { smtputf8: false };
  for (const [key, value] of list) {
    switch (key) {
      case 'SIZE':
        if (value === undefined || !/^\d{1,20}$/.test(value)) return badValue(key);
        p.size = Number(value);
        break;
      case 'BODY': {
        const v = value?.toUpperCase();
        if (v !== '7BIT' && v !== '8BITMIME') return v === 'BINARYMIME' ? unsupported('BODY=BINARYMIME') : badValue(key);
        p.body = v;
        break;
      }
      case 'SMTPUTF8':
        if (value !== undefined) return badValue(key);
        p.smtputf8 = true;
        break;
      case 'RET': {
        const v = value?.toUpperCase();
        if (v !== 'FULL' && v !== 'HDRS') return badValue(key);
        p.ret = v;
        break;
      }
      case 'ENVID':
        if (value === undefined || value.length > 100 || !XTEXT.test(value)) return badValue(key);
        p.envid = value;
        break;
      case 'AUTH':
        if (value === undefined || (value !== '<>' && !XTEXT.test(value))) return badValue(key);
        p.auth = value;
        break;
      default:
        return unsupported(key);
    }
  }
  return p;
}

export function parseRcptParams(text: string): RcptParams | ParamError {
  const list = splitParams(text);
  if ('error' in list) return list;
  const p: RcptParams = {};
  for (const [key, value] of list) {
    switch (key) {
      case 'NOTIFY': {
        if (value === undefined) return badValue(key);
        const items = value.toUpperCase().split(',');
        const allowed = ['NEVER', 'SUCCESS', 'FAILURE', 'DELAY'];
        if (!items.every((i) => allowed.includes(i)) || new Set(items).size !== items.length) return badValue(key);
        if (items.includes('NEVER') && items.length > 1) return badValue(key);
        p.notify = items as RcptParams['notify'];
        break;
      }
      case 'ORCPT': {
        if (value === undefined || value.length > 500 || !ORCPT.test(value)) return badValue(key);
        p.orcpt = value;
        break;
      }
      default:
        return unsupported(key);
    }
  }
  return p;
}
