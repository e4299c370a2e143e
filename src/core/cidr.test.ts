import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, parseIp, canonicalIp, isTooWide, cidrOverlaps, CidrIndex, NetworkList, type Cidr } from './cidr.js';

const c = (s: string) => parseCidr(s) as Cidr;

test('parseCidr: canonical text, host bits cleared, bare addresses are host routes', () => {
  const table: Array<[string, string]> = [
    ['192.0.2.0/24', '192.0.2.0/24'],
    ['192.0.2.77/24', '192.0.2.0/24'],
    ['192.0.2.77', '192.0.2.77/32'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::1/32', '2001:db8::/32'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1/128'],
    ['::1', '::1/128'],
    ['::/0', '::/0'],
    ['::ffff:192.0.2.1', '192.0.2.1/32'],
    ['::ffff:192.0.2.0/120', '192.0.2.0/24'],
    [' 198.51.100.0/24 ', '198.51.100.0/24'],
  ];
  for (const [input, want] of table) assert.equal(c(input).text, want, input);
});

test('parseCidr: refuses what is not an address or network', () => {
  for (const bad of ['', 'example.org', '192.0.2', '192.0.2.256', '192.0.2.1/33', '2001:db8::/129', '192.0.2.1/-1', '192.0.2.1/ 8', '192.0.2.1/8/8', '0x7f.1', '127.1', 'fe80::1%eth0', '192.0.2.1/abc', '::ffff:192.0.2.1/1x']) {
    assert.equal(typeof parseCidr(bad), 'string', bad);
  }
});

test('isTooWide: IPv4 shorter than /8 and IPv6 shorter than /16 mean "everybody"', () => {
  for (const s of ['0.0.0.0/0', '0.0.0.0/1', '128.0.0.0/7', '::/0', '2000::/3', '2001::/15', '::ffff:0.0.0.0/96']) assert.ok(isTooWide(c(s)), s);
  for (const s of ['10.0.0.0/8', '192.0.2.0/24', '2001::/16', '2001:db8::/32', '::1']) assert.ok(!isTooWide(c(s)), s);
});

test('parseIp / canonicalIp: IPv4-mapped IPv6 is the IPv4 address; zone indexes are refused', () => {
  assert.equal(canonicalIp('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(canonicalIp('2001:DB8:0::0:1'), '2001:db8::1');
  assert.equal(canonicalIp('192.0.2.1'), '192.0.2.1');
  assert.equal(parseIp('fe80::1%lo'), undefined);
  assert.equal(parseIp('nonsense'), undefined);
});

test('cidrOverlaps: one network inside the other, same family only', () => {
  assert.ok(cidrOverlaps(c('10.0.0.0/8'), c('10.1.2.3')));
  assert.ok(cidrOverlaps(c('10.1.2.3'), c('10.0.0.0/8')));
  assert.ok(!cidrOverlaps(c('10.0.0.0/8'), c('11.0.0.1')));
  assert.ok(!cidrOverlaps(c('::ffff:10.0.0.1'), c('2001:db8::/32')));
});

test('CidrIndex: longest prefix wins; delete; IPv4 and IPv6 apart; accept filter', () => {
  const idx = new CidrIndex<string>();
  idx.set(c('10.0.0.0/8'), 'wide');
  idx.set(c('10.1.0.0/16'), 'mid');
  idx.set(c('10.1.2.3'), 'host');
  idx.set(c('0.0.0.0/0'), 'all4');
  idx.set(c('2001:db8::/32'), 'v6');
  assert.equal(idx.size, 5);
  assert.equal(idx.lookup('10.1.2.3'), 'host');
  assert.equal(idx.lookup('10.1.2.4'), 'mid');
  assert.equal(idx.lookup('10.2.0.1'), 'wide');
  assert.equal(idx.lookup('11.0.0.1'), 'all4');
  assert.equal(idx.lookup('::ffff:10.1.2.3'), 'host');
  assert.equal(idx.lookup('2001:db8:1::1'), 'v6');
  assert.equal(idx.lookup('2001:db9::1'), undefined);
  assert.equal(idx.lookup('10.1.2.3', (v) => v !== 'host'), 'mid');
  assert.ok(idx.delete(c('10.1.0.0/16')));
  assert.ok(!idx.delete(c('10.1.0.0/16')));
  assert.equal(idx.lookup('10.1.2.4'), 'wide');
  idx.set(c('10.0.0.0/8'), 'replaced');
  assert.equal(idx.size, 4);
  assert.equal(idx.lookup('10.9.9.9'), 'replaced');
  assert.equal(idx.lookup('bogus'), undefined);
});

test('NetworkList.contains: edges of a network', () => {
  const n = new NetworkList(['192.0.2.0/24', '2001:db8::/126', '127.0.0.1']);
  for (const ip of ['192.0.2.0', '192.0.2.255', '2001:db8::3', '127.0.0.1', '::ffff:127.0.0.1']) assert.ok(n.contains(ip), ip);
  for (const ip of ['192.0.1.255', '192.0.3.0', '2001:db8::4', '127.0.0.2', '::1']) assert.ok(!n.contains(ip), ip);
});
