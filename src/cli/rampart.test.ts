import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cli, runCli } from '../../test/helpers/cli.js';

const CONFIG = `dataDir: ./data
listeners:
  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25250 }
`;

let tmp: string;
let cfg: string;
let cli: Cli;

const run = (args: string[], opts: { config?: string | null; input?: string } = {}) => runCli(args, { config: opts.config === undefined ? cfg : opts.config, input: opts.input });
const ok = (args: string[], input?: string) => cli.ok(args, input);

function lines(s: string): string[] {
  return s.split('\n').filter(Boolean);
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rampart-cli-'));
  cfg = join(tmp, 'rampart.yaml');
  writeFileSync(cfg, CONFIG);
  cli = new Cli(cfg);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('config check: ok with a summary', async () => {
  const r = await run(['config', 'check']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), [`ok: ${cfg}`, 'listeners: mx (mx) 127.0.0.1:25250']);
});

test('config check: embedded default when no -c', async () => {
  const r = await run(['config', 'check'], { config: null });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ok: embedded default\n/);
});

test('config check --all: every key with its effective value and source; secrets redacted; --json', async () => {
  const file = join(tmp, 'all.yaml');
  writeFileSync(file, `${CONFIG}limits:\n  maxRecipients: 50\nchannels:\n  relay:\n    transport: smtp\n    relayHost: "[192.0.2.25]:587"\n    auth: { user: relay-user, passwordFile: /etc/rampart/relay.secret }\nstate:\n  redis: "redis://:hunter2@127.0.0.1:6379/0"\npolicy:\n  warn: [rcpt.localRecipient]\n`);
  const r = await run(['config', 'check', '--all'], { config: file });
  assert.equal(r.code, 0, r.stderr);
  const row = (key: string) => r.stdout.split('\n').find((l) => l.startsWith(`${key} `) || l.startsWith(`${key}=`))?.replace(/ +=/, ' =');
  assert.equal(row('limits.maxRecipients'), 'limits.maxRecipients = 50  (file)');
  assert.equal(row('limits.maxConnections'), 'limits.maxConnections = 1000  (default)');
  assert.equal(row('listeners[0].port'), 'listeners[0].port = 25250  (file)');
  assert.equal(row('listeners[0].pregreetWaitMs'), 'listeners[0].pregreetWaitMs = 300  (default)');
  assert.equal(row('listeners[0].maxMessageSize'), 'listeners[0].maxMessageSize = (not set)  (default)');
  assert.equal(row('channels.relay.relayHost'), 'channels.relay.relayHost = {"kind":"inet","host":"192.0.2.25","port":587,"mx":false}  (file)', 'the value as resolved');
  assert.equal(row('channels.relay.concurrency'), 'channels.relay.concurrency = 20  (default)');
  assert.equal(row('channels.smtp.transport'), 'channels.smtp.transport = "smtp"  (default)');
  assert.equal(row('policy.warn'), 'policy.warn = ["rcpt.localRecipient"]  (file)');
  assert.equal(row('state.redis'), 'state.redis = "redis://:REDACTED@127.0.0.1:6379/0"  (file)');
  assert.doesNotMatch(r.stdout, /hunter2/);
  const json = JSON.parse((await run(['config', 'check', '--all', '--json'], { config: file })).stdout);
  assert.deepEqual(json.find((v: { key: string }) => v.key === 'dataDir'), { key: 'dataDir', value: join(tmp, 'data'), source: 'file' });
  assert.deepEqual(json.find((v: { key: string }) => v.key === 'tls.cert'), { key: 'tls.cert', source: 'default' });
  const embedded = await run(['config', 'check', '--all'], { config: null });
  assert.match(embedded.stdout, /^admin\.port +\= 2580 {2}\(embedded default\)$/m);
  assert.match(embedded.stdout, /^admin\.allowRemote +\= false {2}\(default\)$/m);
  const bad = await run(['config', 'check', '--json'], { config: file });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--json goes with --all/);
});

test('config check: failures name the key and exit 2', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['bad port', CONFIG.replace('25250', '70000'), /listeners\.0\.port/],
    ['unknown key', CONFIG + 'bogus: 1\n', /bogus/],
    ['bad YAML', 'listeners: [\n', /YAML/],
  ];
  for (const [name, text, want] of cases) {
    const file = join(tmp, `bad-${name.replace(/ /g, '-')}.yaml`);
    writeFileSync(file, text);
    const r = await run(['config', 'check'], { config: file });
    assert.equal(r.code, 2, name);
    assert.match(r.stderr, want, name);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`);
  }
  const missing = await run(['config', 'check'], { config: join(tmp, 'missing.yaml') });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read file/);
});

test('domain, user and alias round-trips', async () => {
  assert.match(await ok(['domain', 'add', 'Example.COM']), /added domain example\.com/);
  await ok(['domain', 'add', 'other.test']);
  assert.ok(existsSync(join(tmp, 'data', 'directory.sqlite')), 'store under dataDir, relative to the config file');
  assert.deepEqual(lines(await ok(['domain', 'list'])), ['example.com', 'other.test']);
  assert.deepEqual(JSON.parse(await ok(['domain', 'list', '--json'])), ['example.com', 'other.test']);

  const generated = await ok(['user', 'add', 'Bob@example.com']);
  assert.match(generated, /^added user bob@example\.com\npassword: [A-Za-z2-9]{16}\n$/);
  assert.equal(await ok(['user', 'add', 'ann@example.com', '--password', 'pw1']), 'added user ann@example.com\n');
  assert.equal(await ok(['user', 'add', 'cat@other.test', '--password-stdin'], 'from-stdin\n'), 'added user cat@other.test\n');
  assert.deepEqual(lines(await ok(['user', 'list'])), ['ann@example.com', 'bob@example.com', 'cat@other.test']);
  assert.deepEqual(lines(await ok(['user', 'list', 'other.test'])), ['cat@other.test']);
  assert.deepEqual(JSON.parse(await ok(['user', 'list', 'example.com', '--json'])), [
    { address: 'ann@example.com', hasPassword: true },
    { address: 'bob@example.com', hasPassword: true },
  ]);
  assert.match(await ok(['user', 'passwd', 'ann@example.com', '--password-stdin'], 'pw2\n'), /password changed for ann@example\.com/);
  assert.match(await ok(['user', 'passwd', 'ann@example.com']), /password: [A-Za-z2-9]{16}/);

  assert.match(await ok(['alias', 'add', 'info@example.com', 'bob@example.com', 'Ext@Remote.org']), /added alias info@example\.com/);
  assert.deepEqual(lines(await ok(['alias', 'list'])), ['info@example.com -> bob@example.com, ext@remote.org']);
  assert.deepEqual(JSON.parse(await ok(['alias', 'list', '--json'])), [
    { address: 'info@example.com', targets: ['bob@example.com', 'ext@remote.org'] },
  ]);
  await ok(['alias', 'remove', 'INFO@example.com']);
  assert.deepEqual(lines(await ok(['alias', 'list'])), []);

  await ok(['user', 'remove', 'bob@example.com']);
  assert.deepEqual(lines(await ok(['user', 'list', 'example.com'])), ['ann@example.com']);
  await ok(['domain', 'remove', 'example.com']);
  assert.deepEqual(lines(await ok(['domain', 'list'])), ['other.test']);
  assert.deepEqual(lines(await ok(['user', 'list'])), ['cat@other.test']);
});

test('user errors: one line on stderr, exit 2', async () => {
  const cases: Array<[string[], RegExp, string?]> = [
    [['user', 'add', 'x@nope.test', '--password', 'p'], /^rampart: Domain nope\.test is not a local domain.*\n$/],
    [['alias', 'add', 'a@nope.test', 'b@c.org'], /^rampart: Domain nope\.test is not a local domain.*\n$/],
    [['domain', 'add', 'bad_domain!'], /^rampart: "bad_domain!" is not a valid domain name\.\n$/],
    [['domain', 'remove', 'nope.test'], /^rampart: Domain nope\.test does not exist\.\n$/],
    [['user', 'remove', 'nobody@other.test'], /^rampart: Mailbox nobody@other\.test does not exist\.\n$/],
    [['user', 'add', 'z@other.test', '--password', 'a', '--password-stdin'], /^rampart: give --password or --password-stdin, not both\.\n$/, 'b\n'],
    [['user', 'add', 'z@other.test', '--password-stdin'], /^rampart: no password on standard input\.\n$/, ''],
    [['domain', 'frobnicate'], /unknown command/],
    // Defect 2 (issue 9): a name the Maildir layout cannot store is refused, naming the problem.
    [['user', 'add', 'a/b@other.test', '--password', 'p'], /^rampart: "a\/b@other\.test" cannot be a local mailbox or alias: the local part contains "\/", which a Maildir folder name cannot hold\.\n$/],
    [['user', 'add', `${'é'.repeat(33)}@other.test`, '--password', 'p'], /longer than 64 octets/],
    [['alias', 'add', 'fwd@other.test', 'a\\b@other.test'], /not a valid address/],
    [['alias', 'add', 'fwd@other.test', 'a/b@other.test'], /cannot be a local mailbox or alias: the local part contains "\/"/],
  ];
  for (const [args, want, input] of cases) {
    const r = await run(args, { input });
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, want, args.join(' '));
  }
  assert.deepEqual(lines(await ok(['user', 'list', 'other.test'])), ['cat@other.test'], 'nothing was added');
  assert.match(await ok(['user', 'add', 'a+tag@other.test', '--password', 'p']), /^added user a\+tag@other\.test\nwarning: Dovecot's default auth_username_chars/);
  await ok(['user', 'remove', 'a+tag@other.test']);
});
