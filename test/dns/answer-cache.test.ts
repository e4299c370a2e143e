// The DNS answer cache against the real loopback DNS server, with the fake clock:
// answers kept exactly as long as their TTL (clamped), negative answers for the
// RFC 2308 negative TTL of the SOA sent with them (capped), never without one,
// failures never, and at most maxEntries answers (least recently used out first).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NodeDnsResolver } from '../../src/dns/resolver.js';
import { cachingResolver } from '../../src/dns/caching-resolver.js';
import type { DnsCacheSettings } from '../../src/dns/answer-cache.js';
import { FakeClock } from '../../src/scheduler/fake-clock.js';
import { startDns, type TestDns } from '../../src/bench/loopback-dns.js';

let dns: TestDns;
let inner: NodeDnsResolver;

before(async () => {
  dns = await startDns({
    records: {
      'mx.test': [{ type: 'MX', data: { preference: 10, exchange: 'mail.mx.test' }, ttl: 300 }],
      'a.test': [{ type: 'A', data: '192.0.2.10', ttl: 120 }],
      'v6.test': [{ type: 'AAAA', data: '2001:db8::10', ttl: 30 }],
      'txt.test': [{ type: 'TXT', data: ['v=spf1 ', 'ip4:192.0.2.0/24 -all'], ttl: 60 }],
      'alias.test': [{ type: 'CNAME', data: 'a.test', ttl: 20 }],
      'zero.test': [{ type: 'A', data: '192.0.2.11', ttl: 0 }],
      'long.test': [{ type: 'A', data: '192.0.2.12', ttl: 7 * 86400 }],
      'nodata.test': [{ type: 'A', data: '192.0.2.13' }],
    },
    servfail: ['broken.test'],
    silent: ['slow.test'],
    soa: { apex: 'test', ttl: 900, minimum: 45 },
  });
  inner = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 });
});
after(() => dns.stop());

const defaults: DnsCacheSettings = { maxEntries: 100, minTtl: 0, maxTtl: 86_400, negativeMaxTtl: 3_600 };

function setup(settings: Partial<DnsCacheSettings> = {}) {
  const clock = new FakeClock();
  const s = { ...defaults, ...settings };
  const r = cachingResolver(inner, () => s, clock.now);
  const asked = (name: string, type: string) => dns.queries.filter((q) => q.name === name && q.type === type).length;
  return { clock, r, s, asked };
}

test('DNS TTL lookups: the TTL of the records (and of the CNAME leading to them), the RFC 2308 negative TTL, none for failures', async () => {
  assert.deepEqual(await inner.aTtl('a.test'), { kind: 'ok', records: ['192.0.2.10'], ttl: 120 });
  assert.deepEqual(await inner.aaaaTtl('v6.test'), { kind: 'ok', records: ['2001:db8::10'], ttl: 30 });
  assert.deepEqual(await inner.mxTtl('mx.test'), { kind: 'ok', records: [{ exchange: 'mail.mx.test', priority: 10 }], ttl: 300 });
  assert.deepEqual(await inner.txtTtl('txt.test'), { kind: 'ok', records: [['v=spf1 ', 'ip4:192.0.2.0/24 -all']], ttl: 60 });
  assert.deepEqual(await inner.aTtl('alias.test'), { kind: 'ok', records: ['192.0.2.10'], ttl: 20 });
  assert.deepEqual(await inner.aTtl('missing.test'), { kind: 'nxdomain', ttl: 45 }, 'min(SOA TTL 900, MINIMUM 45)');
  assert.deepEqual(await inner.txtTtl('nodata.test'), { kind: 'none', ttl: 45 });
  assert.deepEqual(await inner.aTtl('broken.test'), { kind: 'error', code: 'ESERVFAIL' });
  assert.deepEqual(await inner.aTtl('slow.test'), { kind: 'error', code: 'ETIMEOUT' });
  assert.deepEqual(await inner.aTtl(`${'x'.repeat(64)}.test`), { kind: 'error', code: 'EBADNAME' });
});

test('DNS cache: an answer is kept until its TTL runs out, then asked again', async () => {
  const { clock, r, asked } = setup();
  const before = asked('mx.test', 'MX');
  assert.deepEqual(await r.mx('mx.test'), { kind: 'ok', records: [{ exchange: 'mail.mx.test', priority: 10 }] });
  await r.mx('MX.test.');
  assert.equal(asked('mx.test', 'MX'), before + 1, 'the second question (any case, trailing dot) was answered from the cache');
  clock.advance(299_999);
  await r.mx('mx.test');
  assert.equal(asked('mx.test', 'MX'), before + 1);
  clock.advance(1);
  await r.mx('mx.test');
  assert.equal(asked('mx.test', 'MX'), before + 2, 'asked again at the TTL (300 s)');
  const t0 = asked('txt.test', 'TXT');
  assert.deepEqual(await r.txt('txt.test'), { kind: 'ok', records: ['v=spf1 ip4:192.0.2.0/24 -all'] });
  assert.deepEqual(await r.txtChunks('txt.test'), { kind: 'ok', records: [['v=spf1 ', 'ip4:192.0.2.0/24 -all']] });
  clock.advance(60_000);
  await r.txt('txt.test');
  assert.equal(asked('txt.test', 'TXT'), t0 + 2, 'TXT kept 60 s');
});

test('DNS cache: min and max TTL clamps; a TTL of 0 is not kept unless minTtl says so', async () => {
  const plain = setup();
  const z0 = plain.asked('zero.test', 'A');
  await plain.r.a('zero.test');
  await plain.r.a('zero.test');
  assert.equal(plain.asked('zero.test', 'A'), z0 + 2);
  const clamped = setup({ minTtl: 10, maxTtl: 3600 });
  await clamped.r.a('zero.test');
  clamped.clock.advance(9_999);
  await clamped.r.a('zero.test');
  assert.equal(clamped.asked('zero.test', 'A'), z0 + 3, 'raised to 10 s');
  clamped.clock.advance(1);
  await clamped.r.a('zero.test');
  assert.equal(clamped.asked('zero.test', 'A'), z0 + 4);
  const l0 = clamped.asked('long.test', 'A');
  await clamped.r.a('long.test');
  clamped.clock.advance(3_599_999);
  await clamped.r.a('long.test');
  assert.equal(clamped.asked('long.test', 'A'), l0 + 1);
  clamped.clock.advance(1);
  await clamped.r.a('long.test');
  assert.equal(clamped.asked('long.test', 'A'), l0 + 2, 'a week cut to maxTtl (1 h)');
});

test('DNS cache: negative answers kept for the SOA negative TTL, capped by negativeMaxTtl; never without an SOA', async () => {
  const { clock, r, asked } = setup();
  const n0 = asked('gone.test', 'MX');
  assert.deepEqual(await r.mx('gone.test'), { kind: 'nxdomain' });
  clock.advance(44_999);
  assert.deepEqual(await r.mx('gone.test'), { kind: 'nxdomain' });
  assert.equal(asked('gone.test', 'MX'), n0 + 1);
  clock.advance(1);
  await r.mx('gone.test');
  assert.equal(asked('gone.test', 'MX'), n0 + 2, 'asked again after 45 s');
  const d0 = asked('nodata.test', 'TXT');
  assert.deepEqual(await r.txt('nodata.test'), { kind: 'none' });
  await r.txt('nodata.test');
  assert.equal(asked('nodata.test', 'TXT'), d0 + 1, '"no such record" is kept too');

  const capped = setup({ negativeMaxTtl: 10 });
  const c0 = capped.asked('gone2.test', 'A');
  await capped.r.a('gone2.test');
  capped.clock.advance(10_000);
  await capped.r.a('gone2.test');
  assert.equal(capped.asked('gone2.test', 'A'), c0 + 2, 'kept 10 s, not 45');

  const noSoa = dns.zone.soa;
  delete dns.zone.soa;
  try {
    const s0 = asked('gone3.test', 'A');
    await r.a('gone3.test');
    await r.a('gone3.test');
    assert.equal(asked('gone3.test', 'A'), s0 + 2, 'without an SOA a negative answer is not kept (RFC 2308 section 5)');
  } finally {
    dns.zone.soa = noSoa;
  }
});

test('DNS cache: failures are never kept; one question in flight is shared', async () => {
  const { r, asked } = setup();
  const f0 = asked('broken.test', 'A');
  assert.deepEqual(await r.a('broken.test'), { kind: 'error', code: 'ESERVFAIL' });
  await r.a('broken.test');
  assert.equal(asked('broken.test', 'A'), f0 + 2);
  const v0 = asked('v6.test', 'AAAA');
  const [x, y] = await Promise.all([r.aaaa('v6.test'), r.aaaa('v6.test')]);
  assert.deepEqual(x, y);
  assert.equal(asked('v6.test', 'AAAA'), v0 + 1);
});

test('DNS cache: bounded by maxEntries, least recently used out first; a caller cannot change a kept answer; 0 turns it off', async () => {
  const { r, asked } = setup({ maxEntries: 2 });
  const a0 = asked('a.test', 'A');
  const m0 = asked('mx.test', 'MX');
  const t0 = asked('txt.test', 'TXT');
  const first = await r.a('a.test');
  await r.mx('mx.test');
  await r.a('a.test'); // a.test is now the most recently used
  await r.txt('txt.test'); // full: mx.test goes
  assert.equal(r.cache.size, 2);
  await r.a('a.test');
  assert.equal(asked('a.test', 'A'), a0 + 1, 'a.test still kept');
  await r.mx('mx.test');
  assert.equal(asked('mx.test', 'MX'), m0 + 2, 'mx.test was dropped');
  assert.equal(asked('txt.test', 'TXT'), t0 + 1);
  if (first.kind === 'ok') first.records.push('198.51.100.1');
  assert.deepEqual(await r.a('a.test'), { kind: 'ok', records: ['192.0.2.10'] });

  const off = setup({ maxEntries: 0 });
  const o0 = off.asked('a.test', 'A');
  await off.r.a('a.test');
  await off.r.a('a.test');
  assert.equal(off.asked('a.test', 'A'), o0 + 2);
  assert.equal(off.r.cache.size, 0);
});
