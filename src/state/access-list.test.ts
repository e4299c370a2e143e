// R2 allow/deny lists over both SharedStore implementations (embedded SQLite and
// a real redis-server), two "nodes" sharing one store, expiry with a fake clock,
// and lookups with 100,000 entries (correctness asserted, time reported).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessList, AccessListError, parseDuration } from './access-list.js';
import { EmbeddedStore } from './embedded-store.js';
import { RedisStore } from './redis-store.js';
import type { SharedStore } from './store.js';
import { startRedis, type TestRedis } from '../../test/helpers/redis.js';
import { parseCidr, type Cidr } from '../core/cidr.js';

class Clock {
  t = 1_700_000_000_000;
  now = () => this.t;
}

function suite(name: string, open: (now: () => number) => Promise<{ a: SharedStore; b: SharedStore; done(): Promise<void> }>) {
  describe(`AccessList on ${name}`, { timeout: 120_000 }, () => {
    test('R2 add, lookup, list, remove; allow beats deny; longest match wins', async () => {
      const clock = new Clock();
      const s = await open(clock.now);
      try {
        const list = new AccessList(s.a, clock.now);
        await list.load();
        await list.add('deny', '198.51.100.0/24', { reason: 'spam source' });
        await list.add('deny', '2001:db8:bad::/48', { reason: 'v6 spam' });
        await list.add('allow', '198.51.100.25', { reason: 'partner relay' });
        assert.equal(list.denied('198.51.100.7')?.network, '198.51.100.0/24');
        assert.equal(list.denied('198.51.100.7')?.reason, 'spam source');
        assert.equal(list.denied('::ffff:198.51.100.7')?.network, '198.51.100.0/24');
        assert.equal(list.denied('198.51.100.25'), undefined, 'allow beats deny');
        assert.equal(list.lookup('198.51.100.25').deny?.network, '198.51.100.0/24');
        assert.equal(list.denied('198.51.101.1'), undefined);
        assert.equal(list.denied('2001:db8:bad:1::1')?.network, '2001:db8:bad::/48');
        assert.equal(list.denied('2001:db8:bae::1'), undefined);
        assert.deepEqual((await list.list('deny')).map((e) => e.network), ['198.51.100.0/24', '2001:db8:bad::/48']);
        assert.deepEqual((await list.list('allow')).map((e) => [e.network, e.source]), [['198.51.100.25/32', 'manual']]);
        assert.ok(await list.remove('deny', '198.51.100.0/24'));
        assert.ok(!(await list.remove('deny', '198.51.100.0/24')));
        assert.equal(list.denied('198.51.100.7'), undefined);
        await assert.rejects(list.add('deny', 'not-an-ip'), AccessListError);
        await assert.rejects(list.add('deny', '192.0.2.1', { ttlMs: 0 }), AccessListError);
      } finally {
        await s.done();
      }
    });

    test('R2 entries expire (in the index and in the store); C2 they survive a reopen', async () => {
      const clock = new Clock();
      const s = await open(clock.now);
      try {
        const list = new AccessList(s.a, clock.now);
        await list.load();
        await list.add('deny', '192.0.2.9', { reason: 'one hour', ttlMs: 3_600_000 });
        await list.add('deny', '192.0.2.10', { reason: 'forever' });
        assert.ok(list.denied('192.0.2.9'));
        const fresh = new AccessList(s.a, clock.now);
        await fresh.load();
        assert.equal(fresh.denied('192.0.2.9')?.reason, 'one hour');
        assert.equal(fresh.denied('192.0.2.9')?.expiresAt, clock.t + 3_600_000);
        clock.t += 3_600_001;
        assert.equal(list.denied('192.0.2.9'), undefined, 'expired in the index before any refresh');
        assert.deepEqual((await list.list('deny')).map((e) => e.network), ['192.0.2.10/32'], 'expired in the store');
        assert.ok(list.denied('192.0.2.10'));
      } finally {
        await s.done();
      }
    });

    test('R2/C1 two nodes: a change on one is seen by the other after refresh()', async () => {
      const clock = new Clock();
      const s = await open(clock.now);
      try {
        const n1 = new AccessList(s.a, clock.now);
        const n2 = new AccessList(s.b, clock.now);
        await n1.load();
        await n2.load();
        assert.equal(await n2.refresh(), false, 'nothing changed');
        await n1.add('deny', '203.0.113.0/24', { reason: 'from node 1' });
        assert.equal(n2.denied('203.0.113.5'), undefined, 'not yet');
        assert.equal(await n2.refresh(), true);
        assert.equal(n2.denied('203.0.113.5')?.reason, 'from node 1');
        await n2.add('allow', '203.0.113.5', { reason: 'from node 2' });
        await n1.add('deny', '203.0.113.99'); // node 1 missed node 2's change: its version is behind, so it reloads
        assert.equal(n1.denied('203.0.113.5'), undefined, 'node 1 sees node 2 allow entry');
        await n2.remove('deny', '203.0.113.0/24');
        await n1.refresh();
        assert.equal(n1.denied('203.0.113.6'), undefined);
        assert.ok(n1.denied('203.0.113.99'));
      } finally {
        await s.done();
      }
    });

    test('H6 automatic entries: never replace a manual one; evictAuto removes the oldest automatic entries only', async () => {
      const clock = new Clock();
      const s = await open(clock.now);
      try {
        const list = new AccessList(s.a, clock.now);
        await list.load();
        await list.add('deny', '192.0.2.1', { reason: 'manual', source: 'manual' });
        const kept = await list.add('deny', '192.0.2.1', { reason: 'auto', source: 'auto', ttlMs: 1000 });
        assert.equal(kept.source, 'manual');
        assert.equal(list.denied('192.0.2.1')?.reason, 'manual');
        for (let i = 10; i < 15; i++) {
          clock.t += 1000;
          await list.add('deny', `192.0.2.${i}`, { reason: `auto ${i}`, source: 'auto', ttlMs: 3_600_000 });
        }
        const gone = await list.evictAuto(3);
        assert.deepEqual(gone, ['192.0.2.10/32', '192.0.2.11/32']);
        assert.deepEqual((await list.list('deny')).map((e) => e.network), ['192.0.2.1/32', '192.0.2.12/32', '192.0.2.13/32', '192.0.2.14/32']);
        assert.deepEqual(await list.evictAuto(3), []);
      } finally {
        await s.done();
      }
    });
  });
}

suite('the embedded store', async (now) => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-access-'));
  const a = new EmbeddedStore(join(dir, 'state.sqlite'), now);
  const b = new EmbeddedStore(join(dir, 'state.sqlite'), now);
  return {
    a,
    b,
    async done() {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

let redis: TestRedis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});
let db = 0;
suite('Redis', async (now) => {
  const prefix = `t${++db}:`;
  const a = new RedisStore(redis.url, prefix, now);
  const b = new RedisStore(redis.url, prefix, now);
  await a.ready();
  await b.ready();
  return {
    a,
    b,
    async done() {
      await a.close();
      await b.close();
    },
  };
});

test('parseDuration: units and errors', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('15m'), 900_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('2d'), 172_800_000);
  assert.equal(parseDuration('1w'), 604_800_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('250'), 250);
  for (const bad of ['', 'h', '1y', '-1h', '0s', '1 h']) assert.throws(() => parseDuration(bad), AccessListError, bad);
});

test('R2 100,000 entries: every lookup is right, and fast (time reported)', async (t) => {
  const store = new EmbeddedStore(':memory:');
  try {
    // Deterministic pseudo-random networks: IPv4 /32, /24, /16 and IPv6 /128, /64, /48.
    let seed = 42;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const shapes: Array<() => string> = [
      () => `${(rnd() % 223) + 1}.${rnd() & 255}.${rnd() & 255}.${rnd() & 255}`,
      () => `${(rnd() % 223) + 1}.${rnd() & 255}.${rnd() & 255}.0/24`,
      () => `${(rnd() % 223) + 1}.${rnd() & 255}.0.0/16`,
      () => `2001:db8:${(rnd() & 0xffff).toString(16)}:${(rnd() & 0xffff).toString(16)}::${(rnd() & 0xffff).toString(16)}`,
      () => `2001:db8:${(rnd() & 0xffff).toString(16)}:${(rnd() & 0xffff).toString(16)}::/64`,
      () => `2a00:${(rnd() & 0xffff).toString(16)}:${(rnd() & 0xffff).toString(16)}::/48`,
    ];
    const nets: Cidr[] = [];
    const seen = new Set<string>();
    while (nets.length < 100_000) {
      const c = parseCidr(shapes[nets.length % shapes.length]()) as Cidr;
      if (seen.has(c.text)) continue;
      seen.add(c.text);
      nets.push(c);
    }
    const t0 = performance.now();
    for (let i = 0; i < nets.length; i++) {
      const kind = i % 10 === 0 ? 'access:allow' : 'access:deny';
      await store.mapSet(kind, nets[i].text, JSON.stringify({ reason: `r${i}`, source: 'manual', createdAt: i }));
    }
    const list = new AccessList(store);
    const t1 = performance.now();
    await list.load();
    const loadMs = performance.now() - t1;
    assert.equal(list.size('deny') + list.size('allow'), 100_000);

    // Probes: addresses inside listed networks, and random addresses (mostly unlisted).
    const probes: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      const n = nets[rnd() % nets.length];
      if (n.family === 4) {
        const host = n.bits === 32 ? 0 : rnd() & ((1 << (32 - n.bits)) - 1);
        const v = ((n.net as number) | host) >>> 0;
        probes.push(`${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`);
      } else {
        const base = n.text.split('/')[0];
        probes.push(n.bits === 128 ? base : base.replace(/::$/, `::${(rnd() & 0xffff).toString(16)}:1`));
      }
      probes.push(shapes[i % 2 === 0 ? 0 : 3]().split('/')[0]);
    }
    const t2 = performance.now();
    let hits = 0;
    for (const ip of probes) if (list.lookup(ip).deny || list.lookup(ip).allow) hits++;
    const lookupMs = performance.now() - t2;
    t.diagnostic(`100,000 entries: store fill ${Math.round(t1 - t0)} ms, index load ${Math.round(loadMs)} ms; ${probes.length * 2} lookups in ${Math.round(lookupMs)} ms = ${((lookupMs * 1000) / (probes.length * 2)).toFixed(2)} µs per lookup`);
    assert.ok(hits >= 50_000, `every in-network probe hits (${hits})`);

    // Correctness against a brute-force scan over all 100,000 networks (ipaddr.js), on a sample.
    const ipaddr = (await import('ipaddr.js')).default;
    const parsed = nets.map((n, i) => ({ text: n.text, bits: n.bits, addr: ipaddr.parse(n.text.split('/')[0]), allow: i % 10 === 0 }));
    for (let k = 0; k < 300; k++) {
      const ip = probes[(k * 251) % probes.length];
      const a = ipaddr.process(ip);
      const best: Record<'allow' | 'deny', { text: string; bits: number } | undefined> = { allow: undefined, deny: undefined };
      for (const n of parsed) {
        if (n.addr.kind() !== a.kind() || !(a as typeof n.addr).match(n.addr, n.bits)) continue;
        const kind = n.allow ? 'allow' : 'deny';
        if (!best[kind] || n.bits > best[kind]!.bits) best[kind] = n;
      }
      const got = list.lookup(ip);
      assert.equal(got.allow?.network, best.allow?.text, `allow ${ip}`);
      assert.equal(got.deny?.network, best.deny?.text, `deny ${ip}`);
    }
  } finally {
    await store.close();
  }
});
