// `rampart admin token ...`, `rampart deny unban`, `rampart limits ...` (offline, on the server's files).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../directory/store.js';
import { Cli } from '../../test/helpers/cli.js';

let tmp: string;
let cli: Cli;

const ok = (...args: string[]): Promise<string> => cli.ok(args);
const fails = (args: string[], want: RegExp) => cli.fails(args, want);

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rampart-cli-admin-'));
  const cfg = join(tmp, 'rampart.yaml');
  writeFileSync(cfg, 'dataDir: ./data\nlisteners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25250 }\n');
  cli = new Cli(cfg);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('admin token create prints the secret alone on stdout, once; list never shows it; revoke', async () => {
  const r = await cli.run(['admin', 'token', 'create', '--name', 'CI', '--read-only']);
  assert.equal(r.code, 0, r.stderr);
  const token = r.stdout.trim();
  assert.match(r.stdout, /^rmp_[A-Za-z0-9_-]{43}\n$/);
  assert.equal(r.stderr, 'created token ci (read-only); it is shown only this once:\n');
  const dir = Directory.open(join(tmp, 'data', 'directory.sqlite'));
  try {
    assert.deepEqual(dir.tokens.verify(token) && { name: dir.tokens.verify(token)!.name, ro: dir.tokens.verify(token)!.readOnly }, { name: 'ci', ro: true });
  } finally {
    dir.close();
  }
  await ok('admin', 'token', 'create', '--name', 'deploy');
  const list = await ok('admin', 'token', 'list');
  assert.match(list, /^ci {2}read-only {2}created \d{4}-\S+ {2}last used \d{4}-\S+\ndeploy {2}read-write {2}created \d{4}-\S+ {2}last used never\n$/);
  assert.doesNotMatch(list, /rmp_/);
  assert.deepEqual(JSON.parse(await ok('admin', 'token', 'list', '--json')).map((t: { name: string; readOnly: boolean }) => [t.name, t.readOnly]), [['ci', true], ['deploy', false]]);
  await fails(['admin', 'token', 'create', '--name', 'ci'], /^rampart: Token ci already exists; revoke it first or choose another name\.\n$/);
  await fails(['admin', 'token', 'create'], /required option '--name <name>'/);
  await fails(['admin', 'token', 'create', '--name', 'bad name'], /^rampart: "bad name" is not a valid token name/);
  assert.equal(await ok('admin', 'token', 'revoke', 'ci'), 'revoked token ci\n');
  await fails(['admin', 'token', 'revoke', 'ci'], /^rampart: Token ci does not exist\.\n$/);
});

test('deny unban removes every entry covering the address; nothing covering it: exit 2', async () => {
  await ok('deny', 'add', '203.0.113.0/24', '--reason', 'range');
  await ok('deny', 'add', '203.0.113.7', '--reason', 'host');
  await ok('deny', 'add', '198.51.100.1');
  const out = await ok('deny', 'unban', '203.0.113.7');
  assert.match(out, /^removed from the deny list: 203\.0\.113\.7\/32 {2}manual {2}expires never {2}host\nremoved from the deny list: 203\.0\.113\.0\/24 {2}manual {2}expires never {2}range\n$/);
  assert.equal(await ok('deny', 'list'), '198.51.100.1/32  manual  expires never  -\n');
  await fails(['deny', 'unban', '203.0.113.7'], /^rampart: 203\.0\.113\.7 is not on the deny list\n$/);
  await fails(['deny', 'unban', 'nope'], /^rampart: expected an IPv4 or IPv6 address\n$/);
});

test('limits set/unset/list', async () => {
  assert.equal(await ok('limits', 'set', 'Example.ORG', 'maxRecipients=10', 'maxMessageSize=1000000'), 'example.org: maxMessageSize=1000000 maxRecipients=10\n', 'keys in attribute order');
  assert.equal(await ok('limits', 'set', 'a@example.org', 'recipientsPerHour=50'), 'a@example.org: recipientsPerHour=50\n');
  assert.equal(await ok('limits', 'list'), 'a@example.org recipientsPerHour=50\nexample.org maxMessageSize=1000000 maxRecipients=10\n');
  assert.deepEqual(JSON.parse(await ok('limits', 'list', '--json'))[0], { subject: 'a@example.org', limits: { recipientsPerHour: 50 } });
  assert.equal(await ok('limits', 'unset', 'example.org', 'maxRecipients'), 'example.org: maxRecipients removed\n');
  assert.equal(await ok('limits', 'unset', 'a@example.org'), 'a@example.org: all limits removed\n');
  assert.equal(await ok('limits', 'list'), 'example.org maxMessageSize=1000000\n');
  await fails(['limits', 'set', 'example.org', 'maxRecipients=0'], /^rampart: maxRecipients: Too small: expected number to be >0 \(known keys: /);
  await fails(['limits', 'set', 'example.org', 'bogus=1'], /^rampart: bogus: Unrecognized key: "bogus" \(known keys: /);
  await fails(['limits', 'set', 'example.org', 'maxRecipients'], /^rampart: expected key=number/);
  await fails(['limits', 'unset', 'example.org', 'bogus'], /^rampart: unknown limit bogus/);
  await fails(['limits', 'unset', 'nobody.example'], /^rampart: nobody\.example has no limits of its own\.\n$/);
});
