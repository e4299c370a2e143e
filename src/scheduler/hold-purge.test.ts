// R10 runtime hold (spool/HOLD) and purge safety, R7 catchall delivery, in the scheduler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Scheduler } from './scheduler.js';
import { Spool } from '../spool/spool.js';
import { Directory } from '../directory/store.js';
import { createLogger } from '../log/logger.js';
import { validateConfig } from '../config/load.js';
import { setHold, clearHold } from '../spool/hold.js';
import type { SpoolEnvelope } from '../core/submission.js';
import { FakeClock } from './fake-clock.js';


async function setup(over: Record<string, unknown> = {}, preHold = false) {
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-hold-'));
  const config = validateConfig({ dataDir, listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }], ...over }, 'test', dataDir);
  const dir = Directory.open(':memory:');
  dir.addDomain('example.test');
  await dir.addMailbox('alice@example.test');
  await dir.addMailbox('bob@example.test');
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger('info', new Writable({ write(c, _e, cb) { for (const l of c.toString().split('\n')) if (l) logs.push(JSON.parse(l)); cb(); } }));
  const spool = new Spool(join(dataDir, 'spool'));
  await spool.open();
  if (preHold) setHold(spool.root, 'test');
  const clock = new FakeClock();
  const sched = new Scheduler(config, spool, dir, log, clock);
  spool.onQueued = (id) => sched.enqueue(id);
  const queue = async (rcpts: string[], from = 's@remote.test') => {
    const env: SpoolEnvelope = { mailFrom: from, rcpts: rcpts.map((address) => ({ address })), params: { smtputf8: false }, client: { ip: '127.0.0.1', listener: 'mx' }, sessionId: 's', receivedAt: clock.t };
    const sink = await spool.begin(env);
    await sink.write(Buffer.from(`Subject: from ${from}\r\n\r\nhello\r\n`, 'latin1'));
    await sink.commit();
    return sink.id;
  };
  const mailbox = (local: string) => {
    const d = join(dataDir, 'mail/example.test', local, 'Maildir/new');
    return existsSync(d) ? readdirSync(d).map((f) => readFileSync(join(d, f), 'latin1')) : [];
  };
  const done = async () => {
    await sched.stop();
    dir.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { dataDir, dir, logs, spool, clock, sched, queue, mailbox, done };
}

test('R10 spool/HOLD present at start holds delivery; removing it releases within the 1 s poll', async () => {
  const s = await setup({}, true);
  try {
    assert.equal(s.sched.held, true);
    const id = await s.queue(['alice@example.test']);
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 0);
    assert.ok(existsSync(s.spool.queuePath(id)));
    clearHold(s.spool.root);
    s.clock.advance(1000); // the poll notices the release and starts delivery
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 1);
    assert.ok(s.logs.some((l) => l.event === 'hold' && l.held === false));
  } finally {
    await s.done();
  }
});

test('R10 a hold set while running stops new deliveries at once (checked before each start)', async () => {
  const s = await setup();
  try {
    await s.queue(['alice@example.test']);
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 1);
    setHold(s.spool.root);
    await s.queue(['alice@example.test']);
    await s.queue(['bob@example.test']);
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 1);
    assert.equal(s.mailbox('bob').length, 0);
    assert.equal(s.sched.held, true);
    assert.ok(s.logs.some((l) => l.event === 'hold' && l.held === true));
    clearHold(s.spool.root);
    s.clock.advance(1000);
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 2);
    assert.equal(s.mailbox('bob').length, 1);
  } finally {
    await s.done();
  }
});

test('R10 delivery.hold in config and spool/HOLD both hold; releasing one keeps the other', async () => {
  const s = await setup({ delivery: { hold: true } });
  try {
    await s.queue(['alice@example.test']);
    setHold(s.spool.root);
    clearHold(s.spool.root);
    s.clock.advance(1000);
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 0, 'config hold still applies');
  } finally {
    await s.done();
  }
});

test('R10 a queue file purged while held is dropped on release: logged as gone, no failed/, no retry', async () => {
  const s = await setup({}, true);
  try {
    const spam = await s.queue(['alice@example.test'], 'spam@evil.test');
    const good = await s.queue(['bob@example.test'], 'friend@good.test');
    mkdirSync(join(s.spool.root, 'purged'));
    renameSync(s.spool.queuePath(spam), join(s.spool.root, 'purged', spam));
    clearHold(s.spool.root);
    s.clock.advance(1000);
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 0);
    assert.equal(s.mailbox('bob').length, 1);
    assert.equal(s.sched.size, 0);
    assert.ok(s.logs.some((l) => l.event === 'gone' && l.queueId === spam));
    assert.ok(!s.logs.some((l) => l.level === 50), 'no error logged');
    assert.equal(existsSync(join(s.spool.root, 'failed', spam)), false);
    assert.equal(existsSync(s.spool.queuePath(good)), false);
  } finally {
    await s.done();
  }
});

test('R10 a message waiting to retry that is purged is not retried again', async () => {
  const s = await setup({ delivery: { retryMs: [1000] } });
  try {
    mkdirSync(join(s.dataDir, 'mail/example.test/alice'), { recursive: true });
    writeFileSync(join(s.dataDir, 'mail/example.test/alice/Maildir'), 'not a folder');
    const id = await s.queue(['alice@example.test']);
    await s.sched.idle();
    assert.equal(s.logs.filter((l) => l.event === 'deferred').length, 1);
    rmSync(s.spool.queuePath(id));
    for (let i = 0; i < 5; i++) {
      s.clock.advance(1000);
      await s.sched.idle();
    }
    assert.equal(s.logs.filter((l) => l.event === 'deferred').length, 1, 'no retry loop');
    assert.equal(s.logs.filter((l) => l.event === 'gone' && l.queueId === id).length, 1);
    assert.equal(s.sched.size, 0);
  } finally {
    await s.done();
  }
});

test('R7 a catchall recipient is delivered to the target mailbox; disableAllCatchalls makes it fail', async () => {
  const s = await setup();
  try {
    s.dir.catchalls.set('example.test', 'bob@example.test');
    await s.queue(['nobody@example.test']);
    await s.sched.idle();
    const got = s.mailbox('bob');
    assert.equal(got.length, 1);
    assert.match(got[0], /^Return-Path: <s@remote.test>\r\nDelivered-To: bob@example.test\r\n/);
  } finally {
    await s.done();
  }
  const off = await setup({ relay: { disableAllCatchalls: true } });
  try {
    off.dir.catchalls.set('example.test', 'bob@example.test');
    const id = await off.queue(['nobody@example.test']);
    await off.sched.idle();
    assert.equal(off.mailbox('bob').length, 0);
    assert.ok(existsSync(join(off.spool.root, 'failed', id)));
  } finally {
    await off.done();
  }
});
