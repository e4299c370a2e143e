// A5 Authentication-Results: the field we build, and which authserv-id an incoming
// field claims (RFC 8601 section 5; the removal itself: cleanup/own-auth-results.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authResultsHeader, commentText, pvalue } from './auth-results.js';
import { authservIdOf, claimsAuthservId } from './authserv-id.js';
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

test('A5 authserv-id of a field', () => {
  assert.equal(authservIdOf('Authentication-Results:  (c (d)) MX.Ours.Test; spf=pass'), 'mx.ours.test');
  assert.equal(authservIdOf('Authentication-Results: "a b"; none'), 'a b');
  assert.equal(authservIdOf('Authentication-Results:\r\n mx.ours.test;'), 'mx.ours.test');
  assert.equal(claimsAuthservId('Authentication-Results: mx.ours.test.evil.test; x', OURS), false);
  assert.equal(claimsAuthservId('X-Authentication-Results: mx.ours.test; x', OURS), false);
});
