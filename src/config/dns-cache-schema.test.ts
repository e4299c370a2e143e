// dns.cache: defaults, kept values, and errors naming the key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, ConfigError } from './load.js';

const base = (cache?: Record<string, unknown>) => ({
  hostname: 'mx.test',
  listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }],
  ...(cache ? { dns: { cache } } : {}),
});

test('dns.cache defaults: 10000 answers, TTLs honoured up to a day, negative answers up to an hour', () => {
  assert.deepEqual(validateConfig(base(), 'test', '/tmp').dns.cache, { maxEntries: 10_000, minTtl: 0, maxTtl: 86_400, negativeMaxTtl: 3_600 });
  assert.deepEqual(validateConfig(base({ maxEntries: 0, minTtl: 30, maxTtl: 600, negativeMaxTtl: 0 }), 'test', '/tmp').dns.cache, { maxEntries: 0, minTtl: 30, maxTtl: 600, negativeMaxTtl: 0 });
});

test('dns.cache errors name the key', () => {
  for (const [cache, key] of [
    [{ maxEntries: -1 }, 'dns.cache.maxEntries'],
    [{ maxTtl: 0 }, 'dns.cache.maxTtl'],
    [{ negativeMaxTtl: 'long' }, 'dns.cache.negativeMaxTtl'],
    [{ minTtl: 700, maxTtl: 600 }, 'dns.cache.minTtl'],
    [{ ttl: 5 }, 'ttl'],
  ] as const) {
    assert.throws(() => validateConfig(base(cache), 'test', '/tmp'), (e: unknown) => e instanceof ConfigError && e.message.includes(key), JSON.stringify(cache));
  }
});

test('senderAuth.txtCacheMs is gone (the DNS answer cache replaced it)', () => {
  assert.throws(() => validateConfig({ ...base(), senderAuth: { txtCacheMs: 1000 } }, 'test', '/tmp'), (e: unknown) => e instanceof ConfigError && e.message.includes('txtCacheMs'));
});
