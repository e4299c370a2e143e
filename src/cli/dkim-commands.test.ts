// `rampart dkim generate|list|record|activate|remove` (A8) through the in-process CLI harness.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cli } from '../../test/helpers/cli.js';

let tmp: string;
let cli: Cli;
const ok = (...args: string[]): Promise<string> => cli.ok(args);
const fails = (args: string[], want: RegExp) => cli.fails(args, want);

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rampart-cli-dkim-'));
  const cfg = join(tmp, 'rampart.yaml');
  writeFileSync(cfg, 'dataDir: ./data\nlisteners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25250 }\n');
  cli = new Cli(cfg);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('A8 dkim generate prints the record; list, activate, record, remove', async () => {
  const out = (await ok('dkim', 'generate', 'Example.ORG', '--selector', 's1')).split('\n');
  assert.match(out[0], /^generated example\.org {2}s1 {2}rsa-2048 {2}active {2}created \d{4}-/);
  assert.equal(out[1], 'publish this TXT record (s1._domainkey.example.org):');
  assert.match(out[2], /^s1\._domainkey\.example\.org\. IN TXT \( "v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+" "[A-Za-z0-9+/=]+" \)$/);
  assert.equal(statSync(join(tmp, 'data', 'dkim', 'example.org', 's1.pem')).mode & 0o777, 0o600);
  assert.equal(statSync(join(tmp, 'data', 'dkim')).mode & 0o777, 0o700);

  const ed = await ok('dkim', 'generate', 'example.org', '--selector', 'e1', '--algorithm', 'ed25519');
  assert.match(ed, /^generated example\.org {2}e1 {2}ed25519 {2}inactive/);
  assert.match(ed, /"v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=" \)/);
  assert.match(ed, /then run: rampart dkim activate example\.org e1/);

  assert.match(await ok('dkim', 'list'), /^example\.org {2}e1 {2}ed25519 {2}inactive .*\nexample\.org {2}s1 {2}rsa-2048 {2}active /);
  const json = JSON.parse(await ok('dkim', 'list', '--json')) as Array<{ selector: string; active: boolean; record: string }>;
  assert.deepEqual(json.map((k) => [k.selector, k.active]), [['e1', false], ['s1', true]]);
  assert.match(await ok('dkim', 'record', 'example.org', 'e1'), /k=ed25519/);
  assert.match(await ok('dkim', 'activate', 'example.org', 'e1'), /^active: example\.org {2}e1 {2}ed25519 {2}active/);
  assert.match(await ok('dkim', 'remove', 'example.org', 'e1'), /^removed example\.org e1 \(it was active: mail from this domain is not signed until another key is activated\)\n$/);
  assert.equal(await ok('dkim', 'remove', 'example.org', 's1'), 'removed example.org s1\n');
  assert.equal(await ok('dkim', 'list'), '');
});

test('A8 dkim errors exit 2 naming the problem', async () => {
  await ok('dkim', 'generate', 'dup.example', '--selector', 'a');
  await fails(['dkim', 'generate', 'dup.example', '--selector', 'a'], /^rampart: a key for dup\.example with selector a already exists; choose another --selector\n$/);
  await fails(['dkim', 'generate', 'nodots'], /^rampart: "nodots" is not a domain name\n$/);
  await fails(['dkim', 'generate', 'x.example', '--algorithm', 'rsa-1024'], /^rampart: --algorithm rsa-1024 is not one of rsa-2048, ed25519\n$/);
  await fails(['dkim', 'generate', 'x.example', '--selector', 'a/b'], /not a valid selector/);
  await fails(['dkim', 'remove', 'dup.example', 'zz'], /^rampart: no key for dup\.example with selector zz\n$/);
  await fails(['dkim', 'activate', 'none.example', 'a'], /no key for none\.example/);
});
