// Q5 mailbox quotas end to end: quotas set with the real CLI (in-process harness,
// on the server's own directory file), mailboxes filled by real deliveries from a
// LAN client, then: the RCPT refusal by mode (hold 452 4.2.2, return 552 5.2.2),
// the delivery-time check (hold: kept queued and delivered on the next attempt
// once `quota set` raised the limit, or returned with 5.2.2 at giveUpMs; return:
// a DSN at once, checked field by field), usage shown by `rampart user show`, and
// usage put right by a recount when mail was deleted without a maildirsize line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SmtpClient, type Reply } from '../helpers/smtp-client.js';
import { runCli } from '../helpers/cli.js';
import { FakeClock } from '../../src/scheduler/fake-clock.js';
import type { TestServer } from '../helpers/server.js';
import { events, noticesIn, sendLan, startRelay } from './remote-support.js';
import { until } from '../helpers/until.js';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';
const BODY = 'x'.repeat(76) + '\r\n';
/** A message of about 3 KiB. */
const message = (subject: string) => `From: ${ALICE}\r\nSubject: ${subject}\r\n\r\n${BODY.repeat(38)}`;

async function cli(ts: TestServer, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cfg = join(ts.dataDir, 'rampart.yaml');
  writeFileSync(cfg, `dataDir: ${JSON.stringify(ts.dataDir)}\nlisteners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25 }\n`);
  return runCli(args, { config: cfg });
}

async function ok(ts: TestServer, ...args: string[]): Promise<string> {
  const r = await cli(ts, ...args);
  assert.equal(r.code, 0, `rampart ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function rcpt(port: number, to: string, mailParams = ''): Promise<Reply> {
  const c = await SmtpClient.connect(port);
  try {
    await c.reply();
    await c.cmd('EHLO lan.client.test');
    assert.equal((await c.cmd(`MAIL FROM:<${BOB}>${mailParams}`)).code, 250);
    const r = await c.cmd(`RCPT TO:<${to}>`);
    await c.cmd('QUIT');
    return r;
  } finally {
    c.close();
  }
}

async function usage(ts: TestServer, mailbox: string): Promise<{ bytes: number; messages: number }> {
  return JSON.parse(await ok(ts, 'user', 'show', mailbox, '--json')).usage;
}

function start(clock: FakeClock): Promise<TestServer> {
  clock.t = Date.now();
  return startRelay({ channels: { local: { retryMs: [60_000], giveUpMs: 300_000 } } }, { records: {} }, clock);
}

test('Q5 hold: a message that does not fit stays queued (4.2.2), RCPT to a full mailbox 452 4.2.2, and after quota set raises the limit the next attempt delivers it', { timeout: 60_000 }, async () => {
  const clock = new FakeClock();
  const ts = await start(clock);
  try {
    assert.match(await ok(ts, 'user', 'quota', 'set', ALICE, '6K'), /^alice@example\.test: quota 6\.0 KiB \(6144 octets\)\n$/);
    await sendLan(ts.ports.mx, { from: BOB, to: [ALICE], data: message('first') });
    await ts.delivered();
    assert.equal(ts.maildir(ALICE).length, 1);
    const after1 = await usage(ts, ALICE);
    assert.equal(after1.messages, 1);
    assert.equal(after1.bytes, Buffer.byteLength(ts.maildir(ALICE)[0], 'latin1'), 'maildirsize counts the stored file');

    const held = await sendLan(ts.ports.mx, { from: BOB, to: [ALICE], data: message('second') });
    await ts.delivered();
    assert.equal(ts.maildir(ALICE).length, 1, 'the second does not fit');
    const deferred = events(ts, 'deferred', held);
    assert.deepEqual(deferred.map((l) => l.status), ['4.2.2']);
    assert.match(String(deferred[0].reason), /^mailbox alice@example\.test is full: \d+ \+ \d+ > 6144 octets$/);
    assert.equal(ts.server.scheduler.size, 1, 'held in the queue');

    // Lowered under the usage: the mailbox is full, RCPT says so (hold: 452 4.2.2). Applies without restart.
    await ok(ts, 'user', 'quota', 'set', ALICE, '2K');
    const full = await rcpt(ts.ports.mx, ALICE);
    assert.deepEqual([full.code, full.enhanced], [452, '4.2.2']);
    const d = ts.logs.filter((l) => l.event === 'decision' && l.check === 'rcpt.mailboxQuota');
    assert.equal(d.length, 1);
    assert.match(String(d[0].reason), /^mailbox alice@example\.test is full: \d+ of 2048 octets used$/);
    assert.equal((await rcpt(ts.ports.mx, BOB)).code, 250, 'another mailbox is not affected');

    const shown = await ok(ts, 'user', 'show', ALICE);
    assert.match(shown, /^mailbox: alice@example\.test\nusage: 3\.\d KiB \(\d+ octets\), 1 messages\nquota: 2\.0 KiB \(2048 octets\) \(1\d\d\.\d% used\), mode hold, set on the mailbox\n$/);

    await ok(ts, 'user', 'quota', 'set', ALICE, '1M');
    assert.equal((await rcpt(ts.ports.mx, ALICE)).code, 250);
    clock.advance(60_000);
    await until('the held message', () => ts.maildir(ALICE).length === 2);
    await ts.delivered();
    assert.equal(events(ts, 'delivered', held).length, 1);
    assert.equal(ts.server.scheduler.size, 0);
    assert.equal((await usage(ts, ALICE)).messages, 2);
  } finally {
    await ts.stop();
  }
});

test('Q5 mail deleted without a maildirsize line (rm): once the file is 15 minutes old, delivery and RCPT SIZE= recount for the message in hand', { timeout: 60_000 }, async () => {
  const clock = new FakeClock();
  const ts = await start(clock);
  const maildir = join(ts.dataDir, 'mail/example.test/alice/Maildir');
  const removeAllAndAge = () => {
    for (const f of readdirSync(join(maildir, 'new'))) unlinkSync(join(maildir, 'new', f)); // no maildirsize line written
    const old = (Date.now() - 16 * 60_000) / 1000;
    utimesSync(join(maildir, 'maildirsize'), old, old);
  };
  try {
    await ok(ts, 'user', 'quota', 'set', ALICE, '6K');
    await sendLan(ts.ports.mx, { from: BOB, to: [ALICE], data: message('first') });
    await ts.delivered();
    assert.equal(ts.maildir(ALICE).length, 1);
    removeAllAndAge();

    // Delivery: the file still counts "first", and both would not fit 6 KiB; the recount finds room.
    const second = await sendLan(ts.ports.mx, { from: BOB, to: [ALICE], data: message('second') });
    await ts.delivered();
    assert.deepEqual(events(ts, 'deferred', second), [], 'not held on the stale count');
    assert.equal(events(ts, 'delivered', second).length, 1);
    assert.match(ts.maildir(ALICE)[0], /Subject: second/);
    removeAllAndAge();

    // RCPT: the file says about 3 KiB used, SIZE=5000 would not fit it; the recount says 0.
    const r = await rcpt(ts.ports.mx, ALICE, ' SIZE=5000');
    assert.deepEqual([r.code, r.enhanced], [250, '2.1.5']);
    assert.deepEqual(await usage(ts, ALICE), { bytes: 0, messages: 0 });
  } finally {
    await ts.stop();
  }
});

test('Q5 hold: mail that never fits is returned at giveUpMs with 5.2.2', { timeout: 60_000 }, async () => {
  const clock = new FakeClock();
  const ts = await start(clock);
  try {
    await ok(ts, 'user', 'quota', 'set', BOB, '1K', '--mode', 'hold');
    const id = await sendLan(ts.ports.mx, { from: ALICE, to: [BOB], data: message('never fits') });
    await ts.delivered();
    for (let i = 0; i < 5; i++) {
      clock.advance(61_000);
      await ts.delivered();
    }
    await until('the notice', () => ts.maildir(ALICE).length === 1);
    const [n] = await noticesIn(ts, ALICE);
    assert.deepEqual([n.perRecipient[0]['final-recipient'], n.perRecipient[0].action, n.perRecipient[0].status], ['rfc822; bob@example.test', 'failed', '5.2.2']);
    assert.match(n.perRecipient[0]['diagnostic-code'], /^X-Rampart; mailbox bob@example\.test is full: 0 \+ \d+ > 1024 octets \(gave up after \d+ attempts over 5 minutes\)$/);
    assert.equal(events(ts, 'failed', id)[0].status, '5.2.2');
  } finally {
    await ts.stop();
  }
});

test('Q5 return (domain default): a message that does not fit is returned at once with a 5.2.2 DSN; RCPT to a full mailbox 552 5.2.2, also when SIZE= would not fit', { timeout: 60_000 }, async () => {
  const clock = new FakeClock();
  const ts = await start(clock);
  try {
    await ok(ts, 'user', 'quota', 'set', 'example.test', '6K', '--mode', 'return');
    await ok(ts, 'user', 'quota', 'set', ALICE, '10M'); // alice receives the notices; her own limit wins, the mode comes from the domain
    assert.match(await ok(ts, 'user', 'show', ALICE), /quota: 10\.0 MiB .* mode return, set on the mailbox/);
    await sendLan(ts.ports.mx, { from: ALICE, to: [BOB], data: message('first') });
    await ts.delivered();
    assert.equal(ts.maildir(BOB).length, 1);

    const id = await sendLan(ts.ports.mx, { from: ALICE, to: [BOB], mailParams: 'ENVID=quota-1', data: message('second') });
    await ts.delivered();
    await until('the notice', () => ts.maildir(ALICE).length === 1);
    assert.equal(ts.maildir(BOB).length, 1);
    assert.equal(ts.server.scheduler.size, 0, 'not held: returned at once');
    const [n] = await noticesIn(ts, ALICE);
    assert.equal(n.header.subject, 'Undelivered Mail Returned to Sender');
    assert.equal(n.perMessage['original-envelope-id'], 'quota-1');
    assert.match(n.perMessage['reporting-mta'], /^dns; mx\.rampart\.test$/);
    assert.equal(n.perRecipient.length, 1);
    const r = n.perRecipient[0];
    assert.equal(r['final-recipient'], 'rfc822; bob@example.test');
    assert.equal(r.action, 'failed');
    assert.equal(r.status, '5.2.2');
    assert.equal(r['remote-mta'], undefined, 'our own verdict');
    assert.match(r['diagnostic-code'], /^X-Rampart; mailbox bob@example\.test is full: \d+ \+ \d+ > 6144 octets$/);
    assert.deepEqual(events(ts, 'failed', id).map((l) => l.status), ['5.2.2']);

    const sized = await rcpt(ts.ports.mx, BOB, ' SIZE=4000');
    assert.deepEqual([sized.code, sized.enhanced], [552, '5.2.2'], 'SIZE= that would not fit');
    assert.equal((await rcpt(ts.ports.mx, BOB, ' SIZE=1000')).code, 250);
    await ok(ts, 'user', 'quota', 'set', 'example.test', '--messages', '1');
    const full = await rcpt(ts.ports.mx, BOB);
    assert.deepEqual([full.code, full.enhanced], [552, '5.2.2'], 'one message of one allowed: full');
    assert.match(String(ts.logs.filter((l) => l.check === 'rcpt.mailboxQuota').at(-1)!.reason), /^mailbox bob@example\.test is full: 1 of 1 messages$/);
    await ok(ts, 'user', 'quota', 'unset', 'example.test');
    assert.equal((await rcpt(ts.ports.mx, BOB)).code, 250, 'quota removed: no limit');
  } finally {
    await ts.stop();
  }
});

test('Q5 an alias is accepted at RCPT; each member is judged at delivery (the full one returned with 5.2.2, the other delivered)', { timeout: 60_000 }, async () => {
  const clock = new FakeClock();
  const ts = await start(clock);
  try {
    await ok(ts, 'user', 'quota', 'set', ALICE, '1K', '--mode', 'return');
    const team = await rcpt(ts.ports.mx, 'team@example.test');
    assert.equal(team.code, 250, 'the alias is not refused for one full member');
    const id = await sendLan(ts.ports.mx, { from: BOB, to: ['team@example.test'], data: message('to the team') });
    await ts.delivered();
    await until('the notice to bob', () => ts.maildir(BOB).length === 2);
    assert.equal(ts.maildir(ALICE).length, 0);
    assert.deepEqual(events(ts, 'failed', id).map((l) => [l.to, l.status]), [[ALICE, '5.2.2']]);
    assert.deepEqual(events(ts, 'delivered', id).map((l) => l.to), [BOB]);
    const [n] = await noticesIn(ts, BOB);
    assert.deepEqual([n.perRecipient[0]['final-recipient'], n.perRecipient[0].action, n.perRecipient[0].status], ['rfc822; alice@example.test', 'failed', '5.2.2']);
  } finally {
    await ts.stop();
  }
});

test('Q5 bad input: a negative or garbage size, an unknown mode, an unknown mailbox: CLI error, exit 2, naming the problem', { timeout: 30_000 }, async () => {
  const clock = new FakeClock();
  const ts = await start(clock);
  try {
    const cases: Array<[string[], RegExp]> = [
      [['user', 'quota', 'set', ALICE, '-5'], /the quota size must be a size of 0 or more.*got "-5"/],
      [['user', 'quota', 'set', ALICE, 'lots'], /the quota size must be .*got "lots"/],
      [['user', 'quota', 'set', ALICE, '2X'], /got "2X"/],
      [['user', 'quota', 'set', ALICE, '1G', '--mode', 'bounce'], /the quota mode must be hold or return/],
      [['user', 'quota', 'set', ALICE, '1G', '--messages', '-1'], /the message limit must be a whole number/],
      [['user', 'quota', 'set', ALICE], /give bytes, messages or mode/],
      [['user', 'quota', 'set', 'nobody@example.test', '1G'], /Mailbox nobody@example\.test does not exist/],
      [['user', 'quota', 'set', 'elsewhere.test', '1G'], /Domain elsewhere\.test is not a local domain/],
      [['user', 'quota', 'unset', ALICE], /alice@example\.test has no quota of its own/],
      [['user', 'show', 'nobody@example.test'], /Mailbox nobody@example\.test does not exist/],
    ];
    for (const [args, re] of cases) {
      const r = await cli(ts, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
    }
    assert.equal((await rcpt(ts.ports.mx, ALICE)).code, 250, 'nothing was set');
  } finally {
    await ts.stop();
  }
});
