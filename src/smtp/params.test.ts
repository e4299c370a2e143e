import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMailParams, parseRcptParams, type ParamError } from './params.js';
import type { MailParams, RcptParams } from '../core/params.js';

const E501 = { code: 501, enhanced: '5.5.4' };
const E555 = { code: 555, enhanced: '5.5.4' };

function expectError(r: MailParams | RcptParams | ParamError, want: { code: number; enhanced: string }, label: string): void {
  assert.ok('error' in r, `${label}: expected an error, got ${JSON.stringify(r)}`);
  const e = r as ParamError;
  assert.equal(e.code, want.code, `${label}: code`);
  assert.equal(e.enhanced, want.enhanced, `${label}: enhanced`);
  assert.ok(!/[\r\n]/.test(e.error), `${label}: error text has CR/LF`);
}

const mailCases: Array<[string, string, MailParams | { code: number; enhanced: string }]> = [
  ['P1 no parameters', '', { smtputf8: false }],
  ['P1 only spaces', '   ', { smtputf8: false }],
  // S1 SIZE (RFC 1870)
  ['S1 SIZE', 'SIZE=12345', { smtputf8: false, size: 12345 }],
  ['S1 SIZE zero', 'SIZE=0', { smtputf8: false, size: 0 }],
  ['S1 SIZE leading zeros', 'SIZE=007', { smtputf8: false, size: 7 }],
  ['S1 SIZE 20 digits', 'SIZE=99999999999999999999', { smtputf8: false, size: 1e20 }],
  ['S1 SIZE 21 digits', 'SIZE=999999999999999999999', E501],
  ['S1 SIZE huge', `SIZE=${'9'.repeat(400)}`, E501],
  ['S1 SIZE negative', 'SIZE=-1', E501],
  ['S1 SIZE plus sign', 'SIZE=+1', E501],
  ['S1 SIZE decimal', 'SIZE=1.5', E501],
  ['S1 SIZE exponent', 'SIZE=1e9', E501],
  ['S1 SIZE hex', 'SIZE=0x10', E501],
  ['S1 SIZE empty', 'SIZE=', E501],
  ['S1 SIZE without value', 'SIZE', E501],
  ['S1 SIZE Infinity', 'SIZE=Infinity', E501],
  ['S1 SIZE Arabic-Indic digits', 'SIZE=١٢٣', E501],
  ['S1 SIZE fullwidth digits', 'SIZE=１２３', E501],
  ['S1 size lower-case key', 'size=10', { smtputf8: false, size: 10 }],
  // BODY (RFC 6152 / RFC 3030)
  ['P1 BODY=7BIT', 'BODY=7BIT', { smtputf8: false, body: '7BIT' }],
  ['P1 BODY=8BITMIME', 'BODY=8BITMIME', { smtputf8: false, body: '8BITMIME' }],
  ['P1 BODY value case-insensitive', 'body=8bitmime', { smtputf8: false, body: '8BITMIME' }],
  ['P1 BODY=BINARYMIME unsupported', 'BODY=BINARYMIME', E555],
  ['P1 BODY=binarymime unsupported', 'BODY=binarymime', E555],
  ['P1 BODY unknown', 'BODY=9BIT', E501],
  ['P1 BODY without value', 'BODY', E501],
  // SMTPUTF8 (RFC 6531)
  ['P1 SMTPUTF8', 'SMTPUTF8', { smtputf8: true }],
  ['P1 smtputf8 lower-case', 'smtputf8', { smtputf8: true }],
  ['P1 SMTPUTF8 with value', 'SMTPUTF8=yes', E501],
  ['P1 SMTPUTF8 with empty value', 'SMTPUTF8=', E501],
  // DSN RET / ENVID (RFC 3461)
  ['P1 RET=FULL', 'RET=FULL', { smtputf8: false, ret: 'FULL' }],
  ['P1 RET=hdrs', 'RET=hdrs', { smtputf8: false, ret: 'HDRS' }],
  ['P1 RET bad', 'RET=BODY', E501],
  ['P1 RET without value', 'RET', E501],
  ['P1 ENVID xtext', 'ENVID=QQ314159', { smtputf8: false, envid: 'QQ314159' }],
  ['P1 ENVID with hexchar', 'ENVID=a+2Bb+3Dc', { smtputf8: false, envid: 'a+2Bb+3Dc' }],
  ['P1 ENVID 100 chars', `ENVID=${'x'.repeat(100)}`, { smtputf8: false, envid: 'x'.repeat(100) }],
  ['P1 ENVID 101 chars', `ENVID=${'x'.repeat(101)}`, E501],
  ['P1 ENVID bare plus', 'ENVID=a+b', E501],
  ['P1 ENVID lower-case hexchar', 'ENVID=a+2b', E501],
  ['P1 ENVID truncated hexchar', 'ENVID=a+2', E501],
  ['P1 ENVID with =', 'ENVID=a=b', E501],
  ['P1 ENVID non-ASCII', 'ENVID=é', E501],
  ['P1 ENVID empty', 'ENVID=', E501],
  // AUTH (RFC 4954)
  ['R3 AUTH=<>', 'AUTH=<>', { smtputf8: false, auth: '<>' }],
  ['R3 AUTH xtext', 'AUTH=user+40example.com', { smtputf8: false, auth: 'user+40example.com' }],
  ['R3 AUTH bad xtext', 'AUTH=user+4', E501],
  ['R3 AUTH empty', 'AUTH=', E501],
  ['R3 AUTH without value', 'AUTH', E501],
  // combinations, duplicates, unknown
  ['P1 all together', 'SIZE=100 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=abc AUTH=<>', { smtputf8: true, size: 100, body: '8BITMIME', ret: 'HDRS', envid: 'abc', auth: '<>' }],
  ['P1 extra spaces between', 'SIZE=1   BODY=7BIT', { smtputf8: false, size: 1, body: '7BIT' }],
  ['P1 duplicate SIZE', 'SIZE=1 SIZE=2', E501],
  ['P1 duplicate across case', 'SIZE=1 size=1', E501],
  ['P1 duplicate SMTPUTF8', 'SMTPUTF8 SMTPUTF8', E501],
  ['P1 duplicate BODY', 'BODY=7BIT body=8BITMIME', E501],
  ['P1 unknown parameter', 'FOO=bar', E555],
  ['P1 unknown flag', 'XYZ', E555],
  ['P1 RCPT parameter on MAIL', 'NOTIFY=NEVER', E555],
  ['P1 keyword starting with hyphen', '-SIZE=1', E501],
  ['P1 keyword with underscore', 'SI_ZE=1', E501],
  ['P1 empty keyword', '=1', E501],
  ['P1 non-ASCII keyword that upper-cases to SIZE', '\u017Fize=1', E501],
  ['P1 tab separator', 'SIZE=1\tBODY=7BIT', E501],
  ['P3 NUL in value', 'ENVID=a\x00b', E501],
  ['P3 CR in value', 'AUTH=a\rb', E501],
  ['P3 control char with UTF-8 in value', 'XFOO=é\x01', E501],
];

for (const [name, input, want] of mailCases) {
  test(`parseMailParams: ${name} ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '...' : input)}`, () => {
    const r = parseMailParams(input);
    if ('code' in want && !('smtputf8' in want)) expectError(r, want, name);
    else assert.deepEqual(r, want);
  });
}

const rcptCases: Array<[string, string, RcptParams | { code: number; enhanced: string }]> = [
  ['P1 no parameters', '', {}],
  ['P1 NOTIFY=NEVER', 'NOTIFY=NEVER', { notify: ['NEVER'] }],
  ['P1 NOTIFY=SUCCESS', 'NOTIFY=SUCCESS', { notify: ['SUCCESS'] }],
  ['P1 NOTIFY=SUCCESS,FAILURE,DELAY', 'NOTIFY=SUCCESS,FAILURE,DELAY', { notify: ['SUCCESS', 'FAILURE', 'DELAY'] }],
  ['P1 NOTIFY=delay,failure lower-case', 'notify=delay,failure', { notify: ['DELAY', 'FAILURE'] }],
  ['P1 NOTIFY NEVER with another', 'NOTIFY=NEVER,SUCCESS', E501],
  ['P1 NOTIFY another with NEVER', 'NOTIFY=FAILURE,NEVER', E501],
  ['P1 NOTIFY repeated item', 'NOTIFY=SUCCESS,SUCCESS', E501],
  ['P1 NOTIFY unknown item', 'NOTIFY=ALWAYS', E501],
  ['P1 NOTIFY empty item', 'NOTIFY=SUCCESS,', E501],
  ['P1 NOTIFY leading comma', 'NOTIFY=,SUCCESS', E501],
  ['P1 NOTIFY empty', 'NOTIFY=', E501],
  ['P1 NOTIFY without value', 'NOTIFY', E501],
  ['P1 ORCPT rfc822', 'ORCPT=rfc822;user@example.com', { orcpt: 'rfc822;user@example.com' }],
  ['P1 ORCPT with hexchar', 'ORCPT=rfc822;a+2Bb@example.com', { orcpt: 'rfc822;a+2Bb@example.com' }],
  ['P1 ORCPT RFC 6533 utf-8', 'ORCPT=utf-8;j\u00fcrgen@example.com', { orcpt: 'utf-8;j\u00fcrgen@example.com' }],
  ['P1 ORCPT without type', 'ORCPT=user@example.com', E501],
  ['P1 ORCPT bad type', 'ORCPT=rfc 822;x', E501],
  ['P1 ORCPT bad xtext', 'ORCPT=rfc822;a+zz@example.com', E501],
  ['P1 ORCPT with =', 'ORCPT=rfc822;a=b', E501],
  ['P1 ORCPT too long', `ORCPT=rfc822;${'a'.repeat(500)}`, E501],
  ['P1 ORCPT without value', 'ORCPT', E501],
  ['P3 ORCPT with CR and UTF-8', 'ORCPT=rfc822;\u00e9\rX-Injected:1', E501],
  ['P3 ORCPT with NUL', 'ORCPT=rfc822;a\x00b', E501],
  ['P1 NOTIFY and ORCPT', 'NOTIFY=FAILURE ORCPT=rfc822;u@x.org', { notify: ['FAILURE'], orcpt: 'rfc822;u@x.org' }],
  ['P1 duplicate NOTIFY', 'NOTIFY=NEVER NOTIFY=NEVER', E501],
  ['P1 duplicate ORCPT across case', 'ORCPT=rfc822;a@b orcpt=rfc822;a@b', E501],
  ['P1 MAIL parameter on RCPT', 'SIZE=10', E555],
  ['P1 unknown', 'XFORWARD=1', E555],
];

for (const [name, input, want] of rcptCases) {
  test(`parseRcptParams: ${name} ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '...' : input)}`, () => {
    const r = parseRcptParams(input);
    if ('code' in want) expectError(r, want as { code: number; enhanced: string }, name);
    else assert.deepEqual(r, want);
  });
}
