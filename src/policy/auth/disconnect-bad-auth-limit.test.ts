import { testDeps } from '../test-deps.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { disconnectBadAuthLimit, failedAuthKey } from './disconnect-bad-auth-limit.js';
import type { CheckContext, PolicyDeps } from '../types.js';
import type { Decision } from '../../core/decision.js';
import { validateConfig } from '../../config/load.js';
import { embeddedDefault } from '../../config/embedded-default.js';
import { Directory } from '../../directory/store.js';
import { createLogger } from '../../log/logger.js';
import { EmbeddedStore } from '../../state/embedded-store.js';
import type { SharedStore } from '../../state/store.js';
import { PolicyRunner } from '../runner.js';
import { builtinChecks } from '../checks.js';

const directory = Directory.open(':memory:');
after(() => directory.close());
const log = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
const config = validateConfig({ ...embeddedDefault(), auth: { disconnectBadAuthLimit: 3, maxFailedAuthPerIp: 5 } }, 'test', '/tmp');

function ctxFor(failedAuth: number, deps: PolicyDeps, ip = '203.0.113.9'): CheckContext {
  return {
    stage: 'auth',
    config,
    session: { id: 's', listener: config.listeners[0], remoteAddress: ip, remotePort: 1, localAddress: '127.0.0.1', localPort: 587, esmtp: true, helo: 'x', failedAuth },
    envelope: undefined,
    deps,
  };
}

test('R4 defaults: disconnectBadAuthLimit 3 (Sun), 10 failures per address per hour', () => {
  const d = validateConfig(embeddedDefault(), 'test', '/tmp').auth;
  assert.deepEqual(d, { disconnectBadAuthLimit: 3, maxFailedAuthPerIp: 10, failedAuthWindowMs: 3_600_000 });
});

test('R4 the third failure in a session: 421 4.7.0 drop; failures are counted per address in the store', async () => {
  const deps = testDeps(directory, log);
  try {
    assert.equal(await disconnectBadAuthLimit.run(ctxFor(0, deps)), undefined, 'not after a success');
    assert.equal(await disconnectBadAuthLimit.run(ctxFor(1, deps)), undefined);
    assert.equal(await disconnectBadAuthLimit.run(ctxFor(2, deps)), undefined);
    const v = (await disconnectBadAuthLimit.run(ctxFor(3, deps))) as Decision;
    assert.equal(`${v.code} ${v.enhanced} ${v.action} ${v.check} ${v.feature}`, '421 4.7.0 drop auth.disconnectBadAuthLimit R4');
    assert.equal(await deps.store.get(failedAuthKey('203.0.113.9')), '3');
  } finally {
    await deps.store.close();
  }
});

test('R4 failures spread over sessions: past maxFailedAuthPerIp every failure is 421 4.7.0', async () => {
  const deps = testDeps(directory, log);
  try {
    for (let i = 0; i < 4; i++) assert.equal(await disconnectBadAuthLimit.run(ctxFor(1, deps)), undefined, `session ${i}`);
    const v = (await disconnectBadAuthLimit.run(ctxFor(1, deps))) as Decision;
    assert.equal(`${v.code} ${v.enhanced} ${v.action} ${v.check}`, '421 4.7.0 drop auth.maxFailedAuthPerIp');
    assert.equal(await disconnectBadAuthLimit.run(ctxFor(1, deps, '203.0.113.10')), undefined, 'another address has its own count');
  } finally {
    await deps.store.close();
  }
});

test('R4 the counter expires after failedAuthWindowMs', async () => {
  let t = 1_000_000;
  const store = new EmbeddedStore(':memory:', () => t);
  const deps = testDeps(directory, log, { store });
  try {
    for (let i = 0; i < 4; i++) await disconnectBadAuthLimit.run(ctxFor(1, deps));
    t += 3_600_001;
    assert.equal(await disconnectBadAuthLimit.run(ctxFor(1, deps)), undefined);
  } finally {
    await store.close();
  }
});

test('R4 a store failure: the session limit still holds; otherwise the runner answers 451 4.3.0', async () => {
  const broken: SharedStore = { ...new EmbeddedStore(':memory:'), incr: () => Promise.reject(new Error('store down')) } as unknown as SharedStore;
  const deps = testDeps(directory, log, { store: broken });
  const v = (await disconnectBadAuthLimit.run(ctxFor(3, deps))) as Decision;
  assert.equal(`${v.code} ${v.action}`, '421 drop');
  const runner = new PolicyRunner(builtinChecks);
  const d = await runner.run(ctxFor(1, deps));
  assert.equal(`${d?.code} ${d?.enhanced} ${d?.action} ${d?.check}`, '451 4.3.0 tempfail auth.disconnectBadAuthLimit');
});
