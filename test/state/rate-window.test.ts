// The sliding-window counter (H9's recipients per hour) on the embedded store and
// on a real redis-server: the same tests, a fake clock for the window position.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedStore } from '../../src/state/embedded-store.js';
import { RedisStore } from '../../src/state/redis-store.js';
import type { SharedStore } from '../../src/state/store.js';
import { RateWindow } from '../../src/state/rate-window.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const HOUR = 3_600_000;
const MIN = 60_000;

function clock() {
  let t = Date.UTC(2030, 0, 1, 0, 0, 0);
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function suite(name: string, make: () => Promise<SharedStore>, done: () => Promise<void>) {
  describe(`H9 rate window on the ${name} store`, () => {
    let s: SharedStore;
    let n = 0;
    const key = () => `k${++n}-${Date.now()}`; // fresh key per test (a Redis may be shared)
    before(async () => {
      s = await make();
    });
    after(async () => {
      await s.close();
      await done();
    });

    test('add and total over the hour', async () => {
      const c = clock();
      const w = new RateWindow(s, { name: 'test', now: c.now });
      const k = key();
      assert.equal(await w.add(k, 2), 2);
      c.advance(10 * MIN);
      assert.equal(await w.add(k, 3), 5);
      assert.equal(await w.total(k), 5);
      c.advance(50 * MIN); // 60 min after the first add: it has left the window
      assert.equal(await w.total(k), 3);
      c.advance(10 * MIN);
      assert.equal(await w.total(k), 0);
    });

    test('take: refuses past the limit and gives the amount back', async () => {
      const c = clock();
      const w = new RateWindow(s, { name: 'test', now: c.now });
      const k = key();
      assert.deepEqual(await w.take(k, 3, 5), { ok: true, total: 3 });
      assert.deepEqual(await w.take(k, 2, 5), { ok: true, total: 5 });
      assert.deepEqual(await w.take(k, 1, 5), { ok: false, total: 5 });
      assert.equal(await w.total(k), 5, 'the refused take left nothing behind');
      c.advance(HOUR);
      assert.deepEqual(await w.take(k, 1, 5), { ok: true, total: 1 });
    });

    test('concurrent takes never exceed the limit', async () => {
      const c = clock();
      const w = new RateWindow(s, { name: 'test', now: c.now });
      const k = key();
      const results = await Promise.all(Array.from({ length: 50 }, () => w.take(k, 1, 20)));
      const granted = results.filter((r) => r.ok).length;
      assert.ok(granted <= 20, `granted ${granted}`);
      assert.ok(granted >= 1);
      assert.equal(await w.total(k), granted);
    });

    test('windows and keys are independent', async () => {
      const c = clock();
      const a = new RateWindow(s, { name: 'a', now: c.now });
      const b = new RateWindow(s, { name: 'b', now: c.now });
      const k = key();
      await a.add(k, 4);
      assert.equal(await b.total(k), 0);
      assert.equal(await a.total(`${k}-other`), 0);
    });

    test('buckets expire in the store (real time, small window)', async () => {
      const w = new RateWindow(s, { name: 'short', windowMs: 300, buckets: 3 });
      const k = key();
      const b0 = Math.floor(Date.now() / 100);
      await w.add(k, 7);
      const b1 = Math.floor(Date.now() / 100);
      const raw = [...new Set([b0, b1])].map((b) => `rate:short:${k}:${b}`);
      assert.ok((await s.mget(raw)).some((v) => v === '7'), 'the bucket is a plain counter in the store');
      assert.equal(await w.total(k), 7);
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(await w.total(k), 0);
      assert.deepEqual(await s.mget(raw), raw.map(() => undefined), 'the bucket expired in the store itself');
    });

    test('a bad bucket count is refused', () => {
      assert.throws(() => new RateWindow(s, { name: 'x', buckets: 0 }), /buckets/);
    });
  });
}

suite('embedded', async () => new EmbeddedStore(':memory:'), async () => {});

let redis: TestRedis | undefined;
suite(
  'redis',
  async () => {
    redis = await startRedis();
    const st = new RedisStore(redis.url, 'ratetest:');
    await st.ready();
    return st;
  },
  async () => {
    await redis?.stop();
  },
);
