// P5/Q1 the queue file's prepend (header fields the eod stage added, stored behind
// the message) through the scheduler: every delivery emits them first, whether the
// first attempt reads the spool's in-memory copy or a later one the queue file;
// Maildir's S= counts them; and the delivered file is recycled with its real size
// (prepend and trailer included), so the next message that reuses it is cut to
// its own length instead of inheriting the old trailer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readQueueFile } from '../../src/spool/queue-file.js';
import { openMessage } from '../../src/spool/open-message.js';
import { setupScheduler } from '../../src/scheduler/test-support.js';

const FIELDS = 'X-Test-Scan: clean\r\nAuthentication-Results: mx.rampart.test; none\r\n';

async function all(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function maildirSizes(dataDir: string, local: string): Array<{ named: number; actual: number }> {
  const d = join(dataDir, 'mail/example.test', local, 'Maildir/new');
  return readdirSync(d).map((f) => ({ named: Number(/,S=(\d+)/.exec(f)![1]), actual: statSync(join(d, f)).size }));
}

test('Q1 fields added at end of data go first into Maildir, from memory and (after a restart) from the queue file; S= counts them', async () => {
  const s = await setupScheduler({ delivery: { hold: true } });
  try {
    await s.queue(['alice@example.test'], { body: 'Subject: from the file\r\n\r\nbody one\r\n', prepend: FIELDS });
    await s.restart(); // the in-memory copy is gone: the attempt reads the queue file
    s.sched.setConfig({ ...s.config, delivery: { ...s.config.delivery, hold: false } });
    await s.run();
    await s.queue(['bob@example.test'], { body: 'Subject: from memory\r\n\r\nbody two\r\n', prepend: FIELDS });
    await s.run();
    const head = (to: string) => `Return-Path: <s@remote.test>\r\nDelivered-To: ${to}\r\n${FIELDS}`;
    assert.deepEqual(s.mailbox('alice'), [`${head('alice@example.test')}Subject: from the file\r\n\r\nbody one\r\n`]);
    assert.deepEqual(s.mailbox('bob'), [`${head('bob@example.test')}Subject: from memory\r\n\r\nbody two\r\n`]);
    for (const local of ['alice', 'bob']) for (const { named, actual } of maildirSizes(s.dataDir, local)) assert.equal(named, actual, `${local}: S= is the file size`);
  } finally {
    await s.done();
  }
});

test('P5 a delivered file with a prepend is recycled with its whole size: the next message reusing it is cut to its own length', async () => {
  const s = await setupScheduler();
  try {
    // A: 1000 octets + a 500-octet prepend. B: 1200 octets, no prepend - longer than A's
    // message, shorter than A's file. Recycled with A's message size only, B's file would
    // not be cut and would end with A's trailer.
    const line = (c: string) => `${c.repeat(48)}\r\n`;
    const bodyA = `Subject: a\r\n\r\n${line('a').repeat(20)}`.padEnd(1000, 'a');
    const prepend = `X-Long: ${'p'.repeat(490)}\r\n`;
    assert.equal(prepend.length, 500);
    await s.queue(['alice@example.test'], { body: bodyA, prepend });
    await s.run();
    assert.equal(s.mailbox('alice').length, 1);
    assert.equal(readdirSync(join(s.spool.root, 'free')).length, 1, "A's file is in the free pool");

    s.sched.setConfig({ ...s.config, delivery: { ...s.config.delivery, hold: true } });
    const bodyB = `Subject: b\r\n\r\n${line('b').repeat(23)}`.padEnd(1200, 'b');
    const id = await s.queue(['bob@example.test'], { body: bodyB });
    assert.equal(readdirSync(join(s.spool.root, 'free')).length, 0, "B reused A's file");
    const path = s.spool.queuePath(id);
    const q = await readQueueFile(path, id);
    assert.deepEqual([q.size, q.prepend.length, q.fileSize], [1200, 0, statSync(path).size]);
    assert.equal((await all(openMessage({ path, ...q }))).toString('latin1'), bodyB);

    s.sched.setConfig(s.config);
    await s.run();
    assert.deepEqual(s.mailbox('bob'), [`Return-Path: <s@remote.test>\r\nDelivered-To: bob@example.test\r\n${bodyB}`]);
  } finally {
    await s.done();
  }
});
