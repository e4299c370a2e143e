// Q2 memory stays flat with queue length: 10 000 waiting messages hold no
// message bodies and one timer (plus the one-second poll), not one timer each;
// new messages' in-memory copies stay under the 32 MiB cap and are dropped after
// their first attempt.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { setupScheduler } from '../../src/scheduler/test-support.js';
import { encodePreamble, encodeTrailer } from '../../src/spool/queue-file.js';
import { newQueueId } from '../../src/spool/queue-id.js';
import type { SpoolEnvelope } from '../../src/core/submission.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const N = 10_000;

test('Q2 10 000 deferred messages: no bodies, one timer, small heap per message', { timeout: 120_000 }, async () => {
  const body = Buffer.from(`Subject: waiting\r\n\r\n${'x'.repeat(5000)}\r\n`);
  const now = 1_000_000; // the fake clock's start
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const s = await setupScheduler(
    { delivery: { retryMs: [3_600_000] } },
    {
      before: (root) => {
        // A queue left by a previous run: every message deferred, due in an hour.
        mkdirSync(join(root, 'queue'), { recursive: true });
        const lines: string[] = [];
        for (let i = 0; i < N; i++) {
          const id = newQueueId(now - 60_000 + i);
          const env: SpoolEnvelope = { mailFrom: 's@remote.test', rcpts: [{ address: `u${i}@far.test` }], params: { smtputf8: false }, client: { ip: '192.0.2.1', listener: 'mx' }, sessionId: 's', receivedAt: now - 60_000 };
          writeFileSync(join(root, 'queue', id), Buffer.concat([encodePreamble(env), body, encodeTrailer(body.length, 0)]));
          lines.push(JSON.stringify({ t: 'leg', id, rcpt: 0, addr: `u${i}@far.test`, ch: 'smtp', outcome: 'deferred', status: '4.4.1', diag: 'connection timed out', at: now - 1000, next: now + 3_600_000, tries: 1 }));
        }
        writeFileSync(join(root, 'journal'), lines.join('\n') + '\n');
      },
    },
  );
  try {
    gc();
    const perMessage = (process.memoryUsage().heapUsed - heapBefore) / N;
    const st = s.sched.stats();
    assert.equal(st.entries, N);
    assert.equal(st.waiting, N);
    assert.equal(st.heap, N);
    assert.equal(st.memBytes, 0, 'no message bytes held');
    assert.equal(st.timerArmed, true);
    assert.equal(s.clock.timers.filter((t) => t.live).length, 2, 'one wake-up timer and the one-second poll');
    assert.ok(perMessage < body.length / 2, `heap per waiting message ${Math.round(perMessage)} octets`);
  } finally {
    await s.done();
  }
});

test('Q2 new messages held in memory stay under the 32 MiB cap and are dropped after the first attempt', { timeout: 120_000 }, async () => {
  const s = await setupScheduler({ delivery: { hold: true } });
  try {
    // Under the spool's 64 KiB flush size, so each commit hands its bytes over in memory.
    const mb = Buffer.concat([Buffer.from('Subject: small\r\n\r\n'), Buffer.alloc(50_000, 'a'), Buffer.from('\r\n')]);
    for (let i = 0; i < 700; i += 50) await Promise.all(Array.from({ length: 50 }, () => s.queue(['alice@example.test'], { body: mb })));
    const held = s.sched.stats().memBytes;
    assert.ok(held > 30 * 1024 * 1024 && held <= 32 * 1024 * 1024, `memBytes ${held} (700 messages offered ${700 * mb.length})`);
    s.sched.setConfig({ ...s.config, delivery: { ...s.config.delivery, hold: false } });
    await s.run();
    assert.equal(s.mailbox('alice').length, 700);
    assert.ok(s.mailbox('alice').every((m) => m.endsWith(mb.toString('latin1'))), 'copies from memory and from the file are the same');
    assert.equal(s.sched.stats().memBytes, 0);
  } finally {
    await s.done();
  }
});
