// C1: the same behaviour from the embedded store and from a real redis-server.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStore } from '../../src/state/embedded-store.js';
import { RedisStore } from '../../src/state/redis-store.js';
import type { SharedStore } from '../../src/state/store.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function suite(name: string, make: () => Promise<SharedStore>, done: () => Promise<void>) {
  describe(`C1 ${name} store`, () => {
    let s: SharedStore;
    before(async () => {
      s = await make();
    });
    after(async () => {
      await s.close();
      await done();
    });

    test('incr counts and expires after its ttl', async () => {
      assert.equal(await s.incr('c1', 1, 300), 1);
      assert.equal(await s.incr('c1', 2, 300), 3);
      assert.equal(await s.get('c1'), '3');
      await sleep(400);
      assert.equal(await s.get('c1'), undefined);
      assert.equal(await s.incr('c1', 5, 300), 5, 'an expired counter starts again');
    });

    test('set/get/del with and without ttl; mget', async () => {
      await s.set('k1', 'v1');
      await s.set('k2', 'v2', 200);
      assert.deepEqual(await s.mget(['k1', 'k2', 'nope']), ['v1', 'v2', undefined]);
      await sleep(300);
      assert.equal(await s.get('k2'), undefined);
      await s.del('k1');
      assert.equal(await s.get('k1'), undefined);
    });

    test('maps: set, get, expiry per entry, delete, list, size', async () => {
      await s.mapSet('deny', '192.0.2.1', 'a');
      await s.mapSet('deny', '192.0.2.2', 'b', 200);
      assert.equal(await s.mapGet('deny', '192.0.2.1'), 'a');
      assert.equal(await s.mapSize('deny'), 2);
      await sleep(300);
      assert.equal(await s.mapGet('deny', '192.0.2.2'), undefined);
      assert.deepEqual([...(await s.mapAll('deny'))], [['192.0.2.1', 'a']]);
      assert.equal(await s.mapDel('deny', '192.0.2.1'), true);
      assert.equal(await s.mapDel('deny', '192.0.2.1'), false);
      assert.equal(await s.mapSize('deny'), 0);
    });

    test('concurrent increments are not lost', async () => {
      const results = await Promise.all(Array.from({ length: 200 }, () => s.incr('race', 1, 10000)));
      assert.equal(Math.max(...results), 200);
      assert.equal(new Set(results).size, 200);
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'rampart-store-'));
suite('embedded', async () => new EmbeddedStore(join(dir, 'state.sqlite')), async () => rmSync(dir, { recursive: true, force: true }));

let redis: TestRedis;
suite(
  'redis',
  async () => {
    redis = await startRedis();
    const st = new RedisStore(redis.url);
    await st.ready();
    return st;
  },
  async () => redis.stop(),
);

test('C2 the embedded store keeps its state across a restart', async () => {
  const d = mkdtempSync(join(tmpdir(), 'rampart-store-'));
  try {
    const a = new EmbeddedStore(join(d, 's.sqlite'));
    await a.mapSet('deny', '198.51.100.7', 'manual');
    await a.incr('n', 4, 60000);
    await a.close();
    const b = new EmbeddedStore(join(d, 's.sqlite'));
    assert.equal(await b.mapGet('deny', '198.51.100.7'), 'manual');
    assert.equal(await b.get('n'), '4');
    await b.close();
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('C1 a redis store that cannot be reached fails its calls instead of hanging', async () => {
  const st = new RedisStore('redis://127.0.0.1:1');
  await assert.rejects(st.ready(1000));
  await assert.rejects(st.incr('x', 1, 1000));
  await st.close();
});
