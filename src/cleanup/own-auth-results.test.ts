// A5 RFC 8601 section 5 in the cleanup stage: incoming Authentication-Results fields
// of the outermost header that claim our authserv-id are removed; other ids, ARC
// sets, other field names, the body and MIME part headers are left alone; the result
// never depends on how the input was chunked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clean } from './test-support.js';

const OURS = 'mx.ours.test';
const HEADER =
  'Received: from a by b; Mon, 6 May 2024 10:00:00 +0000\r\n' +
  'Authentication-Results: mx.ours.test; spf=pass\r\n' + // forged: removed
  'authentication-results: MX.OURS.TEST;\r\n\tdkim=pass header.d=bank.test;\r\n  dmarc=pass\r\n' + // folded, other case: removed
  'Authentication-Results: (comment (nested)) mx.ours.test 1; none\r\n' + // comment, version: removed
  'Authentication-Results: "mx.ours.test"; none\r\n' + // quoted: removed
  'Authentication-Results: mx.ours.test.evil.test; spf=pass\r\n' + // another id: kept
  'Authentication-Results: other.test;\r\n dkim=pass\r\n' + // another ADMD: kept
  'ARC-Authentication-Results: i=1; mx.ours.test; dmarc=pass\r\n' + // part of an ARC set: kept
  'Authentication-Results-Extra: mx.ours.test; x\r\n' + // another field name: kept
  'Subject: test\r\n' +
  'Content-Type: multipart/mixed; boundary=b\r\n' +
  '\r\n';
const BODY =
  'Authentication-Results: mx.ours.test; spf=pass\r\n' + // body text: kept
  '--b\r\nAuthentication-Results: mx.ours.test; none\r\nContent-Type: text/plain\r\n\r\npart\r\n--b--\r\n'; // a part header: kept
const KEPT =
  'Received: from a by b; Mon, 6 May 2024 10:00:00 +0000\r\n' +
  'Authentication-Results: mx.ours.test.evil.test; spf=pass\r\n' +
  'Authentication-Results: other.test;\r\n dkim=pass\r\n' +
  'ARC-Authentication-Results: i=1; mx.ours.test; dmarc=pass\r\n' +
  'Authentication-Results-Extra: mx.ours.test; x\r\n' +
  'Subject: test\r\n' +
  'Content-Type: multipart/mixed; boundary=b\r\n' +
  '\r\n';

test('A5 fields claiming our authserv-id are removed from the outermost header only, whatever the chunking', async () => {
  for (const chunking of [1, 2, 3, 7, 16, 64, 65536, { seed: 5 }, { seed: 11 }]) {
    for (const mimeProcessing of [false, true]) {
      const r = await clean(HEADER + BODY, { authservId: OURS, mimeProcessing }, chunking);
      assert.equal(r.text, KEPT + BODY, `chunking ${JSON.stringify(chunking)}`);
      assert.equal(r.stats.authResultsRemoved, 4);
    }
  }
});

test('A5 without an authserv-id (unit settings) nothing is removed; the count is logged', async () => {
  assert.equal((await clean(HEADER + BODY)).text, HEADER + BODY);
  const r = await clean(HEADER + BODY, { authservId: OURS });
  assert.ok(r.logs.some((l) => l.event === 'cleanup' && l.authResultsRemoved === 4), JSON.stringify(r.logs));
});

test('A5 a field too long to hold (over 64 KiB) is decided on its start and goes whole', async () => {
  const folded = (id: string) => `Authentication-Results: ${id};\r\n` + Array.from({ length: 90 }, (_, i) => `\tdkim=pass header.b=${String(i).padStart(4, '0')}${'y'.repeat(900)}\r\n`).join('');
  const msg = `Subject: a\r\n${folded(OURS)}${folded('other.test')}To: b\r\n\r\nbody\r\n`;
  const r = await clean(msg, { authservId: OURS, maxHeaderLines: 1000 }, 4096);
  assert.equal(r.text, `Subject: a\r\n${folded('other.test')}To: b\r\n\r\nbody\r\n`);
  assert.equal(r.stats.authResultsRemoved, 1);
});

test('A5 LF line ends, and a header with no body', async () => {
  assert.equal((await clean('Authentication-Results: mx.ours.test; none\nSubject: x\n\nb\n', { authservId: OURS })).text, 'Subject: x\n\nb\n');
  assert.equal((await clean('Subject: x\r\nAuthentication-Results: mx.ours.test; none', { authservId: OURS })).text, 'Subject: x\r\n');
});
