// The store's failure counts and the DNS decorator reach the metrics without
// changing what callers get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from './metrics.js';
import { instrumentDns } from './instrument.js';
import { EmbeddedStore } from '../state/embedded-store.js';
import { CountingStore } from '../state/store-errors.js';
import { NodeDnsResolver } from '../dns/resolver.js';
import { startDns } from '../bench/loopback-dns.js';

async function sample(m: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = metric?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

test('CountingStore: results pass through; each failed operation counts once by name; the error still reaches the caller; the metric reads the counts', async () => {
  const m = new Metrics();
  const raw = new EmbeddedStore(':memory:');
  const store = new CountingStore(raw);
  m.watchStore(store);
  await store.set('k', 'v');
  assert.equal(await store.get('k'), 'v');
  assert.equal(await store.incr('n', 2, 1000), 2);
  assert.equal(await sample(m, 'rampart_store_errors_total', { op: 'get' }), 0);
  await raw.close();
  await assert.rejects(store.get('k'), /not open/);
  await assert.rejects(store.get('k'), /not open/);
  await assert.rejects(store.mapAll('access:deny'), /not open/);
  assert.deepEqual({ total: store.errors.total, timeouts: store.errors.timeouts }, { total: 3, timeouts: 0 });
  assert.equal(await sample(m, 'rampart_store_errors_total', { op: 'get' }), 2);
  assert.equal(await sample(m, 'rampart_store_errors_total', { op: 'mapAll' }), 1);
  assert.equal(await sample(m, 'rampart_store_timeouts_total', { op: 'get' }), 0, 'a closed store is not a timeout');
  assert.equal(await sample(m, 'rampart_store_errors_total', { op: 'get' }), 2, 'a second scrape reports the same count');
});

test('two Metrics instances (two servers in one process) keep separate counters', async () => {
  const a = new Metrics();
  const b = new Metrics();
  a.connection('mx', 'accepted');
  assert.equal(await sample(a, 'rampart_connections_total', { listener: 'mx', outcome: 'accepted' }), 1);
  assert.equal(await sample(b, 'rampart_connections_total', { listener: 'mx', outcome: 'accepted' }), 0);
});

test('instrumentDns: queries counted by type and result; configure() stays synchronous, is not counted, and reaches the resolver', async () => {
  const one = await startDns({ records: { 'probe.test': [{ type: 'A', data: '192.0.2.1' }] } });
  const two = await startDns({ records: { 'probe.test': [{ type: 'A', data: '192.0.2.2' }] } });
  try {
    const m = new Metrics();
    const resolver = new NodeDnsResolver({ servers: [one.server], timeoutMs: 1000, tries: 1 });
    const dns = instrumentDns(resolver, m) as NodeDnsResolver;
    assert.deepEqual(await dns.a('probe.test'), { kind: 'ok', records: ['192.0.2.1'] });
    assert.equal((await dns.a('missing.test')).kind, 'nxdomain');
    assert.equal(dns.configure({ servers: [two.server], timeoutMs: 1000, tries: 1 }), undefined, 'not a promise');
    assert.deepEqual(await dns.a('probe.test'), { kind: 'ok', records: ['192.0.2.2'] });
    assert.equal(await sample(m, 'rampart_dns_queries_total', { type: 'a', result: 'ok' }), 2);
    assert.equal(await sample(m, 'rampart_dns_queries_total', { type: 'a', result: 'nxdomain' }), 1);
    const types = (await m.registry.getMetricsAsJSON()).find((x) => x.name === 'rampart_dns_queries_total')?.values.map((v) => v.labels.type);
    assert.ok(!types?.includes('configure'), 'configure is not a query');
  } finally {
    await one.stop();
    await two.stop();
  }
});
