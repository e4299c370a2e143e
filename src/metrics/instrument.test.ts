// The DNS and store decorators count without changing what callers get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from './metrics.js';
import { instrumentStore } from './instrument.js';
import { EmbeddedStore } from '../state/embedded-store.js';

async function sample(m: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = metric?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

test('instrumentStore: results pass through; each failed operation counts once by name; the error still reaches the caller', async () => {
  const m = new Metrics();
  const raw = new EmbeddedStore(':memory:');
  const store = instrumentStore(raw, m);
  await store.set('k', 'v');
  assert.equal(await store.get('k'), 'v');
  assert.equal(await store.incr('n', 2, 1000), 2);
  assert.equal(await sample(m, 'rampart_store_errors_total', { op: 'get' }), 0);
  await raw.close();
  await assert.rejects(store.get('k'), /not open/);
  await assert.rejects(store.get('k'), /not open/);
  await assert.rejects(store.mapAll('access:deny'), /not open/);
  assert.equal(await sample(m, 'rampart_store_errors_total', { op: 'get' }), 2);
  assert.equal(await sample(m, 'rampart_store_errors_total', { op: 'mapAll' }), 1);
});

test('two Metrics instances (two servers in one process) keep separate counters', async () => {
  const a = new Metrics();
  const b = new Metrics();
  a.connection('mx', 'accepted');
  assert.equal(await sample(a, 'rampart_connections_total', { listener: 'mx', outcome: 'accepted' }), 1);
  assert.equal(await sample(b, 'rampart_connections_total', { listener: 'mx', outcome: 'accepted' }), 0);
});

test('instrumentStore keeps a synchronous method synchronous and counts its throw', async () => {
  const m = new Metrics();
  const raw = new EmbeddedStore(':memory:');
  const store = instrumentStore(raw, m) as EmbeddedStore;
  assert.equal(store.sweep(), undefined, 'not a promise');
  await raw.close();
  assert.throws(() => store.sweep(), /not open/);
  assert.equal(await sample(m, 'rampart_store_errors_total', { op: 'sweep' }), 1);
});
