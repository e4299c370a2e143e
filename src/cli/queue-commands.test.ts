// `rampart queue list|show|purge|hold|release` on a spool filled directly (R10, Q6).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../../test/helpers/cli.js';
import { Spool } from '../spool/spool.js';
import type { SpoolEnvelope } from '../core/submission.js';

let tmp: string;
let cfg: string;
let spoolRoot: string;
const ids: Record<string, string> = {};

const run = (args: string[], config?: string): Promise<CliResult> => runCli(args, { config: config ?? cfg });

async function ok(...args: string[]): Promise<string> {
  const r = await run(args);
  assert.equal(r.code, 0, `rampart ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'rampart-cli-queue-'));
  cfg = join(tmp, 'rampart.yaml');
  writeFileSync(cfg, 'dataDir: ./data\nlisteners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25250 }\n');
  spoolRoot = join(tmp, 'data', 'spool');
  const spool = new Spool(spoolRoot);
  await spool.open();
  const msgs: Array<[string, string, string[], string, number, string?]> = [
    ['spam1', 'spam@evil.example', ['v1@victim.example', 'v2@victim.example', 'v3@victim.example', 'v4@victim.example'], '198.51.100.7', Date.parse('2024-05-01T10:00:00Z')],
    ['good', 'friend@good.example', ['alice@example.test'], '192.0.2.1', Date.parse('2024-05-01T11:00:00Z')],
    ['spam2', 'spam@evil.example', ['v@victim.example'], '198.51.100.8', Date.parse('2024-05-01T12:00:00Z')],
    ['bounce', '', ['bob@example.test'], '192.0.2.2', Date.parse('2024-05-01T13:00:00Z')],
    ['sub', 'alice@example.test', ['x@victim.example'], '203.0.113.5', Date.parse('2024-05-01T14:00:00Z'), 'alice@example.test'],
  ];
  for (const [key, from, rcpts, ip, at, authUser] of msgs) {
    const env: SpoolEnvelope = { mailFrom: from, rcpts: rcpts.map((address) => ({ address })), params: { smtputf8: false }, client: { ip, helo: 'h.example', listener: 'mx', authUser }, sessionId: key, receivedAt: at };
    const sink = await spool.begin(env);
    await sink.write(Buffer.from(`Subject: ${key}\r\nX-Key: ${key}\r\n\r\nbody\r\n`));
    await sink.commit();
    ids[key] = sink.id;
  }
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('R10/Q6 queue list: held state, one line per message with age and next attempt, one per recipient with channel and state', async () => {
  await ok('domain', 'add', 'example.test'); // routes example.test recipients to the local channel
  const out = (await ok('queue', 'list')).split('\n');
  assert.equal(out[0], 'delivery: running');
  assert.match(out[1], new RegExp(`^${ids.spam1}  2024-05-01T10:00:00\\.000Z  age \\d+d\\d+h  ${'Subject: spam1\r\nX-Key: spam1\r\n\r\nbody\r\n'.length}  198\\.51\\.100\\.7  <spam@evil\\.example>  next: now$`));
  assert.deepEqual(out.slice(2, 6), ['v1', 'v2', 'v3', 'v4'].map((v) => `    ${v}@victim.example  smtp  pending`));
  assert.match(out[6], new RegExp(`^${ids.good}  .*  <friend@good\\.example>  next: now$`));
  assert.equal(out[7], '    alice@example.test  local  pending');
  const bounce = out.findIndex((l) => l.startsWith(ids.bounce));
  assert.match(out[bounce], / 192\.0\.2\.2  <>  next: now$/);
  assert.match(out.find((l) => l.startsWith(ids.sub))!, / 203\.0\.113\.5 auth=alice@example\.test  <alice@example\.test>  /);
  assert.equal(out.at(-2), '5 messages queued');

  const count = async (...f: string[]) => (JSON.parse(await ok('queue', 'list', '--json', ...f)) as { count: number }).count;
  assert.equal(await count('--sender', '*@evil.example'), 2);
  assert.equal(await count('--sender', '<>'), 1);
  assert.equal(await count('--rcpt-domain', 'victim.example'), 3);
  assert.equal(await count('--client-ip', '198.51.100.0/24'), 2);
  assert.equal(await count('--client-ip', '198.51.100.8'), 1);
  assert.equal(await count('--auth-user', 'alice@example.test'), 1);
  assert.equal(await count('--since', '2024-05-01T11:00Z', '--before', '2024-05-01T13:00Z'), 2);
  assert.equal(await count('--sender', '*@evil.example', '--client-ip', '198.51.100.7'), 1);
  assert.equal(await count('--since', '1h'), 0);

  const j = JSON.parse(await ok('queue', 'list', '--json', '--sender', 'spam@evil.example'));
  assert.equal(j.held, false);
  assert.equal(j.total, 5);
  assert.deepEqual(j.messages.map((m: { id: string }) => m.id), [ids.spam1, ids.spam2]);
  assert.equal(j.messages[0].clientIp, '198.51.100.7');
  assert.equal((await ok('queue', 'list', '--sender', 'nobody@x.example')).split('\n').at(-2), '0 messages matched (of 5 queued)');
});

test('R10 queue filters: bad values exit 2 naming the option', async () => {
  for (const [args, want] of [
    [['--client-ip', '10.0.0.0/33'], /--client-ip/],
    [['--since', 'yesterday'], /--since/],
    [['--before', '5y'], /--before/],
  ] as Array<[string[], RegExp]>) {
    const r = await run(['queue', 'list', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, want);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('R10/Q6 queue show: envelope and headers; unknown or malformed id exit 2', async () => {
  const out = await ok('queue', 'show', ids.sub);
  assert.match(out, new RegExp(`^id: ${ids.sub}\nstate: queued\nreceived: 2024-05-01T14:00:00.000Z\nsize: \\d+\nclient: 203\\.0\\.113\\.5 helo=h\\.example listener=mx\nauth user: alice@example\\.test\nfrom: <alice@example\\.test>\nto: <x@victim\\.example>  smtp  pending\n\nSubject: sub\nX-Key: sub\n$`));
  const j = JSON.parse(await ok('queue', 'show', ids.good.toLowerCase(), '--json'));
  assert.equal(j.envelope.mailFrom, 'friend@good.example');
  assert.equal(j.headers, 'Subject: good\r\nX-Key: good\r\n');
  const missing = await run(['queue', 'show', '0000000000000ABCDEF']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no message 0000000000000ABCDEF/);
  const bad = await run(['queue', 'show', '../../etc/passwd']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /is not a queue id/);
});

test('R10 queue purge: needs a filter; --dry-run; moves to spool/purged/ and prints what it removed', async () => {
  const none = await run(['queue', 'purge']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^rampart: purge needs at least one filter/);
  const dry = await ok('queue', 'purge', '--sender', '*@evil.example', '--dry-run');
  assert.equal(dry, [
    `would purge ${ids.spam1} from <spam@evil.example> to 4 recipients (client 198.51.100.7)`,
    `would purge ${ids.spam2} from <spam@evil.example> to 1 recipient (client 198.51.100.8)`,
    'would purge 2 messages (dry run: nothing removed)',
    '',
  ].join('\n'));
  assert.equal(readdirSync(join(spoolRoot, 'queue')).length, 5);
  const real = await ok('queue', 'purge', '--sender', '*@evil.example');
  assert.match(real, new RegExp(`^purged ${ids.spam1} from <spam@evil\\.example>.*\npurged ${ids.spam2} .*\npurged 2 messages; files moved to .*purged\n$`));
  assert.deepEqual(readdirSync(join(spoolRoot, 'purged')).sort(), [ids.spam1, ids.spam2].sort());
  assert.equal(readdirSync(join(spoolRoot, 'queue')).length, 3);
  assert.match(await ok('queue', 'show', ids.spam1), /\nstate: purged\n/);
  const j = JSON.parse(await ok('queue', 'purge', '--auth-user', '*', '--json', '--delete'));
  assert.equal(j.count, 1);
  assert.equal(j.purged[0].id, ids.sub);
  assert.equal(j.purgedDir, null);
  assert.equal(existsSync(join(spoolRoot, 'purged', ids.sub)), false);
  assert.equal(await ok('queue', 'purge', '--sender', 'nobody@x.example'), 'purged 0 messages\n');
});

test('R10 queue hold/release: flag file, shown by list; config hold reported', async () => {
  assert.match(await ok('queue', 'hold', '--reason', 'open relay'), /^delivery held/);
  assert.ok(existsSync(join(spoolRoot, 'HOLD')));
  assert.match((await ok('queue', 'list')).split('\n')[0], /^delivery: HELD by rampart queue hold since \d{4}-\d\d-\d\dT.*Z \(open relay\)$/);
  assert.equal(JSON.parse(await ok('queue', 'list', '--json')).held, true);
  assert.match(await ok('queue', 'hold'), /already held/);
  assert.equal(await ok('queue', 'release'), 'delivery released\n');
  assert.equal(await ok('queue', 'release'), 'delivery was not held by "queue hold"\n');
  assert.equal((await ok('queue', 'list')).split('\n')[0], 'delivery: running');

  const held = join(tmp, 'held.yaml');
  writeFileSync(held, 'dataDir: ./data\ndelivery: { hold: true }\nlisteners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25250 }\n');
  assert.equal((await run(['queue', 'list'], held)).stdout.split('\n')[0], 'delivery: HELD by delivery.hold in the configuration');
  assert.match((await run(['queue', 'release'], held)).stdout, /note: delivery\.hold is true in the configuration/);
});
