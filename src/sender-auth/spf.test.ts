// A1 SPF against the real DNS server on loopback: every result, the RFC 7208 4.6.4
// lookup limits, and temporary DNS failures (which must never pass or fail).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NodeDnsResolver } from '../dns/resolver.js';
import { startDns, type TestDns, type Rr } from '../bench/loopback-dns.js';
import { checkSpfHelo, checkSpfMailFrom, heloDomain, type SpfRequest } from './spf.js';

let dns: TestDns;
let resolver: NodeDnsResolver;
const txt = (data: string | string[]): Rr[] => [{ type: 'TXT', data }];

const CLIENT = '192.0.2.10';
const OTHER = '198.51.100.9';

// include chains: chainN.test has N includes in a row before "ip4:CLIENT".
function includeChain(prefix: string, n: number): Record<string, Rr[]> {
  const recs: Record<string, Rr[]> = {};
  for (let i = 0; i < n; i++) recs[`${prefix}${i}.test`] = txt(`v=spf1 include:${prefix}${i + 1}.test -all`);
  recs[`${prefix}${n}.test`] = txt(`v=spf1 ip4:${CLIENT} -all`);
  return recs;
}

before(async () => {
  dns = await startDns({
    records: {
      'pass.test': txt(['v=spf1 ', `ip4:${CLIENT}/32 -all`]), // two character-strings
      'fail.test': txt(`v=spf1 ip4:${OTHER} -all`),
      'soft.test': txt(`v=spf1 ip4:${OTHER} ~all`),
      'neutral.test': txt(`v=spf1 ip4:${OTHER} ?all`),
      'norecord.test': txt('some other text'),
      'two.test': [...txt(`v=spf1 ip4:${CLIENT} -all`), ...txt('v=spf1 -all')],
      'syntax.test': txt('v=spf1 ip4:999.1.1.1 -all'),
      'unknown-mech.test': txt('v=spf1 frobnicate -all'),
      'inc-broken.test': txt('v=spf1 include:broken.test -all'),
      'inc-slow.test': txt('v=spf1 include:slow.test -all'),
      'redirect-broken.test': txt('v=spf1 redirect=broken.test'),
      'a-broken.test': txt('v=spf1 a:broken.test -all'),
      'mx.test': [...txt('v=spf1 mx -all'), { type: 'MX', data: { preference: 10, exchange: 'mail.mx.test' } }],
      'mail.mx.test': [{ type: 'A', data: CLIENT }],
      'v6.test': txt('v=spf1 ip6:2001:db8::/32 -all'),
      'voids2.test': txt(`v=spf1 a:nx1.test a:nx2.test ip4:${CLIENT} -all`),
      'voids3.test': txt(`v=spf1 a:nx1.test a:nx2.test a:nx3.test ip4:${CLIENT} -all`),
      'helo.client.test': [...txt(`v=spf1 ip4:${CLIENT} -all`), { type: 'A', data: CLIENT }],
      ...includeChain('ten', 9), // 9 includes + the ip4 record: 9 DNS-querying terms
      ...includeChain('eleven', 11), // 11 includes: over the limit of 10
    },
    servfail: ['broken.test'],
    silent: ['slow.test', 'slowtxt.test'],
  });
  resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 });
});
after(() => dns.stop());

const req = (mailFrom: string, over: Partial<SpfRequest> = {}): SpfRequest => ({ ip: CLIENT, helo: 'helo.client.test', mailFrom, hostname: 'mx.rampart.test', ...over });

const cases: Array<[string, string, Partial<SpfRequest>, string]> = [
  ['ip4 match, record split in two character-strings', 'u@pass.test', {}, 'pass'],
  ['-all', 'u@fail.test', {}, 'fail'],
  ['~all', 'u@soft.test', {}, 'softfail'],
  ['?all', 'u@neutral.test', {}, 'neutral'],
  ['no SPF record among the TXT records', 'u@norecord.test', {}, 'none'],
  ['NXDOMAIN', 'u@nowhere.test', {}, 'none'],
  ['two SPF records', 'u@two.test', {}, 'permerror'],
  ['bad ip4 address', 'u@syntax.test', {}, 'permerror'],
  ['unknown mechanism', 'u@unknown-mech.test', {}, 'permerror'],
  ['mx mechanism', 'u@mx.test', {}, 'pass'],
  ['ip6 mechanism, IPv6 client', 'u@v6.test', { ip: '2001:db8::25' }, 'pass'],
  ['ip6 mechanism, IPv6 client outside', 'u@v6.test', { ip: '2001:db9::25' }, 'fail'],
  ['IPv4-mapped IPv6 client is the IPv4 client', 'u@pass.test', { ip: '::ffff:192.0.2.10' }, 'pass'],
  ['2 void lookups are allowed', 'u@voids2.test', {}, 'pass'],
  ['3 void lookups: permerror', 'u@voids3.test', {}, 'permerror'],
  ['10 DNS-querying terms are allowed', 'u@ten0.test', {}, 'pass'],
  ['11 DNS-querying terms: permerror', 'u@eleven0.test', {}, 'permerror'],
  ['SERVFAIL for the record: temperror', 'u@broken.test', {}, 'temperror'],
  ['timeout for the record: temperror', 'u@slowtxt.test', {}, 'temperror'],
  ['SERVFAIL inside include, then -all: temperror, not fail', 'u@inc-broken.test', {}, 'temperror'],
  ['timeout inside include, then -all: temperror, not fail', 'u@inc-slow.test', {}, 'temperror'],
  ['SERVFAIL for the redirect target: temperror', 'u@redirect-broken.test', {}, 'temperror'],
  ['SERVFAIL for an a: mechanism: temperror', 'u@a-broken.test', {}, 'temperror'],
];

for (const [name, from, over, want] of cases) {
  test(`A1 SPF mailfrom: ${name} -> ${want}`, async () => {
    const r = await checkSpfMailFrom(req(from, over), resolver);
    assert.equal(r.result, want, JSON.stringify(r));
    assert.equal(r.identity, 'mailfrom');
    assert.equal(r.domain, from.split('@')[1]);
    if (want === 'temperror') assert.ok(r.dnsFailures?.length, 'the failure is reported for the log');
  });
}

test('A1 SPF: the lookup count is reported', async () => {
  const r = await checkSpfMailFrom(req('u@ten0.test'), resolver);
  assert.equal(r.lookups?.count, 9);
  const v = await checkSpfMailFrom(req('u@voids2.test'), resolver);
  assert.equal(v.lookups?.void, 2);
});

test('A1 SPF: every question goes to the configured resolver', async () => {
  const before = dns.queries.length;
  await checkSpfMailFrom(req('u@mx.test'), resolver);
  const asked = dns.queries.slice(before).map((q) => `${q.type} ${q.name}`);
  assert.deepEqual(asked.sort(), ['A mail.mx.test', 'AAAA mail.mx.test', 'MX mx.test', 'TXT mx.test'].sort());
});

test('A1 SPF HELO identity and the null sender', async () => {
  const h = await checkSpfHelo(req('u@fail.test'), resolver);
  assert.equal(h.identity, 'helo');
  assert.equal(h.result, 'pass');
  assert.equal(h.sender, 'postmaster@helo.client.test');
  const nullSender = await checkSpfMailFrom(req(''), resolver);
  assert.equal(nullSender.identity, 'helo', 'RFC 7208 2.4: the null sender is checked as postmaster@<helo>');
  assert.equal(nullSender.result, 'pass');
  const literal = await checkSpfHelo(req('', { helo: '[192.0.2.10]' }), resolver);
  assert.equal(literal.result, 'none');
  const other = await checkSpfMailFrom(req('', { ip: OTHER }), resolver);
  assert.equal(other.result, 'fail');
});

test('A1 heloDomain', () => {
  assert.equal(heloDomain('Mail.Example.ORG.'), 'mail.example.org');
  assert.equal(heloDomain('[192.0.2.1]'), undefined);
  assert.equal(heloDomain('192.0.2.1'), undefined);
  assert.equal(heloDomain('localhost'), undefined);
});
