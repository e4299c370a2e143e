// `rampart dkim generate|list|record|activate|remove` (A8) through the built CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('./rampart.js', import.meta.url));
let tmp: string;
let cfg: string;

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [BIN, '-c', cfg, ...args], { cwd: tmp, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 20000 });
    return { code: 0, stdout, stderr: '' };
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
  tmp = mkdtempSync(join(tmpdir(), 'rampart-cli-dkim-'));
  cfg = join(tmp, 'rampart.yaml');
  writeFileSync(cfg, 'dataDir: ./data\nlisteners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25250 }\n');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('A8 dkim generate prints the record; list, activate, record, remove', () => {
  const out = ok('dkim', 'generate', 'Example.ORG', '--selector', 's1').split('\n');
  assert.match(out[0], /^generated example\.org {2}s1 {2}rsa-2048 {2}active {2}created \d{4}-/);
  assert.equal(out[1], 'publish this TXT record (s1._domainkey.example.org):');
  assert.match(out[2], /^s1\._domainkey\.example\.org\. IN TXT \( "v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+" "[A-Za-z0-9+/=]+" \)$/);
  assert.equal(statSync(join(tmp, 'data', 'dkim', 'example.org', 's1.pem')).mode & 0o777, 0o600);
  assert.equal(statSync(join(tmp, 'data', 'dkim')).mode & 0o777, 0o700);

  const ed = ok('dkim', 'generate', 'example.org', '--selector', 'e1', '--algorithm', 'ed25519');
  assert.match(ed, /^generated example\.org {2}e1 {2}ed25519 {2}inactive/);
  assert.match(ed, /"v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=" \)/);
  assert.match(ed, /then run: rampart dkim activate example\.org e1/);

  assert.match(ok('dkim', 'list'), /^example\.org {2}e1 {2}ed25519 {2}inactive .*\nexample\.org {2}s1 {2}rsa-2048 {2}active /);
  const json = JSON.parse(ok('dkim', 'list', '--json')) as Array<{ selector: string; active: boolean; record: string }>;
  assert.deepEqual(json.map((k) => [k.selector, k.active]), [['e1', false], ['s1', true]]);
  assert.match(ok('dkim', 'record', 'example.org', 'e1'), /k=ed25519/);
  assert.match(ok('dkim', 'activate', 'example.org', 'e1'), /^active: example\.org {2}e1 {2}ed25519 {2}active/);
  assert.match(ok('dkim', 'remove', 'example.org', 'e1'), /^removed example\.org e1 \(it was active: mail from this domain is not signed until another key is activated\)\n$/);
  assert.equal(ok('dkim', 'remove', 'example.org', 's1'), 'removed example.org s1\n');
  assert.equal(ok('dkim', 'list'), '');
});

test('A8 dkim errors exit 2 naming the problem', () => {
  ok('dkim', 'generate', 'dup.example', '--selector', 'a');
  fails(['dkim', 'generate', 'dup.example', '--selector', 'a'], /^rampart: a key for dup\.example with selector a already exists; choose another --selector\n$/);
  fails(['dkim', 'generate', 'nodots'], /^rampart: "nodots" is not a domain name\n$/);
  fails(['dkim', 'generate', 'x.example', '--algorithm', 'rsa-1024'], /^rampart: --algorithm rsa-1024 is not one of rsa-2048, ed25519\n$/);
  fails(['dkim', 'generate', 'x.example', '--selector', 'a/b'], /not a valid selector/);
  fails(['dkim', 'remove', 'dup.example', 'zz'], /^rampart: no key for dup\.example with selector zz\n$/);
  fails(['dkim', 'activate', 'none.example', 'a'], /no key for none\.example/);
});
