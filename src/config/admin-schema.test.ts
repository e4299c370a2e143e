// admin.*: absent = no admin listener; loopback-only unless allowRemote; errors name the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, loadConfig, ConfigError } from './load.js';
import { isLoopbackAddress } from './admin-schema.js';

const base = (admin?: unknown) => ({
  dataDir: '/tmp/x',
  listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 2525 }],
  ...(admin === undefined ? {} : { admin }),
});

function problems(raw: unknown): string[] {
  try {
    validateConfig(raw, 't', '/tmp');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

test('no admin section: no admin listener; "admin: {}" means 127.0.0.1:2580, no open metrics', () => {
  assert.equal(validateConfig(base(), 't', '/tmp').admin, undefined);
  assert.deepEqual(validateConfig(base({}), 't', '/tmp').admin, { addresses: ['127.0.0.1'], port: 2580, allowRemote: false, metricsNetworks: [] });
});

test('the embedded default serves the admin API on 127.0.0.1:2580', () => {
  assert.deepEqual(loadConfig(undefined, '/tmp').admin, { addresses: ['127.0.0.1'], port: 2580, allowRemote: false, metricsNetworks: [] });
});

test('a non-loopback address is refused without allowRemote, naming the key; accepted with it', () => {
  const p = problems(base({ addresses: ['127.0.0.1', '192.0.2.10'] }));
  assert.equal(p.length, 1);
  assert.match(p[0], /^admin\.addresses\.1: 192\.0\.2\.10 is not a loopback address; .*set admin\.allowRemote: true/);
  assert.match(problems(base({ addresses: ['0.0.0.0'] }))[0], /^admin\.addresses\.0: 0\.0\.0\.0 is not a loopback/);
  assert.deepEqual(validateConfig(base({ addresses: ['0.0.0.0', '::'], allowRemote: true }), 't', '/tmp').admin?.addresses, ['0.0.0.0', '::']);
  assert.deepEqual(problems(base({ addresses: ['::1', '127.0.0.2'] })), []);
});

test('bad values name the key', () => {
  assert.match(problems(base({ port: 70000 }))[0], /^admin\.port: expected a port 0\.\.65535/);
  assert.match(problems(base({ addresses: ['localhost'] }))[0], /^admin\.addresses\.0: expected an IPv4 or IPv6 address/);
  assert.match(problems(base({ metricsNetworks: ['not-a-net'] }))[0], /^admin\.metricsNetworks\.0: "not-a-net" is not an IP address/);
  assert.match(problems(base({ metricsNetworks: ['0.0.0.0/0'] }))[0], /^admin\.metricsNetworks\.0: 0\.0\.0\.0\/0 is too wide/);
  assert.deepEqual(problems(base({ tokens: [] })), ['admin.tokens: unknown key']);
});

test('isLoopbackAddress', () => {
  for (const a of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(a), a);
  for (const a of ['0.0.0.0', '::', '10.0.0.1', '192.0.2.1', '2001:db8::1', 'localhost']) assert.ok(!isLoopbackAddress(a), a);
});
