// Q1 alias forwarding through the queue (Postfix local(8)): targets outside our
// domains become a NEW queued message with the same sender and body, NOTIFY and
// ORCPT carried (RFC 3461 6.2.7.4); a message that already went through the alias
// fails with 5.4.6 instead of looping.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readQueueFile } from '../../src/spool/queue-file.js';
import { openMessage } from '../../src/spool/open-message.js';
import { setupScheduler, type Harness } from '../../src/scheduler/test-support.js';
import { dsnOfMaildirFile, parseDsn } from '../helpers/dsn.js';
import { freePort } from '../helpers/process-server.js';

async function queuedOther(s: Harness, except: string[]) {
  const ids = readdirSync(s.spool.queueDir).filter((f) => !except.includes(f));
  return Promise.all(ids.map(async (id) => {
    const q = await readQueueFile(s.spool.queuePath(id), id);
    const chunks: Buffer[] = [];
    for await (const c of openMessage({ path: s.spool.queuePath(id), ...q }) as AsyncIterable<Buffer>) chunks.push(c);
    return { id, env: q.envelope, text: Buffer.concat(chunks).toString('latin1') };
  }));
}

test('Q1 an alias with a remote target: the local member gets it, the remote one a new queued message (same sender, NOTIFY/ORCPT carried)', async () => {
  // The remote domains resolve to loopback, on a port nobody listens on: the copy waits (4.4.1) for inspection.
  const s = await setupScheduler({ channels: { smtp: { port: await freePort() } } });
  try {
    for (const d of ['remote.test', 'elsewhere.test']) s.dns.zone.records[d] = [{ type: 'A', data: '127.0.0.1' }];
    s.dir.addAlias('fwd@example.test', ['alice@example.test', 'friend@remote.test', 'other@elsewhere.test']);
    s.dir.addAlias('solo@example.test', ['solo@remote.test']);
    const id = await s.queue(['fwd@example.test', 'solo@example.test'], { from: 'bob@example.test', notify: ['SUCCESS', 'FAILURE'], body: 'Subject: fw\r\n\r\nbody\r\n' });
    await s.run();
    assert.equal(s.mailbox('alice').length, 1);
    const [copy, ...rest] = await queuedOther(s, [id]);
    assert.equal(rest.length, 0, 'one forwarded copy for all remote targets of the attempt');
    assert.equal(copy.env.mailFrom, 'bob@example.test', 'envelope sender kept');
    assert.equal(copy.env.client.listener, 'internal:forward');
    assert.deepEqual(copy.env.rcpts, [
      { address: 'friend@remote.test', notify: ['FAILURE'], orcpt: 'rfc822;fwd@example.test' },
      { address: 'other@elsewhere.test', notify: ['FAILURE'], orcpt: 'rfc822;fwd@example.test' },
      { address: 'solo@remote.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;solo@example.test' },
    ]);
    assert.equal(copy.text, 'Delivered-To: fwd@example.test\r\nDelivered-To: solo@example.test\r\nSubject: fw\r\n\r\nbody\r\n');
    // SUCCESS asked: delivered for alice, expanded for the list's remote targets, nothing yet for the sole target.
    const n = await parseDsn(dsnOfMaildirFile(s.mailbox('bob')[0]).dsn);
    assert.deepEqual(n.perRecipient.map((r) => [r['final-recipient'], r.action]).sort(), [
      ['rfc822; alice@example.test', 'delivered'],
      ['rfc822; friend@remote.test', 'expanded'],
      ['rfc822; other@elsewhere.test', 'expanded'],
    ]);
    assert.ok(s.logs.some((l) => l.event === 'forwarded' && l.queueId === id && l.newId === copy.id));
    assert.ok(s.logs.some((l) => l.event === 'deferred' && l.queueId === copy.id && l.rcpt === 'friend@remote.test' && l.status === '4.4.1'), 'the copy went to the smtp channel');
    assert.ok(!readdirSync(s.spool.queueDir).includes(id), 'the original is finished');
  } finally {
    await s.done();
  }
});

test('Q1 a forwarding loop (the message already carries Delivered-To: the alias) fails with 5.4.6 and is returned', async () => {
  const s = await setupScheduler();
  try {
    s.dir.addAlias('fwd@example.test', ['friend@remote.test']);
    const id = await s.queue(['fwd@example.test'], { from: 'bob@example.test', body: 'Delivered-To: fwd@example.test\r\nSubject: back again\r\n\r\nbody\r\n' });
    await s.run();
    assert.deepEqual(await queuedOther(s, [id]), [], 'no new copy');
    const n = await parseDsn(dsnOfMaildirFile(s.mailbox('bob')[0]).dsn);
    assert.deepEqual([n.perRecipient[0]['final-recipient'], n.perRecipient[0].action, n.perRecipient[0].status, n.perRecipient[0]['diagnostic-code']], [
      'rfc822; friend@remote.test',
      'failed',
      '5.4.6',
      'X-Rampart; mail forwarding loop for fwd@example.test',
    ]);
  } finally {
    await s.done();
  }
});
