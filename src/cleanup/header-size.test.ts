// S6 unit tests: the primary header is cut at whole fields (with their folded lines)
// once it would pass the limit; the blank line and the body stay; global overrides
// the listener's setting.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { clean } from './test-support.js';
import { effectiveHeaderLimit, HeaderSizeLimit } from './header-size.js';

const F1 = 'From: a@example.test\r\n'; // 22
const F2 = 'Subject: folded\r\n continues here\r\n'; // 34
const F3 = 'To: b@example.test\r\n'; // 20
const BODY = '\r\nbody line 1\r\nSubject: not a header\r\n';

describe('S6 header size limit', () => {
  test('S6 global overrides the listener (Sun HEADER_LIMIT over headerlimit)', () => {
    assert.equal(effectiveHeaderLimit(undefined, undefined), undefined);
    assert.equal(effectiveHeaderLimit(undefined, 100), 100);
    assert.equal(effectiveHeaderLimit(500, 100), 500);
    assert.equal(effectiveHeaderLimit(50, 100), 50);
  });

  test('S6 once a field does not fit, it and every later field are dropped', () => {
    const h = new HeaderSizeLimit(50);
    assert.deepEqual([h.keep(30), h.keep(30), h.keep(5)], [true, false, false]);
    assert.deepEqual([h.bytes, h.droppedFields, h.droppedBytes], [30, 2, 35]);
  });

  const cases: Array<[string, number | undefined, string]> = [
    ['no limit (default): unchanged', undefined, F1 + F2 + F3],
    ['limit above the header: unchanged', 1000, F1 + F2 + F3],
    ['exactly the header size: unchanged', 76, F1 + F2 + F3],
    ['one octet less: the last field goes', 75, F1 + F2],
    ['a folded field is dropped whole (no orphan continuation line)', 50, F1],
    ['a later short field that would fit is dropped too', 22 + 33, F1],
    ['smaller than the first field: every field goes', 10, ''],
  ];
  for (const [name, limit, kept] of cases) {
    test(`S6 ${name}`, async () => {
      for (const chunking of [1, 5, { seed: 2 }, 65536]) {
        const r = await clean(F1 + F2 + F3 + BODY, { headerLimit: limit }, chunking);
        assert.equal(r.text, kept + BODY, JSON.stringify(chunking));
        assert.equal(r.refusal, undefined);
      }
    });
  }

  test('S6 counts what is written: S8 shortens Content-Type first', async () => {
    const ct = `Content-Type: text/plain; name="${'n'.repeat(500)}"\r\n`;
    const r = await clean(F1 + ct + F3 + BODY, { headerLimit: 250 });
    assert.match(r.text, /^From: .*\r\nContent-Type: text\/plain;\r\n\tname="n{128}"\r\nTo: b@example.test\r\n\r\nbody/);
  });

  test('S6 a dropped Content-Type no longer shapes the structure that is followed', async () => {
    const msg = F1 + 'Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Transfer-Encoding: base64\r\n\r\n' + 'QUJD'.repeat(400) + '\r\n--zz--\r\n';
    const r = await clean(msg, { headerLimit: 30, longLines: 'wrap' });
    assert.ok(r.text.startsWith(F1 + '\r\n--zz\r\n'));
    assert.equal(r.stats.headerFieldsDropped, 1);
    assert.equal(r.stats.linesWrapped, 1); // wrapped as text: the message is text/plain now
  });

  test('S6 logs what was dropped', async () => {
    const r = await clean(F1 + F2 + F3 + BODY, { headerLimit: 30 });
    const l = r.logs.find((x) => x.event === 'cleanup');
    assert.deepEqual([l?.headerFieldsDropped, l?.headerBytesDropped], [2, 54]);
  });
});
