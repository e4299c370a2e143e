import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../config/load.js';
import { setupScheduler } from './test-support.js';

function setup(delivery: Record<string, unknown> = {}) {
  return setupScheduler({ delivery });
}

test('Q1 delivers to Maildir with Return-Path and Delivered-To, byte-exact, and removes the queue file', async () => {
  const s = await setup();
  try {
    const id = await s.queue(['alice@example.test'], { body: 'Subject: t\r\n\r\n\xe9t\xe9 .\r\n' });
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

test('Q1/Q2 past giveUpMs a temporarily failing recipient is returned to the sender; the queue file goes', async () => {
  const s = await setup({ retryMs: [1000], giveUpMs: 5000 });
  try {
    mkdirSync(join(s.dataDir, 'mail/example.test/alice'), { recursive: true });
    writeFileSync(join(s.dataDir, 'mail/example.test/alice/Maildir'), 'x');
    const id = await s.queue(['alice@example.test'], { from: 'bob@example.test' });
    await s.run(8);
    assert.equal(existsSync(s.spool.queuePath(id)), false);
    assert.equal(existsSync(join(s.dataDir, 'spool/failed', id)), false, 'nothing parked in failed/');
    assert.equal(s.sched.size, 0);
    const dsn = s.mailbox('bob');
    assert.equal(dsn.length, 1, 'one notice to the sender');
    assert.match(dsn[0], /^Return-Path: <>\r\n/);
    assert.match(dsn[0], /\r\nAction: failed\r\nStatus: 4\.4\.7\r\n/);
    assert.match(dsn[0], /gave up after \d+ attempts/);
    assert.equal(s.logs.filter((l) => l.event === 'failed' && l.queueId === id).length, 1);
  } finally {
    await s.done();
  }
});

test('Q1 a recipient removed from the directory after queueing fails permanently (5.1.1, bounced); others still get it', async () => {
  const s = await setup();
  try {
    s.dir.removeMailbox('bob@example.test');
    const id = await s.queue(['alice@example.test', 'bob@example.test'], { from: 'postmaster@example.test' });
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 1);
    assert.equal(existsSync(s.spool.queuePath(id)), false);
    assert.ok(s.logs.some((l) => l.event === 'failed' && l.rcpt === 'bob@example.test' && l.status === '5.1.1'));
    const dsn = s.mailbox('postmaster');
    assert.equal(dsn.length, 1);
    assert.match(dsn[0], /Final-Recipient: rfc822; bob@example\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\n/);
    assert.doesNotMatch(dsn[0], /alice@example\.test\r\nAction/, 'the delivered recipient is not in the failure notice');
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
