// Q2 outbound timeouts and connection reuse settings: RFC 5321 4.5.3.2
// defaults, a description on every key, errors naming the key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, ConfigError } from './load.js';
import { DeliveryTimeoutsSchema, ConnectionCacheSchema } from './delivery-network-schema.js';

const base = (delivery: Record<string, unknown> = {}) => ({ hostname: 'mx.test', listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }], delivery });

test('Q2 delivery.timeouts defaults follow RFC 5321 4.5.3.2; connection reuse defaults', () => {
  const s = validateConfig(base(), 'test', '/tmp');
  assert.deepEqual(s.delivery.timeouts, { connectMs: 30_000, greetingMs: 300_000, heloMs: 300_000, mailMs: 300_000, rcptMs: 300_000, dataInitMs: 120_000, dataBlockMs: 180_000, dataDoneMs: 600_000 });
  assert.deepEqual(s.delivery.connectionCache, { idleMs: 2000, maxMessages: 100, maxAgeMs: 300_000 });
  const t = validateConfig(base({ timeouts: { mailMs: 1000 } }), 'test', '/tmp');
  assert.equal(t.delivery.timeouts.mailMs, 1000);
  assert.equal(t.delivery.timeouts.rcptMs, 300_000);
});

test('Q2 every timeout and reuse key has a description', () => {
  for (const schema of [DeliveryTimeoutsSchema, ConnectionCacheSchema]) {
    assert.ok(schema.description, 'the group is described');
    const shape = (schema.unwrap() as unknown as { shape: Record<string, { description?: string }> }).shape;
    for (const [k, v] of Object.entries(shape)) assert.ok(v.description && v.description.length > 20, `${k} has a description`);
  }
});

test('Q2 a bad timeout or an unknown key is a config error naming the key', () => {
  const problems = (raw: unknown) => {
    try {
      validateConfig(raw, 'test', '/tmp');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.problems.join('\n');
    }
    return '';
  };
  assert.match(problems(base({ timeouts: { rcptMs: 0 } })), /^delivery\.timeouts\.rcptMs: /m);
  assert.match(problems(base({ timeouts: { rcptSeconds: 5 } })), /^delivery\.timeouts\.rcptSeconds: unknown key/m);
  assert.match(problems(base({ connectionCache: { maxMessages: 0 } })), /^delivery\.connectionCache\.maxMessages: /m);
});
