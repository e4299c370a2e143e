import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionLimits } from './connection-limits.js';

type Step = ['acquire', string, 'ok' | 'total' | 'per-ip'] | ['release', string] | ['update', number, number] | ['open', number];

const scripts: Array<[string, number, number, Step[]]> = [
  ['P4 per-IP limit', 10, 2, [
    ['acquire', 'a', 'ok'], ['acquire', 'a', 'ok'], ['acquire', 'a', 'per-ip'], ['open', 2],
    ['acquire', 'b', 'ok'], ['open', 3],
    ['release', 'a'], ['acquire', 'a', 'ok'], ['acquire', 'a', 'per-ip'], ['open', 3],
  ]],
  ['P4 total limit', 3, 5, [
    ['acquire', 'a', 'ok'], ['acquire', 'b', 'ok'], ['acquire', 'c', 'ok'], ['acquire', 'd', 'total'], ['acquire', 'a', 'total'], ['open', 3],
    ['release', 'b'], ['acquire', 'd', 'ok'], ['acquire', 'e', 'total'], ['open', 3],
  ]],
  ['P4 total is checked before per-IP', 1, 1, [['acquire', 'a', 'ok'], ['acquire', 'a', 'total'], ['acquire', 'b', 'total']]],
  ['P4 a refused acquire takes no slot', 2, 1, [
    ['acquire', 'a', 'ok'], ['acquire', 'a', 'per-ip'], ['acquire', 'a', 'per-ip'], ['open', 1],
    ['acquire', 'b', 'ok'], ['open', 2], ['release', 'a'], ['release', 'b'], ['open', 0],
    ['acquire', 'a', 'ok'], ['acquire', 'b', 'ok'],
  ]],
  ['P4 IPv4 and IPv6 keys are separate', 10, 1, [['acquire', '192.0.2.1', 'ok'], ['acquire', '2001:db8::1', 'ok'], ['acquire', '192.0.2.1', 'per-ip'], ['acquire', '2001:db8::1', 'per-ip']]],
  ['P4 update lowers limits; open connections stay, new ones wait', 10, 5, [
    ['acquire', 'a', 'ok'], ['acquire', 'a', 'ok'], ['acquire', 'a', 'ok'], ['acquire', 'b', 'ok'],
    ['update', 3, 2], ['open', 4],
    ['acquire', 'c', 'total'], ['release', 'b'], ['acquire', 'c', 'total'], ['release', 'a'], ['acquire', 'c', 'ok'],
    ['acquire', 'a', 'total'], ['release', 'c'], ['acquire', 'a', 'per-ip'], ['release', 'a'], ['acquire', 'a', 'ok'], ['open', 2],
  ]],
  ['P4 update raises limits at once', 1, 1, [['acquire', 'a', 'ok'], ['acquire', 'a', 'total'], ['update', 5, 3], ['acquire', 'a', 'ok'], ['acquire', 'a', 'ok'], ['acquire', 'a', 'per-ip'], ['open', 3]]],
  ['P4 release of an IP holding no slot changes nothing', 2, 2, [
    ['release', 'x'], ['open', 0], ['acquire', 'a', 'ok'], ['acquire', 'b', 'ok'], ['acquire', 'c', 'total'],
    ['release', 'x'], ['open', 2], ['acquire', 'c', 'total'],
  ]],
  ['P4 double release does not free a second slot', 2, 2, [
    ['acquire', 'a', 'ok'], ['release', 'a'], ['release', 'a'], ['open', 0],
    ['acquire', 'b', 'ok'], ['acquire', 'c', 'ok'], ['acquire', 'd', 'total'],
  ]],
];

for (const [name, maxTotal, maxPerIp, steps] of scripts) {
  test(name, () => {
    const l = new ConnectionLimits(maxTotal, maxPerIp);
    steps.forEach((s, i) => {
      const at = `step ${i} ${JSON.stringify(s)}`;
      switch (s[0]) {
        case 'acquire':
          assert.equal(l.acquire(s[1]), s[2], at);
          break;
        case 'release':
          l.release(s[1]);
          break;
        case 'update':
          l.update(s[1], s[2]);
          break;
        case 'open':
          assert.equal(l.open, s[1], at);
          break;
      }
      assert.ok(l.open >= 0, `${at}: open count went negative`);
    });
  });
}

test('P4 random acquire/release sequences keep the counts consistent with a model', () => {
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let round = 0; round < 50; round++) {
    const maxTotal = 1 + Math.floor(rand() * 8);
    const maxPerIp = 1 + Math.floor(rand() * 4);
    const l = new ConnectionLimits(maxTotal, maxPerIp);
    const held = new Map<string, number>();
    let total = 0;
    for (let i = 0; i < 200; i++) {
      const ip = `10.0.0.${Math.floor(rand() * 4)}`;
      if (rand() < 0.6) {
        const n = held.get(ip) ?? 0;
        const want = total >= maxTotal ? 'total' : n >= maxPerIp ? 'per-ip' : 'ok';
        assert.equal(l.acquire(ip), want);
        if (want === 'ok') {
          held.set(ip, n + 1);
          total++;
        }
      } else if ((held.get(ip) ?? 0) > 0) {
        l.release(ip);
        held.set(ip, held.get(ip)! - 1);
        total--;
      }
      assert.equal(l.open, total);
    }
  }
});
