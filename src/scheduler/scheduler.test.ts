import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Scheduler } from './scheduler.js';
import { Spool } from '../spool/spool.js';
import { Directory } from '../directory/store.js';
import { createLogger } from '../log/logger.js';
import { validateConfig } from '../config/load.js';
import type { SpoolEnvelope } from '../core/submission.js';
import { FakeClock } from './fake-clock.js';


async function setup(delivery: Record<string, unknown> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-sched-'));
  const config = validateConfig({ dataDir, listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }], delivery }, 'test', dataDir);
  const dir = Directory.open(':memory:');
  dir.addDomain('example.test');
  await dir.addMailbox('alice@example.test');
  await dir.addMailbox('bob@example.test');
  dir.addAlias('team@example.test', ['alice@example.test', 'bob@example.test']);
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger('info', new Writable({ write(c, _e, cb) { for (const l of c.toString().split('\n')) if (l) logs.push(JSON.parse(l)); cb(); } }));
  const spool = new Spool(join(dataDir, 'spool'));
  await spool.open();
  const clock = new FakeClock();
  const sched = new Scheduler(config, spool, dir, log, clock);
  spool.onQueued = (id) => sched.enqueue(id);
  const queue = async (rcpts: string[], body = 'Subject: t\r\n\r\nhello\r\n') => {
    const env: SpoolEnvelope = { mailFrom: 's@remote.test', rcpts: rcpts.map((address) => ({ address })), params: { smtputf8: false }, client: { ip: '127.0.0.1', listener: 'mx' }, sessionId: 's', receivedAt: clock.t };
    const sink = await spool.begin(env);
    await sink.write(Buffer.from(body, 'latin1'));
    await sink.commit();
    return sink.id;
  };
  const mailbox = (local: string) => {
    const d = join(dataDir, 'mail/example.test', local, 'Maildir/new');
    return existsSync(d) ? readdirSync(d).map((f) => readFileSync(join(d, f), 'latin1')) : [];
  };
  return { dataDir, config, dir, logs, spool, clock, sched, queue, mailbox, done: async () => {
    await sched.stop();
    await spool.close();
    rmSync(dataDir, { recursive: true, force: true });
  } };
}

test('Q1 delivers to Maildir with Return-Path and Delivered-To, byte-exact, and removes the queue file', async () => {
  const s = await setup();
  try {
    const id = await s.queue(['alice@example.test'], 'Subject: t\r\n\r\n\xe9t\xe9 .\r\n');
    await s.sched.idle();
    assert.deepEqual(s.mailbox('alice'), ['Return-Path: <s@remote.test>\r\nDelivered-To: alice@example.test\r\nSubject: t\r\n\r\n\xe9t\xe9 .\r\n']);
    assert.equal(existsSync(s.spool.queuePath(id)), false);
    for (const sub of ['tmp', 'new', 'cur']) assert.ok(existsSync(join(s.dataDir, 'mail/example.test/alice/Maildir', sub)));
    assert.ok(s.logs.some((l) => l.event === 'delivered' && l.queueId === id));
  } finally {
    await s.done();
  }
});

test('Q1 an alias delivers one copy to each mailbox', async () => {
  const s = await setup();
  try {
    await s.queue(['team@example.test', 'alice@example.test']);
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 2, 'alice is a recipient twice (directly and via the alias)');
    assert.equal(s.mailbox('bob').length, 1);
    assert.match(s.mailbox('bob')[0], /^Return-Path: <s@remote.test>\r\nDelivered-To: bob@example.test\r\n/);
  } finally {
    await s.done();
  }
});

test('Q1 a temporary failure is retried on the schedule, then delivered', async () => {
  const s = await setup({ retryMs: [60000, 120000] });
  try {
    // A file where the Maildir folder should be makes delivery fail (temporarily).
    mkdirSync(join(s.dataDir, 'mail/example.test/alice'), { recursive: true });
    writeFileSync(join(s.dataDir, 'mail/example.test/alice/Maildir'), 'not a folder');
    const id = await s.queue(['alice@example.test']);
    await s.sched.idle();
    assert.ok(s.logs.some((l) => l.event === 'deferred' && l.queueId === id));
    s.clock.advance(59000);
    await s.sched.idle();
    assert.equal(s.logs.filter((l) => l.event === 'deferred').length, 1, 'no retry before the first wait');
    s.clock.advance(1000);
    await s.sched.idle();
    assert.equal(s.logs.filter((l) => l.event === 'deferred').length, 2);
    rmSync(join(s.dataDir, 'mail/example.test/alice/Maildir'));
    s.clock.advance(120000);
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 1);
    assert.equal(existsSync(s.spool.queuePath(id)), false);
  } finally {
    await s.done();
  }
});

test('Q1 past giveUpMs a failing message moves to spool/failed', async () => {
  const s = await setup({ retryMs: [1000], giveUpMs: 5000 });
  try {
    mkdirSync(join(s.dataDir, 'mail/example.test/alice'), { recursive: true });
    writeFileSync(join(s.dataDir, 'mail/example.test/alice/Maildir'), 'x');
    const id = await s.queue(['alice@example.test']);
    for (let i = 0; i < 8; i++) {
      await s.sched.idle();
      s.clock.advance(1000);
    }
    await s.sched.idle();
    assert.ok(existsSync(join(s.dataDir, 'spool/failed', id)));
    assert.equal(s.sched.size, 0);
  } finally {
    await s.done();
  }
});

test('Q1 a recipient removed from the directory after queueing fails permanently; others still get it', async () => {
  const s = await setup();
  try {
    s.dir.removeMailbox('bob@example.test');
    const id = await s.queue(['alice@example.test', 'bob@example.test']);
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 1);
    assert.ok(existsSync(join(s.dataDir, 'spool/failed', id)));
    assert.ok(s.logs.some((l) => l.event === 'failed' && l.rcpt === 'bob@example.test'));
  } finally {
    await s.done();
  }
});

test('R10 delivery.hold keeps messages queued until released', async () => {
  const s = await setup({ hold: true });
  try {
    const id = await s.queue(['alice@example.test']);
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 0);
    assert.ok(existsSync(s.spool.queuePath(id)));
    s.sched.setConfig(validateConfig({ dataDir: s.dataDir, listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }] }, 'test', s.dataDir));
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 1);
  } finally {
    await s.done();
  }
});
