// The configuration reference never drifts: every key has a description, and
// docs/CONFIG.md is exactly what `npm run docs` would write now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configKeys, configReference } from './reference.js';

const CONFIG_MD = fileURLToPath(new URL('../../../docs/CONFIG.md', import.meta.url));

test('every configuration key has a description', () => {
  const keys = configKeys();
  assert.ok(keys.length > 100, `only ${keys.length} keys found: the walk misses some`);
  for (const p of ['listeners[].port', 'channels.<name>.auth.passwordFile', 'limits.largeMessageSafety.abortOver', 'admin.metricsNetworks', 'log.level']) {
    assert.ok(keys.some((k) => k.path === p), `${p} is walked`);
  }
  assert.deepEqual(keys.filter((k) => !k.description?.trim()).map((k) => k.path), []);
});

test('docs/CONFIG.md is up to date with the schema (run `npm run docs`)', () => {
  assert.equal(readFileSync(CONFIG_MD, 'utf8'), configReference(), 'docs/CONFIG.md differs from the schema: run `npm run docs` and commit it');
});
