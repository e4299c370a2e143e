// /healthz and /readyz for load balancers, without a token: ready when listening,
// access lists loaded, spool writable and the shared store answering; 503 naming
// what fails (spool not writable, Redis gone, draining after SIGTERM).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startAdminTestServer } from '../helpers/admin.js';
import { startRedis } from '../helpers/redis.js';
import { parseMetrics, value } from '../helpers/prometheus.js';
import { SmtpClient } from '../helpers/smtp-client.js';
import { until } from '../helpers/until.js';


test('healthz and readyz answer without a token; readyz fails while the spool is not writable', async () => {
  const ts = await startAdminTestServer();
  try {
    assert.deepEqual((await ts.call('GET', '/healthz', undefined, null)).body, { status: 'ok' });
    const ready = await ts.call('GET', '/readyz', undefined, null);
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { ready: true, checks: { listeners: { ok: true }, accessLists: { ok: true }, spool: { ok: true }, store: { ok: true } } });
    const spool = join(ts.dataDir, 'spool');
    renameSync(spool, `${spool}.moved`);
    writeFileSync(spool, 'not a directory');
    try {
      const r = await ts.call('GET', '/readyz', undefined, null);
      assert.equal(r.status, 503);
      assert.equal(r.body.ready, false);
      assert.equal(r.body.checks.spool.ok, false);
      assert.match(r.body.checks.spool.detail, /ENOTDIR/);
      assert.equal(r.body.checks.store.ok, true);
    } finally {
      rmSync(spool);
      renameSync(`${spool}.moved`, spool);
    }
    assert.equal((await ts.call('GET', '/readyz', undefined, null)).status, 200);
  } finally {
    await ts.stop();
  }
});

test('readyz is 503 while draining: the load balancer stops sending before the listener goes', async () => {
  const ts = await startAdminTestServer({ timeouts: { shutdownMs: 3000 } });
  const c = await SmtpClient.connect(ts.ports.mx);
  try {
    await c.reply();
    await c.cmd('EHLO client.test');
    await c.cmd('MAIL FROM:<a@client.test>'); // a transaction in progress holds the drain open
    const stopping = ts.stop();
    const r = await ts.call('GET', '/readyz', undefined, null);
    assert.equal(r.status, 503);
    assert.deepEqual(r.body.checks.listeners, { ok: false, detail: 'not listening (starting or draining)' });
    assert.equal((await ts.call('GET', '/healthz', undefined, null)).status, 200, 'still alive');
    c.socket.destroy();
    await stopping;
  } finally {
    c.socket.destroy();
  }
});

test('readyz fails when the Redis store is gone, and the failed store operations are counted', async () => {
  const redis = await startRedis();
  let stopped = false;
  const ts = await startAdminTestServer({ state: { redis: redis.url, prefix: 'health:' }, access: { refreshMs: 100 } });
  try {
    assert.equal((await ts.call('GET', '/readyz', undefined, null)).status, 200);
    await redis.stop();
    stopped = true;
    await until('readyz 503', async () => (await ts.call('GET', '/readyz', undefined, null)).status === 503);
    const r = await ts.call('GET', '/readyz', undefined, null);
    assert.equal(r.body.checks.store.ok, false);
    assert.equal(r.body.checks.spool.ok, true);
    const m = parseMetrics((await ts.call('GET', '/metrics')).text);
    assert.ok(value(m, 'rampart_store_errors_total', { op: 'get' }) >= 1, 'the readiness probe and the access-list refresh failed');
  } finally {
    await ts.stop();
    if (!stopped) await redis.stop();
  }
});
