// R2 access control at connect, with real clients: deny list (554 5.7.1, then
// close), allow beats deny, allow-list-only policy, `rampart deny|allow` from the
// CLI (in-process, with its own store handle) against the embedded store and against Redis while
// servers run, and one deny list shared by two servers through Redis (C1).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { start, smtplib, swaks, swaksReplies, type TestServer } from '../protocol/support.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';
import { until } from '../helpers/until.js';

const UNTRUSTED = { relay: { lanNetworks: ['192.0.2.0/24'] } };

/** Runs `rampart -c <file> ...args` in-process (its own store handle, as a separate process would have). */
function cli(config: string, ...args: string[]): Promise<CliResult> {
  return runCli(args, { config });
}

/** A config file for the CLI that uses the test server's data (and Redis, if given). */
function cliConfig(ts: TestServer, state: Record<string, unknown> = {}): string {
  const path = join(ts.dataDir, 'cli.yaml');
  writeFileSync(path, stringify({ hostname: 'mx.rampart.test', dataDir: ts.dataDir, listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }], state }));
  return path;
}

/** Connects and returns the first reply and whether the server closed afterwards. */
async function greeting(port: number): Promise<{ reply: string; closed: boolean }> {
  const c = await SmtpClient.connect(port);
  try {
    const r = await c.reply();
    if (r.code !== 220) {
      await c.waitClosed(3000);
      return { reply: codes(r), closed: true };
    }
    return { reply: codes(r), closed: false };
  } finally {
    c.close();
  }
}


describe('R2 access lists at connect', { timeout: 120_000 }, () => {
  test('a denied client gets 554 5.7.1 and is disconnected (raw, swaks, smtplib); allow beats deny', async () => {
    const ts = await start(UNTRUSTED);
    try {
      assert.deepEqual(await greeting(ts.ports.mx), { reply: '220 -', closed: false });
      await ts.server.access.add('deny', '127.0.0.0/8', { reason: 'test deny' });
      assert.deepEqual(await greeting(ts.ports.mx), { reply: '554 5.7.1', closed: true });
      assert.deepEqual(await greeting(ts.ports.submission), { reply: '554 5.7.1', closed: true });
      const sw = await swaks(ts.ports.mx, ['--from', 'a@client.test', '--to', 'alice@example.test']);
      assert.notEqual(sw.code, 0);
      assert.ok(swaksReplies(sw.stdout).some((l) => /^554 5\.7\.1 /.test(l)), sw.stdout);
      const py = await smtplib({ port: ts.ports.mx });
      assert.equal(py.error?.type, 'SMTPConnectError');
      assert.equal(py.error?.code, 554);
      // Implicit TLS: the refusal comes inside TLS.
      const t = await SmtpClient.connect(ts.ports.submissions, { tls: true });
      try {
        assert.equal(codes(await t.reply()), '554 5.7.1');
        await t.waitClosed(3000);
      } finally {
        t.close();
      }
      const d = ts.logs.find((l) => l.event === 'decision' && l.check === 'connect.denyList')!;
      assert.equal(d.feature, 'R2');
      assert.match(String(d.reason), /127\.0\.0\.0\/8 .*test deny/);
      await ts.server.access.add('allow', '127.0.0.1', { reason: 'override' });
      assert.deepEqual(await greeting(ts.ports.mx), { reply: '220 -', closed: false });
      await ts.server.access.remove('allow', '127.0.0.1');
      await ts.server.access.remove('deny', '127.0.0.0/8');
      assert.deepEqual(await greeting(ts.ports.mx), { reply: '220 -', closed: false });
    } finally {
      await ts.stop();
    }
  });

  test('access.connectPolicy allowListOnly: only the allow list and the LAN may connect', async () => {
    const ts = await start({ ...UNTRUSTED, access: { connectPolicy: 'allowListOnly' } });
    try {
      assert.deepEqual(await greeting(ts.ports.mx), { reply: '554 5.7.1', closed: true });
      assert.equal(ts.logs.find((l) => l.event === 'decision' && l.feature === 'R2')?.check, 'connect.connectPolicy');
      await ts.server.access.add('allow', '127.0.0.1/32', { reason: 'known client' });
      assert.deepEqual(await greeting(ts.ports.mx), { reply: '220 -', closed: false });
    } finally {
      await ts.stop();
    }
    const lan = await start({ relay: { lanNetworks: ['127.0.0.1/32'] }, access: { connectPolicy: 'allowListOnly' } });
    try {
      assert.deepEqual(await greeting(lan.ports.mx), { reply: '220 -', closed: false }, 'LAN may connect');
    } finally {
      await lan.stop();
    }
  });

  test('CLI on the embedded store while the server runs: deny add (reason, expiry), list, remove; the server follows', async () => {
    const ts = await start({ ...UNTRUSTED, access: { refreshMs: 100 } });
    try {
      const cfg = cliConfig(ts);
      const add = await cli(cfg, 'deny', 'add', '127.0.0.1', '--reason', 'cli test', '--expires', '1h');
      assert.equal(add.code, 0, add.stderr);
      assert.match(add.stdout, /^added to the deny list: 127\.0\.0\.1\/32 {2}manual {2}expires \d{4}-.* {2}cli test$/m);
      await until('server sees the CLI deny', async () => (await greeting(ts.ports.mx)).reply === '554 5.7.1');
      const list = await cli(cfg, 'deny', 'list', '--json');
      assert.equal(list.code, 0, list.stderr);
      const entries = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
      assert.equal(entries.length, 1);
      assert.equal(entries[0].network, '127.0.0.1/32');
      assert.equal(entries[0].reason, 'cli test');
      assert.equal(entries[0].source, 'manual');
      const exp = Date.parse(String(entries[0].expiresAt)) - Date.now();
      assert.ok(exp > 3_500_000 && exp <= 3_600_000, String(entries[0].expiresAt));
      assert.equal((await cli(cfg, 'allow', 'add', '127.0.0.1', '--reason', 'but allowed')).code, 0);
      await until('server sees the CLI allow', async () => (await greeting(ts.ports.mx)).reply === '220 -');
      assert.match((await cli(cfg, 'allow', 'list')).stdout, /^127\.0\.0\.1\/32 {2}manual {2}expires never {2}but allowed$/m);
      assert.equal((await cli(cfg, 'allow', 'remove', '127.0.0.1')).code, 0);
      assert.equal((await cli(cfg, 'deny', 'remove', '127.0.0.1/32')).code, 0);
      assert.equal((await cli(cfg, 'deny', 'list')).stdout, '');
      // Mistakes: one line, exit status 2.
      for (const bad of [['deny', 'add', 'not-an-ip'], ['deny', 'add', '0.0.0.0/0'], ['deny', 'add', '::/8'], ['deny', 'add', '192.0.2.1', '--expires', 'soon'], ['deny', 'remove', '192.0.2.99']]) {
        const r = await cli(cfg, ...bad);
        assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /^rampart: .+\n$/, bad.join(' '));
      }
      await until('server sees the removal', async () => (await greeting(ts.ports.mx)).reply === '220 -');
    } finally {
      await ts.stop();
    }
  });
});

describe('R2/C1 one deny list for several servers through Redis', { timeout: 120_000 }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  test('the CLI adds a deny entry in Redis; both servers refuse the client; an H6 entry from one node is seen by the other', async () => {
    const state = { redis: redis.url, prefix: 'shared:' };
    const a = await start({ ...UNTRUSTED, state, access: { refreshMs: 100, autoDeny: { threshold: 1 } }, limits: { maxFailedCommands: 2 } });
    const b = await start({ ...UNTRUSTED, state, access: { refreshMs: 100 } });
    try {
      const cfg = cliConfig(a, state);
      assert.equal((await cli(cfg, 'deny', 'add', '127.0.0.1', '--reason', 'shared')).code, 0);
      for (const ts of [a, b]) await until('deny seen', async () => (await greeting(ts.ports.mx)).reply === '554 5.7.1');
      assert.equal((await cli(cfg, 'deny', 'remove', '127.0.0.1')).code, 0);
      for (const ts of [a, b]) await until('removal seen', async () => (await greeting(ts.ports.mx)).reply === '220 -');
      // H5 on node a -> H6 deny, refused by node b too.
      const c = await SmtpClient.connect(a.ports.mx);
      try {
        await c.reply();
        await c.cmd('BOGUS1');
        await c.cmd('BOGUS2');
        assert.equal(codes(await c.cmd('NOOP')), '421 4.7.0');
        await c.waitClosed(3000);
      } finally {
        c.close();
      }
      await until('H6 deny seen on b', async () => (await greeting(b.ports.mx)).reply === '554 5.7.1');
      const list = JSON.parse((await cli(cfg, 'deny', 'list', '--json')).stdout) as Array<Record<string, unknown>>;
      assert.equal(list.length, 1);
      assert.equal(list[0].source, 'auto');
      assert.match(String(list[0].reason), /^H6 automatic: H5 failed-commands/);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
