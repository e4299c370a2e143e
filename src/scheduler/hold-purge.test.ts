// R10 runtime hold (spool/HOLD) and purge safety, R7 catchall delivery, in the scheduler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync, mkdirSync, existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { setHold, clearHold } from '../spool/hold.js';
import { setupScheduler } from './test-support.js';

async function setup(over: Record<string, unknown> = {}, preHold = false) {
  const s = await setupScheduler(over, { before: preHold ? (root) => setHold(root, 'test') : undefined });
  const queue = (rcpts: string[], from = 's@remote.test') => s.queue(rcpts, { from });
  return { ...s, queue };
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
    const id = await off.queue(['nobody@example.test'], 'alice@example.test');
    await off.sched.idle();
    assert.equal(off.mailbox('bob').length, 0);
    assert.equal(existsSync(off.spool.queuePath(id)), false);
    assert.match(off.mailbox('alice')[0], /Final-Recipient: rfc822; nobody@example\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\n/);
  } finally {
    await off.done();
  }
});
