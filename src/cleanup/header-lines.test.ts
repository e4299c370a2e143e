// S5 unit tests: lines of the primary header are counted (folded lines too), the
// message is refused with 552 5.6.0 past the limit, after the whole message was read;
// part headers, the body and lines added by wrapping do not count.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { clean } from './test-support.js';
import { HeaderLineCounter } from './header-lines.js';

/** A header of `fields` fields, each folded into `folds` extra lines. */
function header(fields: number, folds = 0): string {
  let s = '';
  for (let i = 0; i < fields; i++) s += `X-Field-${i}: value ${i}\r\n` + ' folded\r\n'.repeat(folds);
  return s;
}

describe('S5 maximum header lines', () => {
  test('S5 counter: true exactly once, on the first line over the limit', () => {
    const c = new HeaderLineCounter(2);
    assert.deepEqual([c.add(), c.add(), c.add(), c.add()], [false, false, true, false]);
    assert.equal(c.count, 4);
  });

  const cases: Array<[string, string, number, boolean]> = [
    ['150 lines (the default limit) pass', header(150), 150, false],
    ['151 lines are refused', header(151), 150, true],
    ['folded lines count: 50 fields of 3 lines = 150 pass', header(50, 2), 150, false],
    ['folded lines count: 51 fields of 3 lines = 153 are refused', header(51, 2), 150, true],
    ['a low limit', header(6), 5, true],
    ['the blank line does not count', header(5), 5, false],
    ['a header ended by a non-header line: that line is body', header(5) + 'no colon here\r\n', 5, false],
  ];
  for (const [name, head, max, refused] of cases) {
    test(`S5 ${name}`, async () => {
      const msg = head + '\r\n' + 'body line\r\n'.repeat(300);
      const r = await clean(msg, { maxHeaderLines: max }, { seed: max });
      if (refused) {
        assert.deepEqual(
          { action: r.refusal?.action, code: r.refusal?.code, enhanced: r.refusal?.enhanced, check: r.refusal?.check, feature: r.refusal?.feature },
          { action: 'reject', code: 552, enhanced: '5.6.0', check: 'eod.maxHeaderLines', feature: 'S5' },
        );
      } else {
        assert.equal(r.refusal, undefined);
        assert.equal(r.text, msg);
      }
    });
  }

  test('S5 part headers and the body do not count', async () => {
    const part = `--b\r\n${header(100)}\r\ntext\r\n`;
    const msg = `Content-Type: multipart/mixed; boundary=b\r\n\r\n${part}${part}--b--\r\n` + header(200);
    for (const mimeProcessing of [false, true]) {
      const r = await clean(msg, { maxHeaderLines: 5, mimeProcessing });
      assert.equal(r.refusal, undefined);
      assert.equal(r.stats.headerLines, 1);
    }
  });

  test('S5 lines added by wrapping a long header line do not count', async () => {
    const msg = `Subject: ${'word '.repeat(1000)}\r\nTo: x@example.test\r\n\r\nbody\r\n`;
    const r = await clean(msg, { maxHeaderLines: 2, longLines: 'wrap' });
    assert.equal(r.refusal, undefined);
    assert.equal(r.stats.headerLines, 2);
    assert.ok(r.stats.linesWrapped === 1 && r.text.split('\r\n').length > 5);
  });

  test('S5 refused: nothing after the limit is written (the rest is read and dropped)', async () => {
    const r = await clean(header(10) + '\r\n' + 'x'.repeat(100000) + '\r\n', { maxHeaderLines: 3 });
    assert.equal(r.refusal?.code, 552);
    assert.ok(r.out.length < 200, `${r.out.length} octets written`);
  });

  test('S5 warn mode: logged with warn, the message passes unchanged', async () => {
    const msg = header(10) + '\r\nbody\r\n';
    const r = await clean(msg, { maxHeaderLines: 3, warn: ['eod.maxHeaderLines'] });
    assert.equal(r.refusal, undefined);
    assert.equal(r.text, msg);
    const l = r.logs.find((x) => x.event === 'decision');
    assert.deepEqual([l?.check, l?.feature, l?.code, l?.enhanced, l?.warn], ['eod.maxHeaderLines', 'S5', 552, '5.6.0', true]);
  });
});
