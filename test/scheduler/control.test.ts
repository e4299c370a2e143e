// Q6 queue operations reaching a running scheduler: the one queue-ops module
// writes flags and requests into the spool, the scheduler's poll (driven here by
// the fake clock) applies them: per-message hold and release, retry now, bounce
// now (5.0.0 notice), delete (forgotten at once), requeue from spool/failed/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupScheduler, type Harness } from '../../src/scheduler/test-support.js';
import { bounceMessages, deleteMessages, holdMessages, listQueue, releaseMessages, requeueFailed, retryMessages, type QueueContext } from '../../src/spool/queue-ops.js';
import { dsnOfMaildirFile, parseDsn } from '../helpers/dsn.js';

function ctx(s: Harness): QueueContext {
  return { spoolRoot: s.spool.root, config: s.config, isLocalDomain: (d) => s.dir.isLocalDomain(d), now: s.clock.t };
}

/** Runs an operation that waits for the scheduler's answer while the fake clock drives the poll. */
async function answered<T>(s: Harness, op: Promise<T>): Promise<T> {
  let done = false;
  const p = op.finally(() => (done = true));
  while (!done) {
    s.clock.advance(1000);
    await new Promise((r) => setTimeout(r, 20));
  }
  const out = await p;
  await s.sched.idle();
  return out;
}

function breakMailbox(s: Harness, local: string): () => void {
  const dir = join(s.dataDir, 'mail/example.test', local);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Maildir'), 'x');
  return () => rmSync(join(dir, 'Maildir'));
}

test('Q6 hold ID keeps one message back (others flow); release ID lets it go within the poll', async () => {
  const s = await setupScheduler({ delivery: { hold: true } });
  try {
    const a = await s.queue(['alice@example.test']);
    const b = await s.queue(['bob@example.test']);
    assert.deepEqual(holdMessages(ctx(s), [a]), { held: [a], already: [], missing: [] });
    s.sched.setConfig({ ...s.config, delivery: { ...s.config.delivery, hold: false } });
    s.clock.advance(1000);
    await s.run();
    assert.equal(s.mailbox('bob').length, 1);
    assert.equal(s.mailbox('alice').length, 0, 'held');
    assert.equal(s.sched.stats().parked, 1);
    assert.deepEqual([...s.sched.messagesByStateAndChannel().values()], [{ state: 'parked', channel: 'unrouted', n: 1 }], 'held before its first attempt: no channel yet');
    const l = await listQueue(ctx(s));
    assert.deepEqual(l.messages.map((m) => [m.id, m.held, m.nextAttempt]), [[a, true, null]]);
    assert.deepEqual(releaseMessages(ctx(s), [a, b]), { released: [a], notHeld: [b] });
    await s.run(1);
    assert.equal(s.mailbox('alice').length, 1);
    assert.equal(s.sched.size, 0);
  } finally {
    await s.done();
  }
});

test('Q6 retry ID runs a deferred message now; queue list shows the deferred reply and the next attempt', async () => {
  const s = await setupScheduler({ delivery: { retryMs: [3_600_000] } });
  try {
    const fix = breakMailbox(s, 'alice');
    const id = await s.queue(['alice@example.test', 'bob@example.test']);
    await s.run();
    const l = await listQueue({ ...ctx(s), now: s.clock.t });
    const m = l.messages[0];
    assert.equal(m.nextAttempt, s.clock.t + 3_600_000);
    assert.deepEqual(m.recipients.map((r) => [r.address, r.channel, r.state, r.status]), [
      ['alice@example.test', 'local', 'deferred', '4.3.0'],
      ['bob@example.test', 'local', 'delivered', '2.0.0'],
    ]);
    assert.match(m.recipients[0].reply!, /maildir delivery to alice@example\.test failed/);
    fix();
    const r = await answered(s, retryMessages(ctx(s), [id], 5000));
    assert.equal(r.answered, true);
    assert.deepEqual(r.answer!.done, [id]);
    assert.equal(s.mailbox('alice').length, 1);
    assert.equal(s.mailbox('bob').length, 1, 'bob not delivered twice');
    assert.equal(s.sched.size, 0);
    const none = await answered(s, retryMessages(ctx(s), 'all', 5000));
    assert.deepEqual(none.answer!.done, []);
  } finally {
    await s.done();
  }
});

test('Q6 bounce ID returns the unfinished recipients to the sender now (5.0.0), the delivered ones stay delivered', async () => {
  const s = await setupScheduler({ delivery: { retryMs: [3_600_000] } });
  try {
    breakMailbox(s, 'bob');
    const id = await s.queue(['alice@example.test', 'bob@example.test'], { from: 'postmaster@example.test' });
    await s.run();
    const r = await answered(s, bounceMessages(ctx(s), [id.toLowerCase()], 5000));
    assert.deepEqual(r.answer!.done, [id]);
    const n = await parseDsn(dsnOfMaildirFile(s.mailbox('postmaster')[0]).dsn);
    assert.deepEqual(n.perRecipient.map((x) => [x['final-recipient'], x.action, x.status, x['diagnostic-code']]), [
      ['rfc822; bob@example.test', 'failed', '5.0.0', 'X-Rampart; returned to the sender by the mail administrator'],
    ]);
    assert.equal(existsSync(s.spool.queuePath(id)), false);
    assert.equal(s.sched.size, 0);
  } finally {
    await s.done();
  }
});

test('Q6 delete ID removes a waiting message without notice and the scheduler forgets it at the next poll', async () => {
  const s = await setupScheduler({ delivery: { retryMs: [3_600_000] } });
  try {
    breakMailbox(s, 'alice');
    const id = await s.queue(['alice@example.test'], { from: 'bob@example.test' });
    await s.run();
    assert.equal(s.sched.size, 1);
    assert.deepEqual(await deleteMessages(ctx(s), [id]), { deleted: [id], missing: [] });
    await s.run(1);
    assert.equal(s.sched.size, 0);
    assert.equal(s.mailbox('bob').length, 0, 'no notice');
    assert.ok(s.logs.some((l) => l.event === 'control' && l.op === 'forget'));
  } finally {
    await s.done();
  }
});

test('Q6 requeue puts a message from spool/failed/ back and the running scheduler delivers it', async () => {
  const s = await setupScheduler({ delivery: { hold: true } });
  try {
    const id = await s.queue(['alice@example.test']);
    mkdirSync(join(s.spool.root, 'failed'), { recursive: true });
    renameSync(s.spool.queuePath(id), join(s.spool.root, 'failed', id));
    s.sched.setConfig({ ...s.config, delivery: { ...s.config.delivery, hold: false } });
    await s.run(1);
    assert.equal(s.sched.size, 0, 'gone from the queue');
    const r = await answered(s, requeueFailed(ctx(s), 'all', 5000));
    assert.deepEqual(r.requeued, [id]);
    assert.deepEqual(r.result!.answer!.done, [id]);
    assert.equal(s.mailbox('alice').length, 1);
  } finally {
    await s.done();
  }
});

test('an unreadable spool/held or spool/control/ neither crashes the poll nor releases a held message', async () => {
  const s = await setupScheduler({ delivery: { hold: true } });
  try {
    const a = await s.queue(['alice@example.test']);
    holdMessages(ctx(s), [a]);
    s.sched.setConfig({ ...s.config, delivery: { ...s.config.delivery, hold: false } });
    await s.run(1);
    assert.equal(s.sched.stats().parked, 1);
    const held = join(s.spool.root, 'held');
    const control = join(s.spool.root, 'control');
    renameSync(held, `${held}.moved`);
    writeFileSync(held, 'not a directory');
    rmSync(control, { recursive: true, force: true });
    writeFileSync(control, 'not a directory');
    s.clock.advance(1000); // the poll reads both: it must neither throw nor forget the hold
    s.clock.advance(1000);
    await s.sched.idle();
    assert.equal(s.mailbox('alice').length, 0, 'still held');
    assert.equal(s.logs.filter((l) => l.event === 'hold' && l.level === 'error').length, 1, 'logged once');
    assert.ok(s.logs.some((l) => l.event === 'control' && /ENOTDIR/.test(String(l.err))));
    rmSync(held);
    rmSync(control);
    renameSync(`${held}.moved`, held);
    releaseMessages(ctx(s), [a]);
    await s.run(1);
    assert.equal(s.mailbox('alice').length, 1, 'released once the folder reads again');
  } finally {
    await s.done();
  }
});
