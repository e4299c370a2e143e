// R10 / Q6 the queue through the admin API, over real HTTP on loopback, and
// `rampart queue ...` through the same routes while the server runs. Delivery is
// held by the configuration so that the messages stay queued. (401, 403, 400 and
// 404 on every queue route: test/admin/api-errors.test.ts.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAdminTestServer, type AdminTestServer } from '../helpers/admin.js';
import { ehloClient } from '../helpers/smtp-client.js';
import { Cli } from '../helpers/cli.js';
import { CLI_TOKEN_NAME } from '../../src/admin/runtime-file.js';

let ts: AdminTestServer;
let cli: Cli;
let dir: string;
const ids: Record<string, string> = {};

async function send(from: string, subject: string): Promise<string> {
  const { c } = await ehloClient(ts.ports.mx);
  try {
    assert.equal((await c.cmd(`MAIL FROM:<${from}>`)).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    const r = await c.cmd(`From: <${from}>\r\nSubject: ${subject}\r\n\r\nbody\r\n.`);
    assert.equal(r.code, 250);
    return /queued as (\S+)/.exec(r.lines.join(' '))![1];
  } finally {
    c.close();
  }
}

before(async () => {
  ts = await startAdminTestServer({ delivery: { hold: true } });
  ids.spam1 = await send('s1@spam.example', 'spam one');
  ids.good = await send('friend@good.example', 'good');
  ids.spam2 = await send('s2@spam.example', 'spam two');
  dir = mkdtempSync(join(tmpdir(), 'rampart-api-queue-'));
  const config = join(dir, 'rampart.yaml');
  writeFileSync(config, JSON.stringify({ hostname: 'mx.rampart.test', dataDir: ts.dataDir, listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }], admin: { port: 0 } }));
  cli = new Cli(config);
});
after(async () => {
  await ts?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const api = (method: string, path: string, body?: unknown) => ts.call(method, `/api/v1${path}`, body);

test('R10 GET /queue: every queued message with its recipients, hold state and total; filters; pages', async () => {
  const all = await api('GET', '/queue');
  assert.equal(all.status, 200, all.text);
  assert.deepEqual(all.body.items.map((m: { id: string }) => m.id), [ids.spam1, ids.good, ids.spam2]);
  assert.equal(all.body.total, 3);
  assert.equal(all.body.nextCursor, null);
  assert.deepEqual(all.body.hold, { held: true, config: true });
  const m = all.body.items[0];
  assert.equal(m.mailFrom, 's1@spam.example');
  assert.equal(m.clientIp, '127.0.0.1');
  assert.equal(m.held, false);
  assert.deepEqual(m.recipients, [{ address: 'alice@example.test', channel: 'local', state: 'pending' }]);

  const spam = await api('GET', '/queue?sender=*%40spam.example');
  assert.deepEqual(spam.body.items.map((x: { id: string }) => x.id), [ids.spam1, ids.spam2]);
  assert.equal(spam.body.total, 3, 'total counts the whole queue');

  const p1 = await api('GET', '/queue?limit=2');
  assert.deepEqual(p1.body.items.map((x: { id: string }) => x.id), [ids.spam1, ids.good]);
  assert.ok(p1.body.nextCursor);
  const p2 = await api('GET', `/queue?limit=2&cursor=${p1.body.nextCursor}`);
  assert.deepEqual(p2.body.items.map((x: { id: string }) => x.id), [ids.spam2]);
  assert.equal(p2.body.nextCursor, null);

  const since = await api('GET', '/queue?since=1h&before=2000-01-01');
  assert.equal(since.body.items.length, 0);
});

test('Q6 GET /queue/:id shows envelope and header section; ids are case-insensitive', async () => {
  const r = await api('GET', `/queue/${ids.good.toLowerCase()}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.id, ids.good);
  assert.equal(r.body.state, 'queued');
  assert.equal(r.body.envelope.mailFrom, 'friend@good.example');
  assert.match(r.body.headers, /\r\nSubject: good\r\n/);
  assert.equal(r.body.queue.recipients[0].state, 'pending');
});

test('Q6 hold and release single messages, hold and release all delivery', async () => {
  const h = await api('POST', '/queue/hold', { ids: [ids.good, '0000000000000ABCDEF'] });
  assert.deepEqual(h.body, { held: [ids.good], already: [], missing: ['0000000000000ABCDEF'] });
  assert.equal((await api('GET', `/queue/${ids.good}`)).body.queue.held, true);
  assert.deepEqual((await api('POST', '/queue/hold', { ids: [ids.good] })).body, { held: [], already: [ids.good], missing: [] });
  assert.deepEqual((await api('POST', '/queue/release', { ids: [ids.good] })).body, { released: [ids.good], notHeld: [] });
  assert.equal((await api('GET', `/queue/${ids.good}`)).body.queue.held, false);

  assert.deepEqual((await api('PUT', '/delivery/hold', { reason: 'incident 42' })).body, { held: true, wasHeld: false });
  const flag = (await api('GET', '/queue?limit=1')).body.hold;
  assert.equal(flag.flag.reason, 'incident 42');
  assert.ok(existsSync(join(ts.dataDir, 'spool', 'HOLD')));
  assert.deepEqual((await api('DELETE', '/delivery/hold')).body, { released: true, configHold: true });
  assert.equal(existsSync(join(ts.dataDir, 'spool', 'HOLD')), false);
});

test('Q6 retry reaches the running scheduler; purge --dry-run reports; delete removes without notice', async () => {
  const r = await api('POST', '/queue/retry', { ids: [ids.good], wait: 10 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.answered, true);
  assert.deepEqual(r.body.answer.done, [ids.good]);
  assert.deepEqual(r.body.missing, []);

  const dry = await api('POST', '/queue/purge', { sender: '*@spam.example', dryRun: true });
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual(dry.body.purged.map((e: { id: string }) => e.id), [ids.spam1, ids.spam2]);
  assert.equal(dry.body.dryRun, true);
  assert.equal((await api('GET', '/queue')).body.items.length, 3, 'a dry run removes nothing');

  const del = await api('POST', '/queue/delete', { ids: [ids.spam2] });
  assert.deepEqual(del.body, { deleted: [ids.spam2], missing: [] });
  assert.equal((await api('GET', `/queue/${ids.spam2}`)).status, 404);
});

test('R10/Q6 rampart queue list / hold / purge go through the API while the server runs', async () => {
  const from = ts.logs.length;
  const list = await cli.ok(['queue', 'list']);
  assert.match(list, /^delivery: HELD by delivery\.hold in the configuration\n/);
  assert.match(list, new RegExp(`^${ids.spam1} .* <s1@spam\\.example>  next: now$`, 'm'));
  assert.match(list, /\n2 messages queued\n$/);
  const j = JSON.parse(await cli.ok(['queue', 'list', '--json', '--sender', '*@spam.example']));
  assert.deepEqual([j.held, j.total, j.count, j.messages.map((x: { id: string }) => x.id)], [true, 2, 1, [ids.spam1]]);
  assert.match(await cli.ok(['queue', 'hold', ids.good]), new RegExp(`^held: ${ids.good} `));
  await cli.fails(['queue', 'hold', '0000000000000ABCDEF'], /^rampart: not in the queue: 0000000000000ABCDEF$/m);
  await cli.fails(['queue', 'list', '--client-ip', '10.0.0.0/33'], /--client-ip: "10\.0\.0\.0\/33" is not an IP address or CIDR block/);
  assert.equal(await cli.ok(['queue', 'purge', '--sender', '*@spam.example']), `purged ${ids.spam1} from <s1@spam.example> to 1 recipient (client 127.0.0.1)\npurged 1 message; files moved to ${join(ts.dataDir, 'spool', 'purged')}\n`);
  const writes = ts.logs.slice(from).filter((l) => l.event === 'admin').map((l) => [l.token, l.op, l.status]);
  assert.deepEqual(writes, [
    [CLI_TOKEN_NAME, 'queue.hold', 200],
    [CLI_TOKEN_NAME, 'queue.hold', 404],
    [CLI_TOKEN_NAME, 'queue.purge', 200],
  ]);
  // --offline works on the spool itself: the same answers.
  assert.match(await cli.ok(['--offline', 'queue', 'list']), /\n1 message queued\n$/);
});

test('Q6 POST /queue/bounce reaches the running scheduler, which takes the message', async () => {
  await api('POST', '/queue/release', { ids: [ids.good] });
  const r = await api('POST', '/queue/bounce', { ids: [ids.good], wait: 10 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.answered, true);
  assert.deepEqual(r.body.answer.done, [ids.good]);
  // What the scheduler then does (fail the recipients with 5.0.0, send the notice) is the
  // same code as for `rampart queue bounce`: test/e2e/queue-tools.test.ts follows it through.
});
