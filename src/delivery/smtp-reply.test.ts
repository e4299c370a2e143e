// Q2 the reply reader and the dot-stuffer, fed byte streams split at awkward
// places: a reply or a "." split across reads must come out the same.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyReader, ReplyProtocolError, replyStatus, replyText } from './smtp-reply.js';
import { DotStuffer } from './dot-stuff.js';

function readAll(text: string, cut: number): ReturnType<ReplyReader['push']> {
  const r = new ReplyReader();
  const b = Buffer.from(text);
  const out = [];
  for (let i = 0; i < b.length; i += cut) out.push(...r.push(b.subarray(i, i + cut)));
  return out;
}

test('Q2 replies split anywhere: multi-line EHLO and single lines, enhanced codes of the reply class only', () => {
  const text = '250-mx.example hello\r\n250-PIPELINING\r\n250 SIZE 1000\r\n550 5.1.1 no such user\r\n451 5.1.1 class mismatch\r\n250\r\n';
  for (const cut of [1, 2, 3, 7, 100]) {
    const got = readAll(text, cut);
    assert.deepEqual(
      got.map((r) => [r.code, r.lines.length, r.enhanced]),
      [
        [250, 3, undefined],
        [550, 1, '5.1.1'],
        [451, 1, undefined],
        [250, 1, undefined],
      ],
      `cut ${cut}`,
    );
  }
  const [, nouser, mismatch] = readAll(text, 5);
  assert.equal(replyStatus(nouser), '5.1.1');
  assert.equal(replyStatus(mismatch), '4.0.0');
  assert.equal(replyText(readAll('550-5.1.1 first\r\n550 5.1.1 second\r\n', 4)[0]), '550-5.1.1 first 550 5.1.1 second');
});

test('Q2 garbage, mixed codes and over-long lines are protocol errors', () => {
  assert.throws(() => new ReplyReader().push(Buffer.from('hello there\r\n')), ReplyProtocolError);
  assert.throws(() => new ReplyReader().push(Buffer.from('250-a\r\n550 b\r\n')), /different codes/);
  const r = new ReplyReader();
  assert.throws(() => {
    for (let i = 0; i < 10; i++) r.push(Buffer.alloc(1000, 'x'));
  }, /longer than 4096/);
  assert.throws(() => new ReplyReader().push(Buffer.from('250-x\r\n'.repeat(101))), /more than 100 lines/);
});

test('Q2 dot-stuffing across chunk boundaries, bare CR included; the end of data adds CRLF when missing', () => {
  const cases: Array<[string[], string]> = [
    [['.a\r\n', '.b\r\n'], '..a\r\n..b\r\n.\r\n'],
    [['x\r', '\n.y\r\n'], 'x\r\n..y\r\n.\r\n'],
    [['x\r\n', '.'], 'x\r\n..\r\n.\r\n'],
    [['one\r.two\r\n'], 'one\r..two\r\n.\r\n'],
    [['no final crlf'], 'no final crlf\r\n.\r\n'],
    [[], '.\r\n'],
  ];
  for (const [chunks, want] of cases) {
    const s = new DotStuffer();
    const out = Buffer.concat([...chunks.map((c) => s.push(Buffer.from(c))), s.end()]).toString();
    assert.equal(out, want, JSON.stringify(chunks));
  }
});
