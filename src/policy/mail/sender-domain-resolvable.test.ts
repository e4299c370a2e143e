// H1 against a real DNS server on loopback: every answer class of the sender domain.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { senderDomainResolvable, isNullMx } from './sender-domain-resolvable.js';
import { Directory } from '../../directory/store.js';
import { NodeDnsResolver } from '../../dns/resolver.js';
import type { Decision } from '../../core/decision.js';
import { configWith, makeCtx } from '../hygiene-test-ctx.js';
import { startDns, type TestDns } from '../../bench/loopback-dns.js';

const directory = Directory.open(':memory:');
let dns: TestDns;
let resolver: NodeDnsResolver;

before(async () => {
  directory.addDomain('local.example');
  dns = await startDns({
    records: {
      'mx.test': [{ type: 'MX', data: { preference: 10, exchange: 'mail.mx.test' } }],
      'a-only.test': [{ type: 'A', data: '192.0.2.10' }],
      'v6-only.test': [{ type: 'AAAA', data: '2001:db8::10' }],
      'nullmx.test': [{ type: 'MX', data: { preference: 0, exchange: '.' } }],
      'nullmx-and-a.test': [{ type: 'MX', data: { preference: 0, exchange: '.' } }, { type: 'A', data: '192.0.2.11' }],
      'two-mx.test': [{ type: 'MX', data: { preference: 0, exchange: '.' } }, { type: 'MX', data: { preference: 10, exchange: 'mail.two-mx.test' } }],
      'nullmx-pref5.test': [{ type: 'MX', data: { preference: 5, exchange: '.' } }],
      'txt-only.test': [{ type: 'TXT', data: 'v=spf1 -all' }],
      'xn--bcher-kva.test': [{ type: 'MX', data: { preference: 10, exchange: 'mx.xn--bcher-kva.test' } }],
    },
    servfail: ['broken.test'],
    silent: ['slow.test'],
  });
  resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 });
});
after(async () => {
  directory.close();
  await dns.stop();
});

const on = configWith();
const off = configWith({ policy: { senderDomainResolvable: false } });
const literalsOn = configWith({ relay: { domainLiterals: { enabled: true } } });

type Want = 'pass' | [number, string];

const cases: Array<[string, string | null, Want, { config?: typeof on; noQuery?: boolean; ip?: string; authUser?: string }?]> = [
  ['domain with an MX', '<u@mx.test>', 'pass'],
  ['domain with only an A record', '<u@a-only.test>', 'pass'],
  ['domain with only an AAAA record', '<u@v6-only.test>', 'pass'],
  ['upper-case domain is looked up in lower case', '<u@MX.Test>', 'pass'],
  ['IDN domain is looked up as A-label', '<u@bücher.test>', 'pass'],
  ['NXDOMAIN', '<u@nope.test>', [550, '5.1.8']],
  ['domain exists but has no MX, A or AAAA', '<u@txt-only.test>', [550, '5.1.8']],
  ['null MX (RFC 7505)', '<u@nullmx.test>', [550, '5.7.27']],
  ['null MX wins over an A record', '<u@nullmx-and-a.test>', [550, '5.7.27']],
  ['"." among other MX records is not a null MX', '<u@two-mx.test>', 'pass'],
  ['"." with a non-zero preference is not a null MX', '<u@nullmx-pref5.test>', 'pass'],
  ['SERVFAIL is temporary', '<u@broken.test>', [451, '4.4.3']],
  ['timeout is temporary', '<u@slow.test>', [451, '4.4.3']],
  ['local domain needs no DNS', '<u@local.example>', 'pass', { noQuery: true }],
  ['local domain, any case', '<u@LOCAL.example>', 'pass', { noQuery: true }],
  ['the server host name needs no DNS', '<u@mx.local.example>', 'pass', { noQuery: true }],
  ['null sender is exempt', '<>', 'pass', { noQuery: true }],
  ['domain literal is refused', '<u@[192.0.2.1]>', [550, '5.1.8'], { noQuery: true }],
  ['IPv6 domain literal is refused', '<u@[IPv6:2001:db8::1]>', [550, '5.1.8'], { noQuery: true }],
  ['IPv4 literal passes when R8 literals are on', '<u@[192.0.2.1]>', 'pass', { config: literalsOn, noQuery: true }],
  ['general literal is refused even with R8 literals on', '<u@[x-tag:abc]>', [550, '5.1.8'], { config: literalsOn, noQuery: true }],
  ['a LAN client (loopback, default relay.lanNetworks) is not checked', '<root@vm>', 'pass', { ip: '127.0.0.1', noQuery: true }],
  ['an authenticated client is checked', '<u@nope.test>', [550, '5.1.8'], { authUser: 'alice@local.example' }],
  ['setting off: no lookup at all', '<u@nope.test>', 'pass', { config: off, noQuery: true }],
];

for (const [name, from, want, opt] of cases) {
  test(`mail.senderDomainResolvable: H1 ${name} ${from}`, async () => {
    const before = dns.queries.length;
    const { ctx } = makeCtx({ stage: 'mail', config: opt?.config ?? on, directory, deps: { dns: resolver }, from, ip: opt?.ip, authUser: opt?.authUser });
    const v = (await senderDomainResolvable.run(ctx)) as Decision | undefined;
    if (opt?.noQuery) assert.equal(dns.queries.length, before, 'no DNS query');
    if (want === 'pass') {
      assert.equal(v, undefined, JSON.stringify(v));
      return;
    }
    assert.ok(v, `expected ${want.join(' ')}`);
    assert.equal(v.code, want[0]);
    assert.equal(v.enhanced, want[1]);
    assert.equal(v.action, want[0] >= 500 ? 'reject' : 'tempfail');
    assert.equal(v.check, 'mail.senderDomainResolvable');
    assert.equal(v.feature, 'H1');
    assert.ok(v.reason, 'log detail present');
  });
}

test('H1 the IDN sender was asked for as its A-label', () => {
  assert.ok(dns.queries.some((q) => q.name === 'xn--bcher-kva.test' && q.type === 'MX'));
});

test('H1 MX first: a domain with an MX costs one query', async () => {
  const before = dns.queries.length;
  const { ctx } = makeCtx({ stage: 'mail', config: on, directory, deps: { dns: resolver }, from: '<u@mx.test>' });
  assert.equal(await senderDomainResolvable.run(ctx), undefined);
  assert.deepEqual(dns.queries.slice(before), [{ name: 'mx.test', type: 'MX' }]);
});

test('H1 NXDOMAIN on MX is final: no A/AAAA queries', async () => {
  const before = dns.queries.length;
  const { ctx } = makeCtx({ stage: 'mail', config: on, directory, deps: { dns: resolver }, from: '<u@nope2.test>' });
  await senderDomainResolvable.run(ctx);
  assert.deepEqual(dns.queries.slice(before), [{ name: 'nope2.test', type: 'MX' }]);
});

test('H1 isNullMx follows RFC 7505', () => {
  assert.equal(isNullMx([{ exchange: '', priority: 0 }]), true);
  assert.equal(isNullMx([{ exchange: '.', priority: 0 }]), true);
  assert.equal(isNullMx([{ exchange: '', priority: 10 }]), false);
  assert.equal(isNullMx([{ exchange: '', priority: 0 }, { exchange: 'mx.example', priority: 10 }]), false);
  assert.equal(isNullMx([]), false);
});

test('H1 client text reveals nothing of the lookup', async () => {
  const { ctx } = makeCtx({ stage: 'mail', config: on, directory, deps: { dns: resolver }, from: '<u@broken.test>' });
  const v = (await senderDomainResolvable.run(ctx)) as Decision;
  assert.ok(!v.text.includes('broken.test') && !v.text.includes('SERVFAIL'));
  assert.match(v.reason!, /broken\.test/);
});
