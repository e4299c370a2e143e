// `rampart postoffice ...`, `rampart catchall ...`, `rampart domain add --postoffice` (R5, R7).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('./rampart.js', import.meta.url));
let tmp: string;
let cfg: string;

function run(args: string[], config?: string): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [BIN, '-c', config ?? cfg, ...args], { cwd: tmp, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 20000 });
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
  tmp = mkdtempSync(join(tmpdir(), 'rampart-cli-dir-'));
  cfg = join(tmp, 'rampart.yaml');
  writeFileSync(cfg, 'dataDir: ./data\nlisteners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25250 }\n');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('R5 postoffice add/list/assign/unassign/remove and domain add --postoffice', () => {
  assert.equal(ok('postoffice', 'add', 'Acme'), 'added postoffice acme\n');
  ok('postoffice', 'add', 'beta');
  assert.equal(ok('domain', 'add', 'acme.example', '--postoffice', 'ACME'), 'added domain acme.example in postoffice acme\n');
  ok('domain', 'add', 'acme.org');
  ok('domain', 'add', 'beta.example');
  assert.equal(ok('postoffice', 'assign', 'acme', 'acme.org'), 'domain acme.org is in postoffice acme\n');
  ok('postoffice', 'assign', 'beta', 'beta.example');
  assert.equal(ok('postoffice', 'list'), 'acme: acme.example, acme.org\nbeta: beta.example\n');
  assert.deepEqual(JSON.parse(ok('postoffice', 'list', '--json')), [
    { name: 'acme', domains: ['acme.example', 'acme.org'] },
    { name: 'beta', domains: ['beta.example'] },
  ]);
  fails(['postoffice', 'add', 'acme'], /^rampart: Postoffice acme already exists\.\n$/);
  fails(['postoffice', 'add', 'no spaces'], /not a valid postoffice name/);
  fails(['postoffice', 'assign', 'beta', 'acme.org'], /^rampart: Domain acme\.org already belongs to postoffice acme; unassign it first\.\n$/);
  fails(['postoffice', 'assign', 'nope', 'acme.org'], /Postoffice nope does not exist/);
  fails(['domain', 'add', 'x.example', '--postoffice', 'nope'], /^rampart: postoffice nope does not exist; add it first\.\n$/);
  assert.doesNotMatch(ok('domain', 'list'), /x\.example/, 'the domain was not added');
  fails(['postoffice', 'remove', 'acme'], /still owns acme\.example, acme\.org; .*--force/);
  assert.equal(ok('postoffice', 'unassign', 'acme.org'), 'domain acme.org removed from postoffice acme\n');
  fails(['postoffice', 'unassign', 'acme.org'], /is not in a postoffice/);
  assert.equal(ok('postoffice', 'remove', 'acme', '--force'), 'removed postoffice acme; released acme.example\n');
  assert.equal(ok('postoffice', 'remove', 'beta', '--force'), 'removed postoffice beta; released beta.example\n');
  ok('postoffice', 'add', 'empty');
  assert.equal(ok('postoffice', 'list'), 'empty: (no domains)\n');
  assert.equal(ok('postoffice', 'remove', 'empty'), 'removed postoffice empty\n');
  assert.match(ok('domain', 'list'), /acme\.example\nacme\.org\nbeta\.example/);
});

test('R7 catchall set/list/unset, remote-target warning, disableAllCatchalls note', () => {
  ok('domain', 'add', 'c.example');
  ok('user', 'add', 'catch@c.example', '--password', 'pw');
  assert.equal(ok('catchall', 'set', 'C.Example', 'Catch@c.example'), 'catchall for c.example -> catch@c.example\n');
  assert.equal(ok('catchall', 'list'), 'c.example -> catch@c.example\n');
  assert.deepEqual(JSON.parse(ok('catchall', 'list', '--json')), [{ domain: 'c.example', target: 'catch@c.example' }]);
  const remote = ok('catchall', 'set', 'c.example', 'someone@remote.example');
  assert.match(remote, /^catchall for c\.example -> someone@remote\.example\nnote: the target is remote/);
  fails(['catchall', 'set', 'c.example', 'nobody@c.example'], /neither a mailbox nor an alias/);
  fails(['catchall', 'set', 'nope.example', 'catch@c.example'], /not a local domain/);
  assert.equal(ok('catchall', 'unset', 'c.example'), 'catchall for c.example removed\n');
  fails(['catchall', 'unset', 'c.example'], /^rampart: Domain c\.example has no catchall\.\n$/);
  assert.equal(ok('catchall', 'list'), '');

  const off = join(tmp, 'off.yaml');
  writeFileSync(off, 'dataDir: ./data\nrelay: { disableAllCatchalls: true }\nlisteners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25250 }\n');
  const r = run(['catchall', 'set', 'c.example', 'catch@c.example'], off);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /note: relay\.disableAllCatchalls is true/);
});
