import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from './spool.js';
import { readQueueFile } from './queue-file.js';
import { QUEUE_ID, newQueueId } from './queue-id.js';
import type { SpoolEnvelope } from '../core/submission.js';

const ENV: SpoolEnvelope = {
  mailFrom: 'a@remote.test',
  rcpts: [{ address: 'alice@example.test', notify: ['FAILURE'] }],
  params: { smtputf8: false, size: 10 },
  client: { ip: '127.0.0.1', helo: 'c.test', listener: 'mx' },
  sessionId: 's1',
  receivedAt: 1,
};

function tempSpool(): { spool: Spool; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'rampart-spool-'));
  return { spool: new Spool(root), root };
}

test('P5 commit writes envelope + message into queue/ and announces the id', async () => {
  const { spool, root } = tempSpool();
  try {
    await spool.open();
    const seen: string[] = [];
    spool.onQueued = (id) => seen.push(id);
    const sink = await spool.begin(ENV);
    assert.match(sink.id, QUEUE_ID);
    await sink.write(Buffer.from('Subject: x\r\n\r\n'));
    await sink.write(Buffer.from('body\r\n'));
    await sink.commit();
    assert.deepEqual(seen, [sink.id]);
    assert.deepEqual(readdirSync(join(root, 'incoming')), []);
    const q = await readQueueFile(spool.queuePath(sink.id), sink.id);
    assert.deepEqual(q.envelope, ENV);
    assert.equal(q.size, 'Subject: x\r\n\r\nbody\r\n'.length);
    assert.equal(readFileSync(spool.queuePath(sink.id), 'latin1').slice(q.bodyOffset, q.bodyOffset + q.size), 'Subject: x\r\n\r\nbody\r\n');
  } finally {
    await spool.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('P5 a large message is streamed in pieces and stored byte-exact', async () => {
  const { spool, root } = tempSpool();
  try {
    await spool.open();
    const sink = await spool.begin(ENV);
    const parts: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(`line ${i} ${'x'.repeat(i % 300)}\r\n`);
      parts.push(b);
      const wait = sink.write(b);
      if (wait) await wait;
    }
    await sink.commit();
    const q = await readQueueFile(spool.queuePath(sink.id), sink.id);
    assert.ok(readFileSync(spool.queuePath(sink.id)).subarray(q.bodyOffset, q.bodyOffset + q.size).equals(Buffer.concat(parts)));
  } finally {
    await spool.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('P5 abort leaves nothing on disk, also after a partial flush', async () => {
  const { spool, root } = tempSpool();
  try {
    await spool.open();
    const sink = await spool.begin(ENV);
    await sink.write(Buffer.alloc(200 * 1024, 65));
    assert.equal(readdirSync(join(root, 'incoming')).length, 1);
    await sink.abort();
    assert.deepEqual(readdirSync(join(root, 'incoming')), []);
    assert.deepEqual(readdirSync(join(root, 'queue')), []);
  } finally {
    await spool.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('P5 many concurrent commits all land (directory fsyncs are grouped)', async () => {
  const { spool, root } = tempSpool();
  try {
    await spool.open();
    const ids = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const sink = await spool.begin(ENV);
        await sink.write(Buffer.from(`message ${i}\r\n`));
        await sink.commit();
        return sink.id;
      }),
    );
    assert.equal(new Set(ids).size, 50);
    assert.deepEqual(readdirSync(join(root, 'queue')).sort(), [...ids].sort());
  } finally {
    await spool.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('P5 open() lists queued ids and empties incoming/', async () => {
  const { spool, root } = tempSpool();
  try {
    await spool.open();
    const sink = await spool.begin(ENV);
    await sink.write(Buffer.from('x\r\n'));
    await sink.commit();
    const half = await spool.begin(ENV);
    await half.write(Buffer.alloc(100 * 1024));
    const again = new Spool(root);
    assert.deepEqual(await again.open(), [sink.id]);
    await again.close();
    assert.deepEqual(readdirSync(join(root, 'incoming')), []);
    await half.abort();
  } finally {
    await spool.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('queue ids are unique and sort by time', () => {
  const a = newQueueId(1000);
  const b = newQueueId(2000);
  assert.ok(a < b);
  const many = new Set(Array.from({ length: 10000 }, () => newQueueId(5)));
  assert.equal(many.size, 10000);
});

test('P5 files are recycled: a longer freed file is overwritten and cut to the new message', async () => {
  const { spool, root } = tempSpool();
  try {
    await spool.open();
    const big = await spool.begin(ENV);
    await big.write(Buffer.alloc(100 * 1024, 66));
    await big.commit();
    await spool.remove(big.id, 200 * 1024);
    assert.equal(readdirSync(join(root, 'free')).length, 1);
    const small = await spool.begin(ENV);
    await small.write(Buffer.from('tiny\r\n'));
    await small.commit();
    assert.equal(readdirSync(join(root, 'free')).length, 0, 'the freed file was reused');
    const q = await readQueueFile(spool.queuePath(small.id), small.id);
    assert.equal(readFileSync(spool.queuePath(small.id), 'latin1').slice(q.bodyOffset, q.bodyOffset + q.size), 'tiny\r\n');
    assert.equal(q.fileSize, readFileSync(spool.queuePath(small.id)).length, 'cut to the new message and its trailer');
    assert.equal(q.size, 6);
  } finally {
    await spool.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('P5 commit hands small messages over in memory, large ones by file only', async () => {
  const { spool, root } = tempSpool();
  try {
    await spool.open();
    const seen: Array<{ id: string; body?: Buffer }> = [];
    spool.onQueued = (id, c) => seen.push({ id, body: c?.body });
    const small = await spool.begin(ENV);
    await small.write(Buffer.from('a\r\n'));
    await small.write(Buffer.from('b\r\n'));
    await small.commit();
    const large = await spool.begin(ENV);
    await large.write(Buffer.alloc(70 * 1024, 67));
    await large.commit();
    assert.equal(seen[0].body?.toString(), 'a\r\nb\r\n');
    assert.equal(seen[1].body, undefined);
  } finally {
    await spool.close();
    rmSync(root, { recursive: true, force: true });
  }
});
