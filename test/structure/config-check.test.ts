// `rampart config check`: unknown check names in policy.warn are refused naming
// the key and the name; --checks lists every check stage by stage, in order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve('dist/src/cli/rampart.js');

function check(yaml: string, ...args: string[]): { status: number | null; out: string; err: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-cc-'));
  try {
    const file = join(dir, 'rampart.yaml');
    writeFileSync(file, `listeners: [{name: mx, kind: mx, addresses: [127.0.0.1], port: 2525}]\n${yaml}`);
    const r = spawnSync(process.execPath, [CLI, '-c', file, 'config', 'check', ...args], { encoding: 'utf8', timeout: 20000 });
    return { status: r.status, out: r.stdout, err: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('config check: policy.warn with a misspelt and an unknown check name: exit 2, each named with its key', () => {
  const r = check('policy: {warn: [rcpt.locaRecipient, bogus]}\n');
  assert.equal(r.status, 2);
  assert.match(r.err, /policy\.warn\.0: unknown check "rcpt\.locaRecipient" \(known: .*rcpt\.localRecipient/);
  assert.match(r.err, /policy\.warn\.1: unknown check "bogus"/);
});

test('config check --checks: every stage in order, with features, config keys and warn mode', () => {
  const r = check('policy: {warn: [rcpt.localRecipient]}\n', '--checks');
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /^warn mode: rcpt\.localRecipient$/m);
  const stages = [...r.out.matchAll(/^([a-z]+):$/gm)].map((m) => m[1]);
  assert.deepEqual(stages, ['connect', 'helo', 'auth', 'mail', 'rcpt', 'data', 'eod', 'session']);
  assert.match(r.out, /connect\.connectionRate +P4 +check .*\n +config: limits\.maxConnectionRatePerIp, limits\.connectionRateWindowMs/);
  assert.ok(r.out.indexOf('rcpt.relay') < r.out.indexOf('rcpt.recipientsPerHour'), 'runner order');
});
