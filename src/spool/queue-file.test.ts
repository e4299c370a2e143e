// The queue file format (RQ2: envelope, message, prepend, trailer), the sink's
// read-back stream for end-of-data checks, and openMessage(): the prepend first.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Spool, type Committed } from './spool.js';
import { encodePreamble, messageSize, readQueueFile } from './queue-file.js';
import { openMessage } from './open-message.js';
import type { SpoolEnvelope } from '../core/submission.js';

const ENV: SpoolEnvelope = { mailFrom: 'a@remote.test', rcpts: [{ address: 'alice@example.test' }], params: { smtputf8: false }, client: { ip: '127.0.0.1', listener: 'mx' }, sessionId: 's1', receivedAt: 1 };

async function all(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function withSpool(fn: (spool: Spool, root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'rampart-qf-'));
  const spool = new Spool(root);
  try {
    await spool.open();
    await fn(spool, root);
  } finally {
    await spool.close();
    rmSync(root, { recursive: true, force: true });
  }
}

for (const [label, octets] of [['small (held in memory)', 5000], ['large (flushed to the file)', 300_000]] as const) {
  test(`P5 ${label}: stream() gives the octets so far; commit(prepend) stores the fields; every reader puts them first`, () =>
    withSpool(async (spool) => {
      let committed: Committed | undefined;
      spool.onQueued = (_id, c) => (committed = c);
      const sink = await spool.begin(ENV);
      const body = Buffer.from(('Subject: t\r\n\r\n' + 'z'.repeat(78) + '\r\n').repeat(Math.ceil(octets / 94)));
      for (let i = 0; i < body.length; i += 10_000) await sink.write(body.subarray(i, i + 10_000));
      assert.equal(sink.size, body.length);
      assert.ok((await all(sink.stream())).equals(body), 'stream() before commit');
      assert.ok((await all(sink.stream())).equals(body), 'a second stream() starts over');
      const prepend = Buffer.from('Authentication-Results: x; none\r\n');
      await sink.commit(prepend);
      const q = await readQueueFile(spool.queuePath(sink.id), sink.id);
      assert.equal(q.size, body.length);
      assert.ok(q.prepend.equals(prepend));
      assert.equal(messageSize(q), prepend.length + body.length);
      assert.equal(q.fileSize, readFileSync(spool.queuePath(sink.id)).length);
      assert.equal(committed?.size, body.length);
      assert.ok(committed?.prepend.equals(prepend));
      assert.equal(committed?.body !== undefined, octets < 64 * 1024, 'small messages are handed over in memory');
      const want = Buffer.concat([prepend, body]);
      assert.ok((await all(openMessage({ path: spool.queuePath(sink.id), ...q }))).equals(want), 'openMessage from the file');
      if (committed?.body) assert.ok((await all(openMessage({ path: '/nonexistent', ...committed }))).equals(want), 'openMessage from memory reads no file');
    }));
}

test('P5 a queue file without its trailer is incomplete: readQueueFile refuses it', () =>
  withSpool(async (spool) => {
    const sink = await spool.begin(ENV);
    await sink.write(Buffer.from('Subject: t\r\n\r\nbody\r\n'));
    await sink.commit();
    const path = spool.queuePath(sink.id);
    truncateSync(path, readFileSync(path).length - 5);
    await assert.rejects(readQueueFile(path, sink.id), /incomplete \(bad trailer\)/);
  }));

test('P5 RQ1 files (before the prepend existed) are still read: the message runs to the end of the file', () =>
  withSpool(async (spool, root) => {
    const path = join(root, 'queue', 'OLD');
    const rq1 = Buffer.concat([encodePreamble(ENV)]).toString('latin1').replace(/^RQ2 /, 'RQ1 ');
    writeFileSync(path, rq1 + 'Subject: old\r\n\r\nbody\r\n', 'latin1');
    const q = await readQueueFile(path, 'OLD');
    assert.deepEqual(q.envelope, ENV);
    assert.equal(q.prepend.length, 0);
    assert.equal((await all(openMessage({ path, ...q }))).toString('latin1'), 'Subject: old\r\n\r\nbody\r\n');
  }));

test('openMessage: a queue file shorter than its message is an error, not a short message', async () => {
  const root = mkdtempSync(join(tmpdir(), 'rampart-qf-'));
  try {
    const path = join(root, 'm');
    writeFileSync(path, 'HEADabc');
    await assert.rejects(all(openMessage({ path, bodyOffset: 4, size: 10 })), /shorter than its message/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
