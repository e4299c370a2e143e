// `rampart config check`: unknown check names in policy.warn and bad Q4 alternate
// channels are refused naming the key; --checks lists every check stage by stage, in order.
// In-process through the one CLI harness (test/helpers/cli.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';

async function check(yaml: string, ...args: string[]): Promise<CliResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-cc-'));
  try {
    const file = join(dir, 'rampart.yaml');
    writeFileSync(file, `listeners: [{name: mx, kind: mx, addresses: [127.0.0.1], port: 2525}]\n${yaml}`);
    return await runCli(['config', 'check', ...args], { config: file });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('config check: policy.warn with a misspelt and an unknown check name: exit 2, each named with its key', async () => {
  const r = await check('policy: {warn: [rcpt.locaRecipient, bogus]}\n');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /policy\.warn\.0: unknown check "rcpt\.locaRecipient" \(known: .*rcpt\.localRecipient/);
  assert.match(r.stderr, /policy\.warn\.1: unknown check "bogus"/);
});

test('config check --checks: every stage in order, with features, config keys and warn mode', async () => {
  const r = await check('policy: {warn: [rcpt.localRecipient]}\n', '--checks');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^warn mode: rcpt\.localRecipient$/m);
  const stages = [...r.stdout.matchAll(/^([a-z]+):$/gm)].map((m) => m[1]);
  assert.deepEqual(stages, ['connect', 'helo', 'auth', 'mail', 'rcpt', 'data', 'eod', 'session']);
  assert.match(r.stdout, /connect\.connectionRate +P4 +check .*\n +config: limits\.maxConnectionRatePerIp, limits\.connectionRateWindowMs/);
  assert.ok(r.stdout.indexOf('rcpt.relay') < r.stdout.indexOf('rcpt.recipientsPerHour'), 'runner order');
});

test('config check: Q4 an alternateChannel naming an unknown channel, the channel itself, or an alternate limit without one: exit 2, each named with its key', async () => {
  const r = await check('channels: {tcp_out: {alternateChannel: tcp_bgi, alternateBlockLimit: 4}, loop: {alternateChannel: loop}, lone: {alternateLineLimit: 40}}\n');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /channels\.tcp_out\.alternateChannel: unknown channel "tcp_bgi" \(channels: .*tcp_out/);
  assert.match(r.stderr, /channels\.loop\.alternateChannel: a channel cannot be its own alternate/);
  assert.match(r.stderr, /channels\.lone\.alternateLineLimit: .*alternateChannel/);
  assert.equal(r.stdout, '');
});
