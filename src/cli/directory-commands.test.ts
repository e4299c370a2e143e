// `rampart postoffice ...`, `rampart catchall ...`, `rampart domain add --postoffice` (R5, R7).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../../test/helpers/cli.js';

let tmp: string;
let cfg: string;

const run = (args: string[], config?: string): Promise<CliResult> => runCli(args, { config: config ?? cfg });

async function ok(...args: string[]): Promise<string> {
  const r = await run(args);
  assert.equal(r.code, 0, `rampart ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function fails(args: string[], want: RegExp): Promise<void> {
  const r = await run(args);
  assert.equal(r.code, 2, `${args.join(' ')} should exit 2: ${r.stdout}`);
  assert.match(r.stderr, want, args.join(' '));
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rampart-cli-dir-'));
  cfg = join(tmp, 'rampart.yaml');
  writeFileSync(cfg, 'dataDir: ./data\nlisteners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25250 }\n');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('R5 postoffice add/list/assign/unassign/remove and domain add --postoffice', async () => {
  assert.equal(await ok('postoffice', 'add', 'Acme'), 'added postoffice acme\n');
  await ok('postoffice', 'add', 'beta');
  assert.equal(await ok('domain', 'add', 'acme.example', '--postoffice', 'ACME'), 'added domain acme.example in postoffice acme\n');
  await ok('domain', 'add', 'acme.org');
  await ok('domain', 'add', 'beta.example');
  assert.equal(await ok('postoffice', 'assign', 'acme', 'acme.org'), 'domain acme.org is in postoffice acme\n');
  await ok('postoffice', 'assign', 'beta', 'beta.example');
  assert.equal(await ok('postoffice', 'list'), 'acme: acme.example, acme.org\nbeta: beta.example\n');
  assert.deepEqual(JSON.parse(await ok('postoffice', 'list', '--json')), [
    { name: 'acme', domains: ['acme.example', 'acme.org'] },
    { name: 'beta', domains: ['beta.example'] },
  ]);
  await fails(['postoffice', 'add', 'acme'], /^rampart: Postoffice acme already exists\.\n$/);
  await fails(['postoffice', 'add', 'no spaces'], /not a valid postoffice name/);
  await fails(['postoffice', 'assign', 'beta', 'acme.org'], /^rampart: Domain acme\.org already belongs to postoffice acme; unassign it first\.\n$/);
  await fails(['postoffice', 'assign', 'nope', 'acme.org'], /Postoffice nope does not exist/);
  await fails(['domain', 'add', 'x.example', '--postoffice', 'nope'], /^rampart: postoffice nope does not exist; add it first\.\n$/);
  assert.doesNotMatch(await ok('domain', 'list'), /x\.example/, 'the domain was not added');
  await fails(['postoffice', 'remove', 'acme'], /still owns acme\.example, acme\.org; .*--force/);
  assert.equal(await ok('postoffice', 'unassign', 'acme.org'), 'domain acme.org removed from postoffice acme\n');
  await fails(['postoffice', 'unassign', 'acme.org'], /is not in a postoffice/);
  assert.equal(await ok('postoffice', 'remove', 'acme', '--force'), 'removed postoffice acme; released acme.example\n');
  assert.equal(await ok('postoffice', 'remove', 'beta', '--force'), 'removed postoffice beta; released beta.example\n');
  await ok('postoffice', 'add', 'empty');
  assert.equal(await ok('postoffice', 'list'), 'empty: (no domains)\n');
  assert.equal(await ok('postoffice', 'remove', 'empty'), 'removed postoffice empty\n');
  assert.match(await ok('domain', 'list'), /acme\.example\nacme\.org\nbeta\.example/);
});

test('R7 catchall set/list/unset, remote-target warning, disableAllCatchalls note', async () => {
  await ok('domain', 'add', 'c.example');
  await ok('user', 'add', 'catch@c.example', '--password', 'pw');
  assert.equal(await ok('catchall', 'set', 'C.Example', 'Catch@c.example'), 'catchall for c.example -> catch@c.example\n');
  assert.equal(await ok('catchall', 'list'), 'c.example -> catch@c.example\n');
  assert.deepEqual(JSON.parse(await ok('catchall', 'list', '--json')), [{ domain: 'c.example', target: 'catch@c.example' }]);
  const remote = await ok('catchall', 'set', 'c.example', 'someone@remote.example');
  assert.match(remote, /^catchall for c\.example -> someone@remote\.example\nnote: the target is remote/);
  await fails(['catchall', 'set', 'c.example', 'nobody@c.example'], /neither a mailbox nor an alias/);
  await fails(['catchall', 'set', 'nope.example', 'catch@c.example'], /not a local domain/);
  assert.equal(await ok('catchall', 'unset', 'c.example'), 'catchall for c.example removed\n');
  await fails(['catchall', 'unset', 'c.example'], /^rampart: Domain c\.example has no catchall\.\n$/);
  assert.equal(await ok('catchall', 'list'), '');

  const off = join(tmp, 'off.yaml');
  writeFileSync(off, 'dataDir: ./data\nrelay: { disableAllCatchalls: true }\nlisteners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25250 }\n');
  const r = await run(['catchall', 'set', 'c.example', 'catch@c.example'], off);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /note: relay\.disableAllCatchalls is true/);
});
