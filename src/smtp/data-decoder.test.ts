import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataDecoder } from './data-decoder.js';

interface Outcome { content: string; rest: string | null; bareLf: number; bareCr: number }

/** Feeds `input` split into pieces of `step` bytes (0 = whole). */
function decode(input: string, step: number): Outcome {
  const d = new DataDecoder();
  const buf = Buffer.from(input, 'latin1');
  const parts: Buffer[] = [];
  let rest: string | null = null;
  const size = step || buf.length || 1;
  for (let off = 0; off < buf.length; off += size) {
    const chunk = buf.subarray(off, off + size);
    const r = d.push(chunk);
    parts.push(...r.out);
    if (r.endAt !== undefined) {
      rest = Buffer.concat([chunk.subarray(r.endAt), buf.subarray(off + size)]).toString('latin1');
      break;
    }
  }
  const content = Buffer.concat(parts).toString('latin1');
  assert.equal(d.bytes, Buffer.byteLength(content, 'latin1'));
  return { content, rest, bareLf: d.bareLf, bareCr: d.bareCr };
}

const cases: Array<[string, string, Outcome]> = [
  ['empty message', '.\r\n', { content: '', rest: '', bareLf: 0, bareCr: 0 }],
  ['simple', 'a\r\nb\r\n.\r\nQUIT\r\n', { content: 'a\r\nb\r\n', rest: 'QUIT\r\n', bareLf: 0, bareCr: 0 }],
  ['dot-stuffed line', '..x\r\n.\r\n', { content: '.x\r\n', rest: '', bareLf: 0, bareCr: 0 }],
  ['stuffed lone dot', '..\r\n.\r\n', { content: '.\r\n', rest: '', bareLf: 0, bareCr: 0 }],
  ['dot mid-line untouched', 'a.b\r\n.\r\n', { content: 'a.b\r\n', rest: '', bareLf: 0, bareCr: 0 }],
  ['bare LF dot LF never ends', 'a\n.\nb\r\n.\r\n', { content: 'a\n.\nb\r\n', rest: '', bareLf: 2, bareCr: 0 }],
  ['bare CR dot CR never ends', 'a\r.\rb\r\n.\r\n', { content: 'a\r.\rb\r\n', rest: '', bareLf: 0, bareCr: 2 }],
  ['LF dot CRLF never ends', 'a\n.\r\nb\r\n.\r\n', { content: 'a\n.\r\nb\r\n', rest: '', bareLf: 1, bareCr: 0 }],
  ['CRLF dot LF never ends', 'a\r\n.\nMAIL FROM:<x>\r\n.\r\n', { content: 'a\r\n\nMAIL FROM:<x>\r\n', rest: '', bareLf: 1, bareCr: 0 }],
  ['dot CR then text', 'a\r\n.\rX\r\n.\r\n', { content: 'a\r\n\rX\r\n', rest: '', bareLf: 0, bareCr: 1 }],
  ['unterminated', 'a\r\nb', { content: 'a\r\nb', rest: null, bareLf: 0, bareCr: 0 }],
  ['binary octets kept', '\x00\xff\x80\r\n.\r\n', { content: '\x00\xff\x80\r\n', rest: '', bareLf: 0, bareCr: 0 }],
  ['pipelined after end', 'x\r\n.\r\nRSET\r\nNOOP\r\n', { content: 'x\r\n', rest: 'RSET\r\nNOOP\r\n', bareLf: 0, bareCr: 0 }],
];

for (const [name, input, want] of cases) {
  for (const step of [0, 1, 2, 3, 5]) {
    test(`P3 DataDecoder: ${name} (chunks of ${step || 'all'})`, () => {
      assert.deepEqual(decode(input, step), want);
    });
  }
}

test('P3 DataDecoder: a megabyte of dot-leading lines across odd chunk sizes', () => {
  const line = '.' + 'x'.repeat(70) + '\r\n';
  const body = line.repeat(15000);
  const stuffed = body.replace(/^\./gm, '..');
  const out = decode(stuffed + '.\r\n', 4093);
  assert.equal(out.content, body);
  assert.equal(out.rest, '');
});
