// `rampart admin token ...`, `rampart deny unban`, `rampart limits ...` (offline, on the server's files).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Directory } from '../directory/store.js';

const BIN = fileURLToPath(new URL('./rampart.js', import.meta.url));
let tmp: string;
let cfg: string;

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const r = execFileSync(process.execPath, [BIN, '-c', cfg, ...args], { cwd: tmp, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 20000 });
    return { code: 0, stdout: r, stderr: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}

function ok(...args: string[]): string {
  const r = run(args);
  assert.equal(r.code, 0, `rampart ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function fails(args: string[], want: RegExp): void {
  const r = run(args);
  assert.equal(r.code, 2, `${args.join(' ')} should exit 2: ${r.stdout}`);
  assert.match(r.stderr, want, args.join(' '));
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rampart-cli-admin-'));
  cfg = join(tmp, 'rampart.yaml');
  writeFileSync(cfg, 'dataDir: ./data\nlisteners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25250 }\n');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('admin token create prints the secret alone on stdout, once; list never shows it; revoke', () => {
  const r = run(['admin', 'token', 'create', '--name', 'CI', '--read-only']);
  assert.equal(r.code, 0, r.stderr);
  const token = r.stdout.trim();
  assert.match(r.stdout, /^rmp_[A-Za-z0-9_-]{43}\n$/);
  const dir = Directory.open(join(tmp, 'data', 'directory.sqlite'));
  try {
    assert.deepEqual(dir.tokens.verify(token) && { name: dir.tokens.verify(token)!.name, ro: dir.tokens.verify(token)!.readOnly }, { name: 'ci', ro: true });
  } finally {
    dir.close();
  }
  ok('admin', 'token', 'create', '--name', 'deploy');
  const list = ok('admin', 'token', 'list');
  assert.match(list, /^ci {2}read-only {2}created \d{4}-\S+ {2}last used \d{4}-\S+\ndeploy {2}read-write {2}created \d{4}-\S+ {2}last used never\n$/);
  assert.doesNotMatch(list, /rmp_/);
  assert.deepEqual(JSON.parse(ok('admin', 'token', 'list', '--json')).map((t: { name: string; readOnly: boolean }) => [t.name, t.readOnly]), [['ci', true], ['deploy', false]]);
  fails(['admin', 'token', 'create', '--name', 'ci'], /^rampart: Token ci already exists; revoke it first or choose another name\.\n$/);
  fails(['admin', 'token', 'create'], /required option '--name <name>'/);
  fails(['admin', 'token', 'create', '--name', 'bad name'], /^rampart: "bad name" is not a valid token name/);
  assert.equal(ok('admin', 'token', 'revoke', 'ci'), 'revoked token ci\n');
  fails(['admin', 'token', 'revoke', 'ci'], /^rampart: Token ci does not exist\.\n$/);
});

test('deny unban removes every entry covering the address; nothing covering it: exit 2', () => {
  ok('deny', 'add', '203.0.113.0/24', '--reason', 'range');
  ok('deny', 'add', '203.0.113.7', '--reason', 'host');
  ok('deny', 'add', '198.51.100.1');
  const out = ok('deny', 'unban', '203.0.113.7');
  assert.match(out, /^removed from the deny list: 203\.0\.113\.7\/32 {2}manual {2}expires never {2}host\nremoved from the deny list: 203\.0\.113\.0\/24 {2}manual {2}expires never {2}range\n$/);
  assert.equal(ok('deny', 'list'), '198.51.100.1/32  manual  expires never  -\n');
  fails(['deny', 'unban', '203.0.113.7'], /^rampart: 203\.0\.113\.7 is not on the deny list\n$/);
  fails(['deny', 'unban', 'nope'], /^rampart: expected an IPv4 or IPv6 address\n$/);
});

test('limits set/unset/list', () => {
  assert.equal(ok('limits', 'set', 'Example.ORG', 'maxRecipients=10', 'maxMessageSize=1000000'), 'example.org: maxMessageSize=1000000 maxRecipients=10\n', 'keys in attribute order');
  assert.equal(ok('limits', 'set', 'a@example.org', 'recipientsPerHour=50'), 'a@example.org: recipientsPerHour=50\n');
  assert.equal(ok('limits', 'list'), 'a@example.org recipientsPerHour=50\nexample.org maxMessageSize=1000000 maxRecipients=10\n');
  assert.deepEqual(JSON.parse(ok('limits', 'list', '--json'))[0], { subject: 'a@example.org', limits: { recipientsPerHour: 50 } });
  assert.equal(ok('limits', 'unset', 'example.org', 'maxRecipients'), 'example.org: maxRecipients removed\n');
  assert.equal(ok('limits', 'unset', 'a@example.org'), 'a@example.org: all limits removed\n');
  assert.equal(ok('limits', 'list'), 'example.org maxMessageSize=1000000\n');
  fails(['limits', 'set', 'example.org', 'maxRecipients=0'], /^rampart: maxRecipients: Too small: expected number to be >0 \(known keys: /);
  fails(['limits', 'set', 'example.org', 'bogus=1'], /^rampart: bogus: Unrecognized key: "bogus" \(known keys: /);
  fails(['limits', 'set', 'example.org', 'maxRecipients'], /^rampart: expected key=number/);
  fails(['limits', 'unset', 'example.org', 'bogus'], /^rampart: unknown limit bogus/);
  fails(['limits', 'unset', 'nobody.example'], /^rampart: nobody\.example has no limits of its own\.\n$/);
});
