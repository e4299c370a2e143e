import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from './load.js';
import { keepRestartOnly, restartOnlyChanges } from './restart-only.js';

const base = { listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }], dataDir: '/srv/a' };
const snap = (over: Record<string, unknown>) => validateConfig({ ...base, ...over }, 't', '/tmp');

test('reload: restart-only keys are named when they change, and keep their running values', () => {
  const running = snap({});
  assert.deepEqual(restartOnlyChanges(running, snap({ log: { level: 'warn' }, dns: { servers: ['192.0.2.53'] } })), []);
  const next = snap({ dataDir: '/srv/b', directory: { path: '/srv/dir.sqlite' }, state: { redis: 'redis://192.0.2.1:6379', prefix: 'x:', commandTimeoutMs: 500 }, log: { level: 'warn' } });
  assert.deepEqual(restartOnlyChanges(running, next), ['dataDir', 'directory.path', 'state.redis', 'state.prefix']);
  const kept = keepRestartOnly(running, next);
  assert.equal(kept.dataDir, '/srv/a');
  assert.equal(kept.directoryPath, running.directoryPath);
  assert.equal(kept.state.redis, undefined);
  assert.equal(kept.state.prefix, 'rampart:');
  assert.equal(kept.state.commandTimeoutMs, 500, 'the rest of state applies');
  assert.equal(kept.log.level, 'warn');
  assert.ok(Object.isFrozen(kept) && Object.isFrozen(kept.state));
});

test('reload: the admin listener keeps its socket (addresses, port, on/off); admin.metricsNetworks follows the file', () => {
  const running = snap({ admin: { port: 2580, metricsNetworks: ['192.0.2.0/24'] } });
  const moved = snap({ admin: { addresses: ['127.0.0.2'], port: 2581, metricsNetworks: ['198.51.100.0/24'] } });
  assert.deepEqual(restartOnlyChanges(running, moved), ['admin.addresses', 'admin.port']);
  const kept = keepRestartOnly(running, moved);
  assert.deepEqual(kept.admin?.addresses, ['127.0.0.1']);
  assert.equal(kept.admin?.port, 2580);
  assert.deepEqual(kept.admin?.metricsNetworks, ['198.51.100.0/24']);
  assert.ok(Object.isFrozen(kept.admin));

  assert.deepEqual(restartOnlyChanges(running, snap({})), ['admin'], 'turned off: one key');
  assert.deepEqual(keepRestartOnly(running, snap({})).admin, running.admin, 'and it stays on until a restart');
  assert.deepEqual(restartOnlyChanges(snap({}), running), ['admin'], 'turned on: one key');
  assert.equal(keepRestartOnly(snap({}), running).admin, undefined, 'and it stays off');
});
