// A1-A9 configuration keys: defaults, and errors naming the key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, ConfigError } from './load.js';

const base = (over: Record<string, unknown> = {}) => ({ hostname: 'mx.test', listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }], ...over });

test('A1-A9 defaults', () => {
  const c = validateConfig(base(), 'test', '/tmp');
  assert.equal(c.senderAuth.authservId, undefined);
  assert.deepEqual(c.senderAuth.spf, { mode: 'mark', helo: true });
  assert.deepEqual(c.senderAuth.dkim, { verify: true, minRsaBits: 1024, maxSignatures: 10 });
  assert.deepEqual(c.senderAuth.dmarc, { enabled: true, onReject: 'reject', onQuarantine: 'quarantine', onTemperror: 'tempfail', domains: {} });
  assert.deepEqual(c.senderAuth.arcTrustedSealers, []);
  assert.deepEqual(c.dnsbl, { zones: [], refuseAt: 'rcpt', minTtlSeconds: 60, maxTtlSeconds: 3600 });
  assert.equal(c.score.quarantine, 5);
  assert.equal(c.score.reject, undefined);
  assert.equal(c.score.weights.spf.fail, 3);
  assert.equal(c.score.weights.dnsbl, 1);
  assert.deepEqual(c.greylist, { enabled: false, delayMs: 300000, retryWindowMs: 172800000, passTtlMs: 3024000000, autoAllowAfter: 5 });
});

test('A1-A9 valid values are kept', () => {
  const c = validateConfig(
    base({
      senderAuth: { authservId: 'mx.example.org', arcTrustedSealers: ['lists.example.org'], dmarc: { domains: { 'partner.example': 'mark' } } },
      dnsbl: { zones: ['zen.example=127.0.0.[2..11]*3', 'list.dnswl.example=127.0.[0..255].[1..3]*-5'], threshold: 3 },
      score: { reject: 12, weights: { spf: { fail: 0 } } },
    }),
    'test',
    '/tmp',
  );
  assert.equal(c.dnsbl.threshold, 3);
  assert.equal(c.score.weights.spf.fail, 0);
  assert.deepEqual(c.senderAuth.dmarc.domains, { 'partner.example': 'mark' });
});

const bad: Array<[string, Record<string, unknown>, RegExp]> = [
  ['bad DNSBL weight', { dnsbl: { zones: ['zen.example*x'] } }, /^dnsbl\.zones\.0: weight "x" is not a number/],
  ['bad DNSBL filter', { dnsbl: { zones: ['ok.example', 'zen.example=127.0.0'] } }, /^dnsbl\.zones\.1: reply filter .* four parts/],
  ['TTL bounds', { dnsbl: { minTtlSeconds: 600, maxTtlSeconds: 60 } }, /^dnsbl\.minTtlSeconds: must not be larger/],
  ['reject below quarantine', { score: { quarantine: 5, reject: 5 } }, /^score\.reject: must be larger than score\.quarantine/],
  ['weight out of range', { score: { weights: { spf: { fail: 1000 } } } }, /^score\.weights\.spf\.fail: /],
  ['unknown weight', { score: { weights: { spf: { bogus: 1 } } } }, /^score\.weights\.spf\.bogus: unknown key/],
  ['sealer not a domain', { senderAuth: { arcTrustedSealers: ['not a domain'] } }, /^senderAuth\.arcTrustedSealers\.0: expected a domain name/],
  ['authservId not a domain', { senderAuth: { authservId: 'a;b' } }, /^senderAuth\.authservId: expected a domain name/],
  ['minRsaBits under 1024', { senderAuth: { dkim: { minRsaBits: 512 } } }, /^senderAuth\.dkim\.minRsaBits: /],
  ['DMARC domain action', { senderAuth: { dmarc: { domains: { 'a.example': 'drop' } } } }, /^senderAuth\.dmarc\.domains\.a\.example: /],
  ['greylist window', { greylist: { delayMs: 600000, retryWindowMs: 60000 } }, /^greylist\.retryWindowMs: must be longer/],
  ['spf mode', { senderAuth: { spf: { mode: 'strict' } } }, /^senderAuth\.spf\.mode: /],
  ['DMARC without DKIM', { senderAuth: { dkim: { verify: false } } }, /^senderAuth\.dmarc\.enabled: DMARC needs senderAuth\.dkim\.verify/],
  ['DMARC without SPF', { senderAuth: { spf: { mode: 'off' } } }, /^senderAuth\.dmarc\.enabled: DMARC needs SPF/],
];

test('A1-A3 every check can be off at once', () => {
  const c = validateConfig(base({ senderAuth: { spf: { mode: 'off' }, dkim: { verify: false }, dmarc: { enabled: false } } }), 'test', '/tmp');
  assert.equal(c.senderAuth.spf.mode, 'off');
});

for (const [name, over, want] of bad) {
  test(`A1-A9 config error names the key: ${name}`, () => {
    try {
      validateConfig(base(over), 'test', '/tmp');
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      assert.ok(e.problems.some((p) => want.test(p)), e.problems.join('\n'));
    }
  });
}
