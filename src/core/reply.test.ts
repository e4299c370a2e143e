import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReply, sanitizeReplyText, type Reply } from './reply.js';

const cases: Array<[string, Reply, string]> = [
  ['P1 single line with enhanced code', { code: 250, enhanced: '2.0.0', lines: ['Ok'] }, '250 2.0.0 Ok\r\n'],
  ['P1 greeting without enhanced code', { code: 220, lines: ['mx.example ESMTP'] }, '220 mx.example ESMTP\r\n'],
  ['P1 no lines gives one empty line', { code: 250, lines: [] }, '250 \r\n'],
  ['P1 no lines with enhanced', { code: 354, enhanced: undefined, lines: [] }, '354 \r\n'],
  ['P1 EHLO multi-line', { code: 250, lines: ['mx.example', 'PIPELINING', 'SIZE 1000', '8BITMIME'] }, '250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n'],
  ['P1 multi-line with enhanced code on every line', { code: 550, enhanced: '5.7.1', lines: ['one', 'two'] }, '550-5.7.1 one\r\n550 5.7.1 two\r\n'],
  ['P1 empty text', { code: 250, enhanced: '2.0.0', lines: [''] }, '250 2.0.0 \r\n'],
  ['P3 CRLF in text cannot forge a second reply', { code: 550, enhanced: '5.1.1', lines: ['bad\r\n250 2.0.0 Ok'] }, '550 5.1.1 bad 250 2.0.0 Ok\r\n'],
  ['P3 bare LF in text', { code: 550, enhanced: '5.1.1', lines: ['a\nb'] }, '550 5.1.1 a b\r\n'],
  ['P3 bare CR in text', { code: 550, enhanced: '5.1.1', lines: ['a\rb'] }, '550 5.1.1 a b\r\n'],
  ['P3 many line breaks collapse to one space', { code: 550, enhanced: '5.1.1', lines: ['a\r\n\r\n\n\rb'] }, '550 5.1.1 a b\r\n'],
  ['P3 CRLF in a continuation line', { code: 250, lines: ['host', 'X\r\n250 AUTH PLAIN', 'Z'] }, '250-host\r\n250-X 250 AUTH PLAIN\r\n250 Z\r\n'],
  ['P3 trailing CRLF in text', { code: 221, enhanced: '2.0.0', lines: ['Bye\r\n'] }, '221 2.0.0 Bye \r\n'],
];

for (const [name, reply, want] of cases) {
  test(`formatReply: ${name}`, () => {
    const out = formatReply(reply);
    assert.equal(out, want);
    // Structural guarantee: exactly one CRLF per line, only the last line has a space after the code.
    const lines = out.split('\r\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, Math.max(reply.lines.length, 1));
    lines.forEach((l, i) => {
      assert.ok(!l.includes('\r') && !l.includes('\n'), `line ${i} has a bare CR/LF`);
      assert.equal(l.slice(0, 4), `${reply.code}${i === lines.length - 1 ? ' ' : '-'}`);
    });
  });
}

test('P3 sanitizeReplyText removes every CR and LF, keeps other text', () => {
  assert.equal(sanitizeReplyText('plain text'), 'plain text');
  assert.equal(sanitizeReplyText('a\r\nb\nc\rd'), 'a b c d');
  assert.equal(sanitizeReplyText('\r\n'), ' ');
  assert.equal(sanitizeReplyText('tab\tstays'), 'tab\tstays');
  for (let i = 0; i < 200; i++) {
    const s = Array.from({ length: 20 }, () => ['a', '\r', '\n', ' ', '5'][Math.floor(Math.random() * 5)]).join('');
    const out = sanitizeReplyText(s);
    assert.ok(!/[\r\n]/.test(out), JSON.stringify(s));
  }
});
