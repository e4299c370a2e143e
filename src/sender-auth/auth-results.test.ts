// A5 Authentication-Results: the field we build, and the removal of incoming fields
// that claim our authserv-id (RFC 8601 section 5), whole-block and streamed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { authResultsHeader, commentText, pvalue } from './auth-results.js';
import { authservIdOf, claimsAuthservId, ownAuthResultsFilter, stripOwnAuthResults } from './strip-auth-results.js';
import type { SpfOutcome } from './spf.js';
import type { DmarcOutcome } from './dmarc.js';

const spf: SpfOutcome = { identity: 'mailfrom', result: 'fail', domain: 'sender.test', sender: 'a@sender.test', ip: '192.0.2.1', comment: 'mx.ours.test: domain of a@sender.test does not designate 192.0.2.1 as permitted sender' };
const dmarc: DmarcOutcome = {
  result: 'fail',
  domain: 'sender.test',
  orgDomain: 'sender.test',
  policy: 'reject',
  disposition: 'none',
  override: { type: 'trusted_forwarder', comment: 'ARC i=1 sealed by trusted list.test saw dmarc=pass' },
  alignment: { spf: { mode: 'r', aligned: false }, dkim: { mode: 'r', domains: [], aligned: false } },
};

test('A5 Authentication-Results: one field, one result per line, our authserv-id first', () => {
  const h = authResultsHeader({
    authservId: 'mx.ours.test',
    spf,
    spfHelo: { ...spf, identity: 'helo', result: 'pass', domain: 'helo.sender.test', sender: 'postmaster@helo.sender.test', comment: '' },
    dkim: [{ result: 'pass', domain: 'sender.test', selector: 's1', algorithm: 'rsa-sha256', b: 'AbCd+/12' }, { result: 'fail', domain: 'other.test', selector: 'x', algorithm: 'ed25519-sha256', b: 'zz', comment: 'body hash did not verify' }],
    dmarc,
    arc: { result: 'pass', instances: 1, sealer: 'list.test', hops: [] },
  });
  assert.equal(
    h,
    'Authentication-Results: mx.ours.test;\r\n' +
      '\tspf=fail (mx.ours.test: domain of a@sender.test does not designate 192.0.2.1 as permitted sender) smtp.mailfrom=a@sender.test;\r\n' +
      '\tspf=pass smtp.helo=helo.sender.test;\r\n' +
      '\tdkim=pass header.d=sender.test header.s=s1 header.a=rsa-sha256 header.b="AbCd+/12";\r\n' +
      '\tdkim=fail (body hash did not verify) header.d=other.test header.s=x header.a=ed25519-sha256 header.b=zz;\r\n' +
      '\tdmarc=fail (p=reject dis=none ARC i=1 sealed by trusted list.test saw dmarc=pass) header.from=sender.test;\r\n' +
      '\tarc=pass (i=1 sealed by list.test)\r\n',
  );
});

test('A5 Authentication-Results: nothing checked is "none"; unsigned is dkim=none', () => {
  assert.equal(authResultsHeader({ authservId: 'mx.ours.test' }), 'Authentication-Results: mx.ours.test; none\r\n');
  assert.equal(authResultsHeader({ authservId: 'mx.ours.test', dkim: [] }), 'Authentication-Results: mx.ours.test;\r\n\tdkim=none (message not signed)\r\n');
});

test('A5 Authentication-Results: comments and values cannot break the field', () => {
  assert.equal(commentText('a (nested) \\ b\r\nc\u00e9'), 'a nested b c');
  assert.equal(commentText('x'.repeat(500)).length, 200);
  assert.equal(pvalue('user@example.test'), 'user@example.test');
  assert.equal(pvalue('"odd user"@example.test'), '"\\"odd user\\"@example.test"');
  assert.equal(pvalue('a;b'), '"a;b"');
  const h = authResultsHeader({ authservId: 'mx.ours.test', spf: { ...spf, sender: 'x;\r\nInjected: yes@sender.test', comment: 'evil)\r\nX-Injected: 1' } });
  assert.equal(h.split('\r\n').length, 3, JSON.stringify(h));
  assert.ok(!/\r\n(Injected|X-Injected)/.test(h));
});

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
  '\r\n';
const BODY = 'Authentication-Results: mx.ours.test; spf=pass\r\nbody text\r\n';
const KEPT =
  'Received: from a by b; Mon, 6 May 2024 10:00:00 +0000\r\n' +
  'Authentication-Results: mx.ours.test.evil.test; spf=pass\r\n' +
  'Authentication-Results: other.test;\r\n dkim=pass\r\n' +
  'ARC-Authentication-Results: i=1; mx.ours.test; dmarc=pass\r\n' +
  'Authentication-Results-Extra: mx.ours.test; x\r\n' +
  'Subject: test\r\n' +
  '\r\n';

test('A5 authserv-id of a field', () => {
  assert.equal(authservIdOf('Authentication-Results:  (c (d)) MX.Ours.Test; spf=pass'), 'mx.ours.test');
  assert.equal(authservIdOf('Authentication-Results: "a b"; none'), 'a b');
  assert.equal(authservIdOf('Authentication-Results:\r\n mx.ours.test;'), 'mx.ours.test');
  assert.equal(claimsAuthservId('Authentication-Results: mx.ours.test.evil.test; x', OURS), false);
  assert.equal(claimsAuthservId('X-Authentication-Results: mx.ours.test; x', OURS), false);
});

test('A5 fields claiming our authserv-id are removed from the header only', () => {
  const r = stripOwnAuthResults(Buffer.from(HEADER + BODY), OURS);
  assert.equal(r.data.toString(), KEPT + BODY);
  assert.equal(r.removed, 4);
});

test('A5 the streaming filter gives the same result for every chunk size', async () => {
  const input = Buffer.from(HEADER + BODY);
  for (const size of [1, 2, 3, 7, 16, 64, input.length]) {
    const f = ownAuthResultsFilter(OURS);
    const chunks = Array.from({ length: Math.ceil(input.length / size) }, (_, i) => input.subarray(i * size, (i + 1) * size));
    const out = await text(Readable.from(chunks).pipe(f));
    assert.equal(out, KEPT + BODY, `chunk size ${size}`);
    assert.equal(f.stripper.removed, 4);
  }
});

test('A5 a field longer than the hold limit is still judged by its authserv-id', async () => {
  const long = 'Authentication-Results: mx.ours.test;\r\n' + ' x'.repeat(40000) + '\r\n' + '\tdkim=pass' + 'y'.repeat(70000) + '\r\n';
  const other = 'Authentication-Results: other.test;' + 'z'.repeat(70000) + '\r\n';
  const input = Buffer.from(`Subject: a\r\n${long}${other}To: b\r\n\r\nbody\r\n`);
  const f = ownAuthResultsFilter(OURS);
  const chunks = Array.from({ length: Math.ceil(input.length / 4096) }, (_, i) => input.subarray(i * 4096, (i + 1) * 4096));
  const out = await text(Readable.from(chunks).pipe(f));
  assert.equal(out, `Subject: a\r\n${other}To: b\r\n\r\nbody\r\n`);
  assert.equal(f.stripper.removed, 1);
});

test('A5 a header without a body, and LF line ends', () => {
  assert.equal(stripOwnAuthResults(Buffer.from('Authentication-Results: mx.ours.test; none\nSubject: x\n'), OURS).data.toString(), 'Subject: x\n');
  assert.equal(stripOwnAuthResults(Buffer.from('Subject: x\r\nAuthentication-Results: mx.ours.test; none'), OURS).data.toString(), 'Subject: x\r\n');
});
