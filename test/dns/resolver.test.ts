// The resolver against a real DNS server on loopback: every answer class.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NodeDnsResolver } from '../../src/dns/resolver.js';
import { startDns, reverseName, type TestDns } from '../../src/bench/loopback-dns.js';

let dns: TestDns;
let r: NodeDnsResolver;

before(async () => {
  dns = await startDns({
    records: {
      'mx.test': [{ type: 'MX', data: { preference: 10, exchange: 'mail.mx.test' } }],
      'a.test': [{ type: 'A', data: '192.0.2.10' }],
      'v6.test': [{ type: 'AAAA', data: '2001:db8::10' }],
      'empty.test': [],
      'txt.test': [{ type: 'TXT', data: ['v=spf1 ', 'ip4:192.0.2.0/24 -all'] }, { type: 'TXT', data: 'other' }],
      'alias.test': [{ type: 'CNAME', data: 'a.test' }],
      'short.test': [{ type: 'A', data: '127.0.0.2', ttl: 17 }],
      [reverseName('192.0.2.10')]: [{ type: 'PTR', data: 'host.a.test' }],
      [reverseName('2001:db8::10')]: [{ type: 'PTR', data: 'host.v6.test' }],
    },
    servfail: ['broken.test'],
    silent: ['slow.test'],
  });
  r = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 });
});
after(() => dns.stop());

test('H1 resolver: MX, A, AAAA answers', async () => {
  assert.deepEqual(await r.mx('mx.test'), { kind: 'ok', records: [{ exchange: 'mail.mx.test', priority: 10 }] });
  assert.deepEqual(await r.a('a.test'), { kind: 'ok', records: ['192.0.2.10'] });
  assert.deepEqual(await r.aaaa('v6.test'), { kind: 'ok', records: ['2001:db8::10'] });
});

test('resolver: TXT strings joined per record, CNAME target, A with TTL', async () => {
  const txt = await r.txt('txt.test');
  assert.equal(txt.kind, 'ok');
  assert.deepEqual(txt.kind === 'ok' && [...txt.records].sort(), ['other', 'v=spf1 ip4:192.0.2.0/24 -all']);
  assert.deepEqual(await r.cname('alias.test'), { kind: 'ok', records: ['a.test'] });
  assert.equal((await r.cname('a.test')).kind, 'none');
  assert.deepEqual(await r.a('alias.test'), { kind: 'ok', records: ['192.0.2.10'] }, 'an alias is followed for A');
  assert.deepEqual(await r.aWithTtl('short.test'), { kind: 'ok', records: [{ address: '127.0.0.2', ttl: 17 }] });
  assert.equal((await r.txt('nope.test')).kind, 'nxdomain');
});

test('resolver: TXT character-strings unjoined (for mailauth)', async () => {
  const chunks = await r.txtChunks('txt.test');
  assert.equal(chunks.kind, 'ok');
  assert.deepEqual(chunks.kind === 'ok' && [...chunks.records].sort(), [['other'], ['v=spf1 ', 'ip4:192.0.2.0/24 -all']]);
  assert.equal((await r.txtChunks('nope.test')).kind, 'nxdomain');
  assert.equal((await r.txtChunks('broken.test')).kind, 'error');
});

test('H1 resolver: NXDOMAIN, no data, SERVFAIL and timeout are told apart', async () => {
  assert.equal((await r.mx('nope.test')).kind, 'nxdomain');
  assert.equal((await r.mx('empty.test')).kind, 'none');
  const sf = await r.mx('broken.test');
  assert.equal(sf.kind, 'error');
  const slow = await r.a('slow.test');
  assert.equal(slow.kind, 'error');
});

test('H2 resolver: PTR for IPv4 and IPv6', async () => {
  assert.deepEqual(await r.ptr('192.0.2.10'), { kind: 'ok', records: ['host.a.test'] });
  assert.deepEqual(await r.ptr('2001:db8::10'), { kind: 'ok', records: ['host.v6.test'] });
  assert.equal((await r.ptr('192.0.2.99')).kind, 'nxdomain');
});
