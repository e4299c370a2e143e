// The CLI talks to a running server's admin API (found through dataDir/run/admin.json,
// with the token the server wrote for it), and works on the files when no server
// runs or with --offline: the same commands, the same output, the same errors.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAdminTestServer, type AdminTestServer } from '../helpers/admin.js';
import { Cli } from '../helpers/cli.js';
import { runtimePath, CLI_TOKEN_NAME } from '../../src/admin/runtime-file.js';
import { SmtpClient } from '../helpers/smtp-client.js';

let ts: AdminTestServer;
let cli: Cli;
let dir: string;

before(async () => {
  ts = await startAdminTestServer();
  dir = mkdtempSync(join(tmpdir(), 'rampart-cli-api-'));
  const config = join(dir, 'rampart.yaml');
  // JSON is YAML: the same dataDir as the running server.
  writeFileSync(config, JSON.stringify({ hostname: 'mx.rampart.test', dataDir: ts.dataDir, listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }], admin: { port: 0 } }));
  cli = new Cli(config);
});
after(async () => {
  await ts?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The admin log lines (API writes) made since `from`, as [token, op, status]. */
function apiWrites(from: number): Array<[unknown, unknown, unknown]> {
  return ts.logs.slice(from).filter((l) => l.event === 'admin').map((l) => [l.token, l.op, l.status]);
}

test('a running server writes its runtime file and a 0600 token file for the CLI', () => {
  const info = JSON.parse(readFileSync(runtimePath(ts.dataDir), 'utf8'));
  assert.equal(info.pid, process.pid);
  assert.equal(info.url, `http://127.0.0.1:${ts.server.adminPort}`);
  assert.equal(statSync(info.tokenFile).mode & 0o777, 0o600);
  assert.equal(statSync(join(ts.dataDir, 'run')).mode & 0o777, 0o700);
  assert.ok(ts.server.directory.tokens.list().some((t) => t.name === CLI_TOKEN_NAME && !t.readOnly));
});

test('directory and access-list commands go through the API while the server runs', async () => {
  const from = ts.logs.length;
  await cli.ok(['domain', 'add', 'api.example']);
  assert.ok(ts.server.directory.isLocalDomain('api.example'));
  await cli.ok(['user', 'add', 'u@api.example', '--password-stdin'], 'pw-123456\n');
  await cli.ok(['alias', 'add', 'team@api.example', 'u@api.example', 'x@remote.example']);
  await cli.ok(['deny', 'add', '198.51.100.0/24', '--reason', 'spam run', '--expires', '2d']);
  await cli.ok(['limits', 'set', 'api.example', 'maxRecipients=5']);
  await cli.ok(['postoffice', 'add', 'acme']);
  await cli.ok(['postoffice', 'assign', 'acme', 'api.example']);
  await cli.ok(['catchall', 'set', 'api.example', 'u@api.example']);
  await cli.ok(['postoffice', 'unassign', 'api.example']);
  await cli.ok(['postoffice', 'assign', 'acme', 'api.example']);
  assert.deepEqual(apiWrites(from), [
    [CLI_TOKEN_NAME, 'domains.add', 201],
    [CLI_TOKEN_NAME, 'mailboxes.add', 201],
    [CLI_TOKEN_NAME, 'aliases.add', 201],
    [CLI_TOKEN_NAME, 'access.add', 201],
    [CLI_TOKEN_NAME, 'limits.set', 200],
    [CLI_TOKEN_NAME, 'postoffices.add', 201],
    [CLI_TOKEN_NAME, 'postoffices.assign', 200],
    [CLI_TOKEN_NAME, 'catchalls.set', 200],
    [CLI_TOKEN_NAME, 'postoffices.unassign', 200],
    [CLI_TOKEN_NAME, 'postoffices.assign', 200],
  ]);
  // The running server's index has the entry at once (no refresh wait).
  assert.equal(ts.server.access.lookup('198.51.100.7').deny?.reason, 'spam run');
});

test('lists print the same through the API and offline', async () => {
  for (const args of [['domain', 'list', '--json'], ['user', 'list', '--json'], ['alias', 'list', '--json'], ['deny', 'list', '--json'], ['limits', 'list', '--json'], ['postoffice', 'list', '--json'], ['catchall', 'list', '--json'], ['domain', 'list'], ['deny', 'list']]) {
    const from = ts.logs.length;
    const online = await cli.ok(args);
    const offline = await cli.ok(['--offline', ...args]);
    assert.equal(online, offline, args.join(' '));
    assert.equal(apiWrites(from).length, 0, 'reads are not logged as writes');
  }
});

test('the same errors, word for word, through the API and offline', async () => {
  const cases = [
    ['domain', 'add', 'bad_!'],
    ['domain', 'add', 'api.example'],
    ['domain', 'remove', 'nope.example'],
    ['user', 'add', 'x@nope.example', '--password', 'pw'],
    ['user', 'remove', 'ghost@example.test'],
    ['alias', 'add', 'a@example.test', 'not-an-address'],
    ['deny', 'add', '0.0.0.0/0'],
    ['deny', 'add', '192.0.2.1', '--expires', 'soon'],
    ['deny', 'remove', '203.0.113.0/24'],
    ['deny', 'unban', '203.0.113.9'],
    ['limits', 'unset', 'other.example'],
    ['postoffice', 'remove', 'ghost'],
    ['catchall', 'unset', 'example.test'],
    ['postoffice', 'unassign', 'example.test'],
  ];
  for (const args of cases) {
    const online = await cli.run(args);
    const offline = await cli.run(['--offline', ...args]);
    assert.equal(online.code, 2, `${args.join(' ')}: ${online.stderr}`);
    assert.deepEqual([online.code, online.stderr, online.stdout], [offline.code, offline.stderr, offline.stdout], args.join(' '));
  }
});

test('--offline and the admin token commands work on the files, never through the API', async () => {
  const from = ts.logs.length;
  await cli.ok(['--offline', 'domain', 'add', 'offline.example']);
  const token = (await cli.ok(['admin', 'token', 'create', '--name', 'ops'])).trim();
  assert.match(token, /^rmp_/);
  assert.match(await cli.ok(['admin', 'token', 'list']), /^local-cli\s+read-write/m);
  await cli.ok(['admin', 'token', 'revoke', 'ops']);
  assert.deepEqual(apiWrites(from), []);
  assert.ok(ts.server.directory.isLocalDomain('offline.example'), 'the server sees the directory file');
});

test('RAMPART_TOKEN overrides the token file; a refused token is a clear error, never a silent fallback', async () => {
  const ro = ts.readOnly;
  process.env.RAMPART_TOKEN = ro;
  try {
    assert.match(await cli.ok(['domain', 'list']), /api\.example/);
    await cli.fails(['domain', 'add', 'ro.example'], /refused the token \(403: token ro is read-only\); set RAMPART_TOKEN to a read-write token, or use --offline/);
    process.env.RAMPART_TOKEN = 'rmp_wrong';
    await cli.fails(['domain', 'list'], /refused the token \(401/);
  } finally {
    delete process.env.RAMPART_TOKEN;
  }
  assert.equal(ts.server.directory.isLocalDomain('ro.example'), false);
});

test('decisions and config reload need the running server; offline they say so', async () => {
  const c = await SmtpClient.connect(ts.ports.mx);
  await c.reply();
  await c.cmd('EHLO client.test');
  await c.cmd('MAIL FROM:<why@sender.example>');
  await c.cmd('RCPT TO:<ghost@example.test>');
  c.socket.destroy();
  const text = await cli.ok(['decisions', '--sender', 'why@sender.example']);
  assert.match(text, /127\.0\.0\.1 {2}rcpt\.localRecipient {2}reject 550 5\.1\.1 {2}from <why@sender\.example> to <ghost@example\.test>/);
  const json = JSON.parse(await cli.ok(['decisions', '--check', 'rcpt.*', '--json', '--limit', '1']));
  assert.equal(json.length, 1);
  await cli.fails(['--offline', 'decisions'], /recent decisions are kept by a running server/);
  await cli.fails(['decisions', '--ip', 'nope'], /rampart: "nope" is not an IP address or CIDR block\.$/m);
  await cli.fails(['--offline', 'config', 'reload'], /reload needs a running server/);
});

test('after the server stops: the runtime file is gone, the token revoked, and the CLI works on the files', async () => {
  const info = JSON.parse(readFileSync(runtimePath(ts.dataDir), 'utf8'));
  const config = ts.server.directory;
  await ts.server.stop();
  assert.equal(existsSync(runtimePath(ts.dataDir)), false);
  assert.equal(existsSync(info.tokenFile), false);
  void config;
  await cli.ok(['domain', 'add', 'after.example']);
  assert.match(await cli.ok(['domain', 'list']), /after\.example/);
  assert.doesNotMatch(await cli.ok(['admin', 'token', 'list']), /local-cli/);
  // A runtime file left by a crash (nothing answers there) is ignored.
  writeFileSync(runtimePath(ts.dataDir), JSON.stringify({ pid: process.pid, url: 'http://127.0.0.1:9', tokenFile: join(ts.dataDir, 'run', 'none'), startedAt: '' }));
  writeFileSync(join(ts.dataDir, 'run', 'none'), 'rmp_x\n');
  await cli.ok(['domain', 'add', 'crash.example']);
  assert.match(await cli.ok(['domain', 'list']), /crash\.example/);
});
