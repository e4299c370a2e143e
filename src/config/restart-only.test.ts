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
