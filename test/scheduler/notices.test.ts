// Q2 delivery status notices from the queue (RFC 3461 NOTIFY rules) with local
// delivery only: SUCCESS, DELAY once, NEVER, the default (FAILURE), never to <>,
// double bounces to the postmaster, no notice to a mail-system sender, and the
// notices themselves delivered to the sender's mailbox and parsed field by field.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupScheduler, type Harness } from '../../src/scheduler/test-support.js';
import { dsnOfMaildirFile, parseDsn } from '../helpers/dsn.js';

/** Makes a mailbox's delivery fail temporarily (a file where its Maildir should be). */
function breakMailbox(s: Harness, local: string): () => void {
  const dir = join(s.dataDir, 'mail/example.test', local);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Maildir'), 'not a folder');
  return () => rmSync(join(dir, 'Maildir'));
}

async function notices(s: Harness, local: string) {
  return Promise.all(s.mailbox(local).map(async (f) => {
    const { returnPath, dsn } = dsnOfMaildirFile(f);
    return { returnPath, ...(await parseDsn(dsn)) };
  }));
}

test('Q2 NOTIFY=SUCCESS: Action delivered (to each mailbox of an alias); NOTIFY=NEVER: nothing even on failure; default: failures only', async () => {
  const s = await setupScheduler();
  try {
    const ok = await s.queue(['team@example.test'], { from: 'postmaster@example.test', notify: ['SUCCESS', 'FAILURE'], envid: 'ENV1' });
    await s.run();
    const [n] = await notices(s, 'postmaster');
    assert.equal(n.returnPath, '');
    assert.equal(n.header.subject, 'Successful Mail Delivery Report');
    assert.equal(n.perMessage['original-envelope-id'], 'ENV1');
    assert.equal(n.perMessage['x-rampart-queue-id'], ok);
    assert.deepEqual(n.perRecipient.map((r) => [r['final-recipient'], r.action, r.status]).sort(), [
      ['rfc822; alice@example.test', 'delivered', '2.0.0'],
      ['rfc822; bob@example.test', 'delivered', '2.0.0'],
    ]);
    assert.match(n.human, /<alice@example\.test> \(expanded from <team@example\.test>\): delivered/);

    await s.queue(['nobody@example.test'], { from: 'postmaster@example.test', notify: ['NEVER'] });
    await s.queue(['alice@example.test'], { from: 'postmaster@example.test' });
    await s.run();
    assert.equal(s.mailbox('postmaster').length, 1, 'NEVER: no failure notice; default: no success notice');
    assert.ok(s.logs.some((l) => l.event === 'failed' && l.rcpt === 'nobody@example.test'));
  } finally {
    await s.done();
  }
});

test('Q2 NOTIFY=DELAY: one delay warning after delayWarningMs, never two; then the failure notice at giveUpMs', async () => {
  const s = await setupScheduler({ delivery: { retryMs: [1000], delayWarningMs: 3000, giveUpMs: 10000 } });
  try {
    breakMailbox(s, 'bob');
    await s.queue(['bob@example.test'], { from: 'alice@example.test', notify: ['DELAY', 'FAILURE'], orcpt: 'rfc822;bob@example.test' });
    await s.queue(['bob@example.test'], { from: 'alice@example.test' }); // default NOTIFY: no delay warning
    await s.run(2);
    assert.equal(s.mailbox('alice').length, 0, 'not before delayWarningMs');
    await s.run(1);
    let got = await notices(s, 'alice');
    assert.equal(got.length, 1);
    assert.equal(got[0].header.subject, 'Delayed Mail (still being retried)');
    assert.deepEqual(got[0].perRecipient[0], {
      'original-recipient': 'rfc822; bob@example.test',
      'final-recipient': 'rfc822; bob@example.test',
      action: 'delayed',
      status: '4.3.0',
      'diagnostic-code': got[0].perRecipient[0]['diagnostic-code'],
      'last-attempt-date': got[0].perRecipient[0]['last-attempt-date'],
      'will-retry-until': got[0].perRecipient[0]['will-retry-until'],
    });
    assert.match(got[0].perRecipient[0]['diagnostic-code'], /^X-Rampart; maildir delivery to bob@example\.test failed/);
    assert.equal(Date.parse(got[0].perRecipient[0]['will-retry-until']), Math.floor((s.clock.t - 3000 + 10000) / 1000) * 1000);
    await s.run(5);
    assert.equal(s.mailbox('alice').length, 1, 'one warning only');
    await s.run(3);
    got = await notices(s, 'alice');
    assert.equal(got.length, 3, 'then one failure notice per message');
    // (Maildir file names do not sort by time: compare as a set.)
    assert.deepEqual(got.map((n) => [n.header.subject, n.perRecipient[0].action, n.perRecipient[0].status]).sort(), [
      ['Delayed Mail (still being retried)', 'delayed', '4.3.0'],
      ['Undelivered Mail Returned to Sender', 'failed', '4.4.7'],
      ['Undelivered Mail Returned to Sender', 'failed', '4.4.7'],
    ]);
    assert.equal(s.sched.size, 0);
  } finally {
    await s.done();
  }
});

test('Q2 never a notice to <>: a failing null-sender message is logged and dropped', async () => {
  const s = await setupScheduler();
  try {
    const id = await s.queue(['nobody@example.test'], { from: '' });
    await s.run();
    assert.equal(s.sched.size, 0);
    assert.ok(s.logs.some((l) => l.event === 'dsn' && l.queueId === id && /the sender is <>/.test(String(l.reason))));
    for (const m of ['alice', 'bob', 'postmaster']) assert.equal(s.mailbox(m).length, 0);
  } finally {
    await s.done();
  }
});

test('Q2 a notice that cannot be delivered goes to the postmaster once; the postmaster copy failing is only logged', async () => {
  const s = await setupScheduler({ postmasterDomain: 'example.test' });
  try {
    // The sender's mailbox does not exist: its failure notice fails in turn.
    const id = await s.queue(['nobody@example.test'], { from: 'gone@example.test' });
    await s.run();
    const pm = await notices(s, 'postmaster');
    assert.equal(pm.length, 1);
    assert.equal(pm[0].header.subject, 'Postmaster Copy: Undelivered Mail Returned to Sender');
    assert.equal(pm[0].header.to, '<postmaster@example.test>');
    assert.deepEqual(pm[0].perRecipient.map((r) => [r['final-recipient'], r.action, r.status]), [['rfc822; gone@example.test', 'failed', '5.1.1']]);
    assert.equal(pm[0].parts[2].type, 'message/rfc822', 'the failed notice itself is attached');
    assert.match(pm[0].parts[2].body.toString('latin1'), new RegExp(`X-Rampart-Queue-ID: ${id}`));
    assert.equal(s.sched.size, 0);

    s.dir.removeMailbox('postmaster@example.test');
    await s.queue(['nobody@example.test'], { from: 'gone@example.test' });
    await s.run();
    assert.equal(s.sched.size, 0, 'nothing loops');
    assert.ok(s.logs.some((l) => l.event === 'dsn' && /postmaster copy of a failed notice could not be delivered/.test(String(l.reason))));
  } finally {
    await s.done();
  }
});

test('Q2 no notice to a mail-system sender (MAILER-DAEMON): it would loop', async () => {
  const s = await setupScheduler();
  try {
    await s.queue(['nobody@example.test'], { from: 'MAILER-DAEMON@example.test' });
    await s.run();
    assert.ok(s.logs.some((l) => l.event === 'dsn' && /mail system address; a notice would loop/.test(String(l.reason))));
    assert.equal(s.sched.size, 0);
  } finally {
    await s.done();
  }
});

test('Q3 discard channel: recipients count as delivered (SUCCESS notice says so) and the message is logged', async () => {
  const s = await setupScheduler({ channels: { sink: { transport: 'discard' } }, routes: { 'discard.test': 'sink' } });
  try {
    const id = await s.queue(['x@discard.test', 'y@discard.test'], { from: 'alice@example.test', notify: ['SUCCESS'] });
    await s.run();
    const discarded = s.logs.filter((l) => l.event === 'discarded' && l.queueId === id);
    assert.equal(discarded.length, 1, 'one hand-over for the channel');
    assert.deepEqual(discarded[0].rcpts, ['x@discard.test', 'y@discard.test']);
    const [n] = await notices(s, 'alice');
    assert.deepEqual(n.perRecipient.map((r) => r.action), ['delivered', 'delivered']);
    assert.equal(s.sched.size, 0);
  } finally {
    await s.done();
  }
});
