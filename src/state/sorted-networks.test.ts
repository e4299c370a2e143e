import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SortedNetworks, compareCidr } from './sorted-networks.js';
import { parseCidr, type Cidr } from '../core/cidr.js';

const c = (s: string) => parseCidr(s) as Cidr;

test('address order: IPv4 before IPv6, numeric (not text) order, shorter prefix first', () => {
  const texts = ['2001:db8::/32', '10.0.0.0/8', '9.255.255.255', '10.0.0.0/24', '2001:db8::1', '100.0.0.1', '::1'];
  const sorted = texts.map(c).sort(compareCidr).map((x) => x.text);
  assert.deepEqual(sorted, ['9.255.255.255/32', '10.0.0.0/8', '10.0.0.0/24', '100.0.0.1/32', '::1/128', '2001:db8::/32', '2001:db8::1/128']);
});

test('set, delete and page after a cursor stay in order', () => {
  const s = new SortedNetworks<string>();
  s.reset(['192.0.2.3', '192.0.2.1'].map((t) => [c(t), t]));
  s.set(c('192.0.2.2'), '192.0.2.2');
  s.set(c('192.0.2.1'), 'replaced');
  assert.equal(s.size, 3);
  assert.deepEqual(s.page(undefined, 10), ['replaced', '192.0.2.2', '192.0.2.3']);
  assert.deepEqual(s.page(c('192.0.2.1'), 10), ['192.0.2.2', '192.0.2.3'], 'after is exclusive');
  assert.deepEqual(s.page(c('192.0.2.2/31'), 1), ['192.0.2.2'], 'a cursor that is not in the list (192.0.2.2/31 sorts just before 192.0.2.2/32)');
  assert.deepEqual(s.page(undefined, 10, (v) => v !== '192.0.2.2'), ['replaced', '192.0.2.3']);
  s.delete(c('192.0.2.2'));
  s.delete(c('198.51.100.1'));
  assert.deepEqual(s.page(undefined, 10), ['replaced', '192.0.2.3']);
});
