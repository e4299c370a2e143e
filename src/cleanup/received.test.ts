import { test } from 'node:test';
import assert from 'node:assert/strict';
import { receivedHeader, withType, rfc5322Date, type ReceivedInput } from './received.js';
import type { SessionInfo } from '../core/envelope.js';
import { validateConfig } from '../config/load.js';
import { embeddedDefault } from '../config/embedded-default.js';

const config = validateConfig(embeddedDefault(), 'test', '/tmp');

function session(extra: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id: 's1',
    listener: config.listeners[0],
    remoteAddress: '192.0.2.7',
    remotePort: 40000,
    localAddress: '192.0.2.1',
    localPort: 25,
    esmtp: true,
    helo: 'client.example',
    ...extra,
  };
}

const TLS = { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' };
const DATE = new Date(Date.UTC(2026, 10, 21, 5, 34, 25));

function input(extra: Partial<ReceivedInput> = {}, s: Partial<SessionInfo> = {}): ReceivedInput {
  return { session: session(s), hostname: 'mx.example', queueId: 'Q123', smtputf8: false, date: DATE, ...extra };
}

// P6 with-types: RFC 5321 (SMTP, ESMTP), RFC 3848 (S = TLS, A = AUTH), RFC 6531 (UTF8SMTP*).
const withTypes: Array<[boolean, boolean, boolean, boolean, string]> = [
  // esmtp, tls, auth, smtputf8, want
  [false, false, false, false, 'SMTP'],
  [false, true, false, false, 'SMTP'],
  [false, true, true, false, 'SMTP'],
  [true, false, false, false, 'ESMTP'],
  [true, true, false, false, 'ESMTPS'],
  [true, false, true, false, 'ESMTPA'],
  [true, true, true, false, 'ESMTPSA'],
  [true, false, false, true, 'UTF8SMTP'],
  [true, true, false, true, 'UTF8SMTPS'],
  [true, false, true, true, 'UTF8SMTPA'],
  [true, true, true, true, 'UTF8SMTPSA'],
];
for (const [esmtp, tls, auth, utf8, want] of withTypes) {
  test(`P6 with-type esmtp=${esmtp} tls=${tls} auth=${auth} smtputf8=${utf8} -> ${want}`, () => {
    const s = session({ esmtp, tls: tls ? TLS : undefined, authUser: auth ? 'u@example.com' : undefined });
    assert.equal(withType(s, utf8), want);
    assert.match(receivedHeader({ ...input({ smtputf8: utf8 }), session: s }), new RegExp(` with ${want} id Q123`));
  });
}

test('P6 full header: from, TCP-info, by, TLS, with, id, for, date', () => {
  const h = receivedHeader(input({ singleRcpt: 'rcpt@example.com' }, { tls: TLS, authUser: 'u@example.com' }));
  assert.equal(
    h,
    'Received: from client.example ([192.0.2.7])\r\n' +
      '\tby mx.example (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384) with ESMTPSA id Q123\r\n' +
      '\tfor <rcpt@example.com>; Sat, 21 Nov 2026 05:34:25 +0000\r\n',
  );
});

test('P6 header structure: CRLF line ends, folded with a tab, no bare CR or LF, no long lines', () => {
  const h = receivedHeader(input({ singleRcpt: 'rcpt@example.com' }));
  assert.ok(h.endsWith('\r\n'));
  const lines = h.slice(0, -2).split('\r\n');
  assert.ok(lines[0].startsWith('Received: '));
  for (const l of lines.slice(1)) assert.ok(l.startsWith('\t'), 'continuation lines start with white space');
  for (const l of lines) {
    assert.ok(!/[\r\n]/.test(l));
    assert.ok(l.length <= 998);
  }
  // The date follows the last ";" (RFC 5322 received field).
  assert.match(h, /; Sat, 21 Nov 2026 05:34:25 \+0000\r\n$/);
});

const addresses: Array<[string, string]> = [
  ['192.0.2.7', '[192.0.2.7]'],
  ['::ffff:192.0.2.7', '[192.0.2.7]'],
  ['2001:db8::1', '[IPv6:2001:db8::1]'],
  ['::1', '[IPv6:::1]'],
  ['fe80::1:2:3:4', '[IPv6:fe80::1:2:3:4]'],
];
for (const [ip, literal] of addresses) {
  test(`P6 client address ${ip} is written as ${literal}`, () => {
    const h = receivedHeader(input({}, { remoteAddress: ip }));
    assert.ok(h.startsWith(`Received: from client.example (${literal})\r\n`), h);
  });
}

test('R9 hideClientIp leaves the client address out', () => {
  for (const ip of ['192.0.2.7', '2001:db8::1', '::ffff:192.0.2.7']) {
    const h = receivedHeader(input({ hideClientIp: true }, { remoteAddress: ip }));
    assert.ok(h.startsWith('Received: from client.example\r\n'), h);
    assert.ok(!h.includes('192.0.2.7') && !h.includes('2001:db8'), h);
  }
});

test('R9 hideClientIp also hides an address-literal HELO', () => {
  for (const helo of ['[192.0.2.7]', '[IPv6:2001:db8::7]']) {
    const h = receivedHeader(input({ hideClientIp: true }, { helo, remoteAddress: '192.0.2.7' }));
    assert.ok(!h.includes('192.0.2.7') && !h.includes('2001:db8::7'), h);
    assert.ok(h.startsWith('Received: from unknown\r\n'), h);
  }
  // Without hiding, the literal HELO is kept.
  assert.ok(receivedHeader(input({}, { helo: '[192.0.2.7]' })).startsWith('Received: from [192.0.2.7] ([192.0.2.7])'));
});

test('P6 "for" clause only for a single recipient', () => {
  const one = receivedHeader(input({ singleRcpt: 'a@example.com' }));
  assert.match(one, /\r\n\tfor <a@example\.com>; /);
  const many = receivedHeader(input({ singleRcpt: undefined }));
  assert.ok(!/\bfor\b/.test(many), many);
  assert.match(many, /id Q123; Sat, 21 Nov 2026/);
});

const helos: Array<[string, string | undefined]> = [
  ['CRLF injection', 'evil.example\r\nX-Injected: yes'],
  ['bare LF', 'evil\nX: y'],
  ['bare CR', 'evil\rX: y'],
  ['parentheses (fake TCP-info)', 'good.example ([10.0.0.1])'],
  ['unbalanced parenthesis', 'evil('],
  ['semicolon (fake date)', 'evil; Mon, 1 Jan 2001'],
  ['backslash', 'evil\\'],
  ['NUL and tab', 'evil\x00\t.example'],
  ['space', 'two words'],
  ['missing', undefined],
];
for (const [name, helo] of helos) {
  test(`P6 HELO sanitized: ${name}`, () => {
    const h = receivedHeader(input({ singleRcpt: 'a@example.com' }, { helo }));
    const first = h.split('\r\n')[0];
    const heloText = first.slice('Received: from '.length, first.lastIndexOf(' ('));
    assert.ok(!/[\r\n\x00\t ()\\;]/.test(heloText), JSON.stringify(heloText));
    assert.equal(h.split('\r\n').length, 4, 'still exactly three lines');
    assert.equal((h.match(/\(/g) ?? []).length, 1, 'only our own TCP-info comment');
    assert.equal((h.match(/;/g) ?? []).length, 1, 'only our own date separator');
    if (helo === undefined) assert.equal(heloText, 'unknown');
  });
}

test('P6 recipient text in the "for" clause is sanitized', () => {
  const h = receivedHeader(input({ singleRcpt: '"a\r\nb (c)"@example.com' }));
  assert.equal(h.split('\r\n').length, 4);
  assert.match(h, /\tfor <"a\?\?b\?\?c\?"@example\.com>; /);
});

test('P6 UTF-8 HELO and recipient survive under SMTPUTF8', () => {
  const h = receivedHeader(input({ smtputf8: true, singleRcpt: 'jürgen@bücher.example' }, { helo: 'bücher.example' }));
  assert.ok(h.startsWith('Received: from bücher.example ([192.0.2.7])'));
  assert.match(h, /with UTF8SMTP id/);
  assert.match(h, /for <jürgen@bücher\.example>/);
});

const dates: Array<[Date, string]> = [
  [DATE, 'Sat, 21 Nov 2026 05:34:25 +0000'],
  [new Date(Date.UTC(2024, 0, 5, 0, 0, 9)), 'Fri, 5 Jan 2024 00:00:09 +0000'],
  [new Date(Date.UTC(2000, 1, 29, 23, 59, 59)), 'Tue, 29 Feb 2000 23:59:59 +0000'],
  [new Date(Date.UTC(1999, 11, 31, 12, 0, 0)), 'Fri, 31 Dec 1999 12:00:00 +0000'],
  [new Date(0), 'Thu, 1 Jan 1970 00:00:00 +0000'],
];
for (const [d, want] of dates) {
  test(`P6 RFC 5322 date ${d.toISOString()} -> ${want}`, () => {
    assert.equal(rfc5322Date(d), want);
  });
}

test('P6 RFC 5322 date-time grammar for random instants, always UTC, agreeing with Date.parse', () => {
  const re = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([1-9]|[12]\d|3[01]) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} ([01]\d|2[0-3]):[0-5]\d:[0-5]\d \+0000$/;
  for (let i = 0; i < 500; i++) {
    const d = new Date(Math.floor(Math.random() * 4102444800) * 1000); // 1970..2100, whole seconds
    const s = rfc5322Date(d);
    assert.match(s, re);
    assert.equal(Date.parse(s), d.getTime(), s);
  }
});
