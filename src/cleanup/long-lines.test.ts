// S7 unit tests: where long lines are cut or broken (pure functions), then the
// streaming behaviour through the pipeline: truncate / wrap / reject, in headers and in
// quoted-printable, base64 and text bodies, at every chunking, with flat memory.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { wrapAt, truncateAt, utf8Cut, MAX_LINE, type WrapContext } from './long-lines.js';
import { clean, longestLine, parseMime, decodeQp, MemorySink, settings, testDecide } from './test-support.js';
import { CleanupPipeline } from './pipeline.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('S7 break points', () => {
  const utf8 = Buffer.from('a'.repeat(997) + 'é' + 'b', 'utf8'); // é occupies octets 997-998
  const cases: Array<[string, number, number]> = [
    ['ASCII: at the limit', utf8Cut(b('x'.repeat(1200)), 998), 998],
    ['UTF-8: never inside a character', utf8Cut(utf8, 998), 997],
    ['latin1 high octets: at the limit', utf8Cut(b('\xe9'.repeat(1200)), 998), 998],
    ['truncateAt ASCII', truncateAt(b('y'.repeat(5000))), MAX_LINE],
    ['truncateAt UTF-8', truncateAt(Buffer.from('€'.repeat(400), 'utf8')), 996], // 3 octets each: 996 = 332 whole characters
  ];
  for (const [name, got, want] of cases) test(`S7 cut: ${name}`, () => assert.equal(got, want));

  const wraps: Array<[string, Buffer, WrapContext, boolean, Partial<ReturnType<typeof wrapAt>>]> = [
    ['header: before the last space', b('Subject: ' + 'word '.repeat(300)), 'header', true, { cut: 998, resume: 998, soft: false, insertSpace: false }], // "Subject: " + 197 words: octet 998 is a space
    ['header: before an earlier space', b('Subject: ' + 'abcdefg '.repeat(200)), 'header', true, { cut: 992, resume: 992, insertSpace: false }],
    ['header: no space -> forced fold, a space inserted', b('X-Long: ' + 'z'.repeat(1500)), 'header', true, { cut: 998, insertSpace: true }],
    ['header: never before the colon', b('X-' + 'n'.repeat(1200) + ': v'), 'header', true, { cut: 998, insertSpace: true }],
    ['header: continuation line does not fold at its own leading space', b(' ' + 'k'.repeat(1200)), 'header', false, { cut: 998, insertSpace: true }],
    ['base64: plain cut at 998', b('QUJD'.repeat(400)), 'base64', false, { cut: 998, soft: false }],
    ['quoted-printable: room for the "="', b('a'.repeat(1200)), 'quoted-printable', false, { cut: 997, soft: true }],
    ['quoted-printable: "=XX" at 996..998 is not split', b('a'.repeat(996) + '=3D' + 'a'.repeat(300)), 'quoted-printable', false, { cut: 996, soft: true }],
    ['quoted-printable: "=XX" at 995..997 is not split', b('a'.repeat(995) + '=3D' + 'a'.repeat(300)), 'quoted-printable', false, { cut: 995, soft: true }],
    ['quoted-printable: "=XX" ending at 996 is fine', b('a'.repeat(994) + '=3D' + 'a'.repeat(300)), 'quoted-printable', false, { cut: 997, soft: true }],
    ['quoted-printable: the rest never starts with "--"', b('a'.repeat(997) + '--' + 'a'.repeat(300)), 'quoted-printable', false, { cut: 996, soft: true }],
    ['text: after the last space near the end', b('t'.repeat(950) + ' ' + 't'.repeat(300)), 'text', false, { cut: 951, soft: false }],
    ['text: no space -> at 998', b('t'.repeat(1300)), 'text', false, { cut: 998 }],
    ['text: the rest never starts with "--"', b('t'.repeat(998) + '--x' + 't'.repeat(300)), 'text', false, { cut: 997 }],
  ];
  for (const [name, line, ctx, first, want] of wraps) {
    test(`S7 wrap: ${name}`, () => {
      const got = wrapAt(line, ctx, first);
      for (const [k, v] of Object.entries(want)) assert.equal(got[k as keyof typeof got], v, k);
      assert.ok(got.cut + (got.soft ? 1 : 0) <= MAX_LINE);
    });
  }
});

/** A message with a long line in the header, a QP part, a base64 part and a text part. */
function mimeMessage(): { msg: string; qp: string; b64: string; text: string } {
  const qp = ('Gr=C3=BC=C3=9Fe aus K=C3=B6ln, ' + 'x=3Dy ').repeat(120); // about 4700 octets, many escapes
  const b64 = Buffer.from('binary\x00\x01\x02'.repeat(500), 'latin1').toString('base64'); // one long line
  const text = 'Lorem ipsum dolor sit amet, '.repeat(100) + '--not-a-boundary';
  const msg =
    `From: a@example.test\r\nSubject: ${'long subject words '.repeat(80)}\r\nMIME-Version: 1.0\r\n` +
    `Content-Type: multipart/mixed; boundary="outer"\r\n\r\npreamble\r\n` +
    `--outer\r\nContent-Type: multipart/alternative; boundary="inner"\r\n\r\n` +
    `--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp}\r\n` +
    `--inner\r\nContent-Type: text/plain\r\n\r\n${text}\r\n--inner--\r\n` +
    `--outer\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n` +
    `--outer--\r\nepilogue\r\n`;
  return { msg, qp, b64, text };
}

describe('S7 long lines in the stream', { timeout: 60_000 }, () => {
  test('S7 short lines pass byte-exact in every mode and at every chunking', async () => {
    const msg = 'Subject: ok\r\n\r\n' + ('x'.repeat(998) + '\r\n') + ('y'.repeat(999) + '\n') + '.\r\nlast line without CRLF';
    for (const longLines of ['truncate', 'wrap', 'reject'] as const) {
      for (const chunking of [1, 7, 1000, 1001, { seed: 3 }, 65536]) {
        const r = await clean(msg, { longLines }, chunking);
        assert.equal(r.text, msg, `${longLines} ${JSON.stringify(chunking)}`);
        assert.equal(r.refusal, undefined);
      }
    }
  });

  const truncations: Array<[string, string, string]> = [
    ['999 octets + CRLF (1001) is cut to 998 + CRLF', 'a'.repeat(999) + '\r\n', 'a'.repeat(998) + '\r\n'],
    ['a long line ending in a bare LF', 'b'.repeat(1500) + '\n', 'b'.repeat(998) + '\r\n'],
    ['a huge line', 'c'.repeat(200_000) + '\r\nnext\r\n', 'c'.repeat(998) + '\r\nnext\r\n'],
    ['a long last line without CRLF', 'd'.repeat(2000), 'd'.repeat(998) + '\r\n'],
    ['UTF-8 cut before a character', 'a'.repeat(997) + 'é'.repeat(10) + '\r\n', 'a'.repeat(997) + '\r\n'],
  ];
  for (const [name, body, want] of truncations) {
    test(`S7 truncate: ${name}`, async () => {
      const raw = Buffer.from('Subject: t\r\n\r\n' + body, 'utf8');
      for (const chunking of [3, 999, 1000, { seed: 11 }, 65536]) {
        const r = await clean(raw, {}, chunking);
        assert.equal(r.out.toString('utf8'), 'Subject: t\r\n\r\n' + want, JSON.stringify(chunking));
        assert.equal(r.stats.linesTruncated, 1);
      }
    });
  }

  test('S7 truncate in the header cuts the header line; the header still ends at the blank line', async () => {
    const r = await clean(`Subject: ${'s'.repeat(3000)}\r\nTo: b@example.test\r\n\r\nbody\r\n`);
    assert.equal(r.text, `Subject: ${'s'.repeat(989)}\r\nTo: b@example.test\r\n\r\nbody\r\n`);
  });

  test('S7 wrap keeps the MIME structure and the decoded content of every part, at every chunking', async () => {
    const { msg, qp, b64, text } = mimeMessage();
    const before = await parseMime(b(msg));
    let first: string | undefined;
    for (const chunking of [1, 13, 997, 1000, { seed: 5 }, { seed: 99 }, 65536]) {
      const r = await clean(msg, { longLines: 'wrap' }, chunking);
      first ??= r.text;
      assert.equal(r.text, first, `same output at chunking ${JSON.stringify(chunking)}`);
      assert.ok(longestLine(r.out) <= 1000, `longest line ${longestLine(r.out)}`);
      assert.equal(r.refusal, undefined);
    }
    const out = b(first!);
    const after = await parseMime(out);
    assert.deepEqual(after.map((p) => [p.contentType, p.multipart, p.encoding]), before.map((p) => [p.contentType, p.multipart, p.encoding]), 'same parts');
    assert.equal(after.length, 5); // mixed, alternative, qp text, plain text, base64
    // Boundary lines untouched, in order.
    assert.deepEqual(first!.match(/^--(outer|inner)(--)?$/gm), ['--outer', '--inner', '--inner', '--inner--', '--outer', '--outer--']);
    // QP: soft breaks only; decodes to the same octets.
    const qpPart = after.find((p) => p.encoding === 'quoted-printable')!;
    assert.ok(decodeQp(qpPart.body).equals(decodeQp(b(qp)))); // the CRLF before a boundary belongs to the boundary
    // base64: same decoded octets.
    const b64Part = after.find((p) => p.encoding === 'base64')!;
    assert.ok(Buffer.from(b64Part.body.toString('latin1'), 'base64').equals(Buffer.from(b64, 'base64')));
    // Text: CRLFs inserted after spaces; the words are the same.
    const textPart = after.find((p) => p.contentType === 'text/plain' && !p.encoding)!;
    assert.equal(textPart.body.toString('latin1').replace(/\r\n/g, ''), text);
    // Header: folded before a space, unfolds to the original.
    const subject = /^Subject:[^\r]*(?:\r\n[ \t][^\r]*)*/m.exec(first!)![0];
    assert.equal(subject.replace(/\r\n/g, ''), `Subject: ${'long subject words '.repeat(80)}`);
  });

  test('S7 wrap of a huge single line keeps memory flat and every line within 1000 octets', async () => {
    const p = new CleanupPipeline(settings({ longLines: 'wrap' }), testDecide());
    const sink = new MemorySink(false);
    const chunk = Buffer.alloc(64 * 1024, 'w'); // one line, reused: nothing may hold on to it
    await p.write(Buffer.from('Subject: big\r\n\r\n'), sink);
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    for (let i = 0; i < 2048; i++) {
      await p.write(chunk, sink); // 128 MiB in all
      if (i % 64 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
    }
    await p.write(Buffer.from('\r\n'), sink);
    assert.equal(await p.finish(sink), undefined);
    assert.ok(peak < 64 * 1024 * 1024, `arrayBuffers grew by ${peak}`);
    const lines = Math.ceil((2048 * 64 * 1024) / 998);
    assert.equal(sink.bytes, 16 + 2048 * 64 * 1024 + lines * 2);
  });

  test('S7 reject: refused 554 5.6.0 naming eod.longLines; nothing after the long line is kept', async () => {
    const r = await clean('Subject: x\r\n\r\nfine\r\n' + 'l'.repeat(1001) + '\r\nmore\r\n', { longLines: 'reject' });
    assert.equal(r.refusal?.code, 554);
    assert.equal(r.refusal?.enhanced, '5.6.0');
    assert.equal(r.refusal?.check, 'eod.longLines');
    assert.equal(r.refusal?.feature, 'S7');
    assert.equal(r.refusal?.action, 'reject');
  });

  test('S7 reject in warn mode: logged, the message passes truncated', async () => {
    const r = await clean('Subject: x\r\n\r\n' + 'l'.repeat(1500) + '\r\n', { longLines: 'reject', warn: ['eod.longLines'] });
    assert.equal(r.refusal, undefined);
    assert.equal(r.text, 'Subject: x\r\n\r\n' + 'l'.repeat(998) + '\r\n');
    assert.ok(r.logs.some((l) => l.check === 'eod.longLines' && l.warn === true && l.feature === 'S7'));
  });

  test('S7 a boundary line inside a wrapped part is recognised after wrapped lines (nested, message/rfc822)', async () => {
    const inner = `Subject: inner\r\nContent-Type: multipart/mixed; boundary=in2\r\n\r\n--in2\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${'q=3D'.repeat(600)}\r\n--in2--\r\n`;
    const msg = `Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\n${inner}--b1\r\nContent-Transfer-Encoding: base64\r\n\r\n${'QUJD'.repeat(700)}\r\n--b1--\r\n`;
    const r = await clean(msg, { longLines: 'wrap' }, { seed: 7 });
    assert.ok(longestLine(r.out) <= 1000);
    const qpBody = /quoted-printable\r\n\r\n([\s\S]*?)\r\n--in2--/.exec(r.text)![1];
    const qpLines = qpBody.split('\r\n');
    assert.ok(qpLines.length >= 3);
    qpLines.slice(0, -1).forEach((l) => {
      assert.ok(l.endsWith('='), 'soft line break');
      assert.doesNotMatch(l.slice(0, -1), /=[0-9A-F]?$/, 'no escape split');
    });
    assert.ok(decodeQp(b(qpBody)).equals(decodeQp(b('q=3D'.repeat(600)))));
    const b64Body = /base64\r\n\r\n([\s\S]*?)\r\n--b1--/.exec(r.text)![1];
    assert.equal(b64Body.replace(/\r\n/g, ''), 'QUJD'.repeat(700), 'base64 wrapped with plain CRLFs');
    const parts = await parseMime(r.out);
    const before = await parseMime(b(msg));
    assert.equal(parts.length, before.length);
  });
});
