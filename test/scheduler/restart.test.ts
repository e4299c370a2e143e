// Q2 durable per-recipient state across restarts (spool/journal): recipients
// already delivered are not delivered again, deferred ones wait for their
// recorded retry time, a notice recorded as owed is sent after the restart, a
// torn last line is skipped, and start-up compaction keeps only live messages.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupScheduler, type Harness } from '../../src/scheduler/test-support.js';
import { setHold, clearHold } from '../../src/spool/hold.js';
import type { LegRecord } from '../../src/spool/journal-records.js';
import { dsnOfMaildirFile, parseDsn } from '../helpers/dsn.js';

function breakMailbox(s: Harness, local: string): () => void {
  const dir = join(s.dataDir, 'mail/example.test', local);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Maildir'), 'x');
  return () => rmSync(join(dir, 'Maildir'));
}

const journal = (s: Harness) => readFileSync(join(s.spool.root, 'journal'), 'utf8');

test('Q2 after a restart, delivered recipients are not delivered again and deferred ones keep their retry time', async () => {
  const s = await setupScheduler({ delivery: { retryMs: [60_000] } });
  try {
    const fix = breakMailbox(s, 'bob');
    const id = await s.queue(['alice@example.test', 'bob@example.test', 'team@example.test']);
    await s.run();
    assert.equal(s.mailbox('alice').length, 2, 'direct and through team');
    const recorded = journal(s).trim().split('\n').map((l) => JSON.parse(l) as LegRecord);
    assert.deepEqual(recorded.filter((r) => r.id === id).map((r) => [r.rcpt, r.addr, r.outcome]).sort(), [
      [0, 'alice@example.test', 'delivered'],
      [1, 'bob@example.test', 'deferred'],
      [2, 'alice@example.test', 'delivered'],
      [2, 'bob@example.test', 'deferred'],
    ]);
    const deferrals = () => s.logs.filter((l) => l.event === 'deferred').length;
    const before = deferrals();
    await s.restart();
    assert.equal(s.sched.stats().waiting, 1, 'waits in the heap for its recorded time');
    await s.run(1, 30_000);
    assert.equal(deferrals(), before, 'no attempt before the recorded retry time');
    fix();
    await s.run(1, 30_000);
    assert.equal(s.mailbox('alice').length, 2, 'alice not delivered again');
    assert.equal(s.mailbox('bob').length, 2);
    assert.equal(s.sched.size, 0);
    await s.restart();
    assert.equal(journal(s), '', 'compaction at start keeps only live messages');
  } finally {
    await s.done();
  }
});

test('Q2 a failure recorded before a crash but not yet reported is reported after the restart, and not delivered', async () => {
  const s = await setupScheduler({}, { before: (root) => setHold(root) });
  try {
    const id = await s.queue(['alice@example.test', 'bob@example.test'], { from: 'postmaster@example.test' });
    const rec: LegRecord = { t: 'leg', id, rcpt: 1, addr: 'bob@example.test', ch: 'local', outcome: 'failed', status: '5.2.1', diag: 'mailbox disabled', at: s.clock.t };
    appendFileSync(join(s.spool.root, 'journal'), JSON.stringify(rec) + '\n{"t":"leg","id":"' + id + '","rc'); // and a torn last line
    clearHold(s.spool.root);
    await s.restart();
    await s.run();
    assert.ok(s.logs.some((l) => l.event === 'journal' && l.skipped === 1));
    assert.equal(s.mailbox('alice').length, 1);
    assert.equal(s.mailbox('bob').length, 0, 'the recorded outcome stands');
    const n = await parseDsn(dsnOfMaildirFile(s.mailbox('postmaster')[0]).dsn);
    assert.deepEqual(n.perRecipient.map((r) => [r['final-recipient'], r.status, r['diagnostic-code']]), [['rfc822; bob@example.test', '5.2.1', 'X-Rampart; mailbox disabled']]);
    assert.equal(s.sched.size, 0);
  } finally {
    await s.done();
  }
});
