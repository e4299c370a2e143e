// S4 memory: a client streaming far past the size limit costs no memory. With
// maxMessageSize 1 MB and abortOver 200 MB, the first MB goes to the spool, the sink
// is then aborted and the next ~199 MB are only counted, until LMS breaks the
// connection. The server (in this process) must not grow by 50 MB meanwhile.
// Bounded: about 230 MB over loopback, a 60 s ceiling.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { start, USERS } from '../protocol/support.js';
import { stream, spoolFiles, decisions } from './support.js';
import { ehloClient, codes } from '../helpers/smtp-client.js';

const MB = 1024 * 1024;

test('S4 memory stays flat while a client streams 200 MB past the size limit (RSS grows < 50 MB)', { timeout: 60_000 }, async () => {
  const ts = await start({ limits: { maxMessageSize: MB, largeMessageSafety: { abortOver: 200 * MB } } });
  const { c } = await ehloClient(ts.ports.mx);
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    // Warm-up on the same path (S1: 30 MB read to its end and refused), so the allocator's
    // and the garbage collector's one-time growth is not taken for accumulation.
    c.write(`MAIL FROM:<warmup@client.test>\r\nRCPT TO:<${USERS.alice.address}>\r\nDATA\r\n`);
    assert.deepEqual((await c.replies(3)).map(codes), ['250 2.1.0', '250 2.1.5', '354 -']);
    await stream(c, 30 * MB, 30_000);
    c.write('\r\n.\r\n');
    assert.equal(codes(await c.reply(10_000)), '552 5.3.4');
    c.write(`MAIL FROM:<streamer@client.test>\r\nRCPT TO:<${USERS.alice.address}>\r\n`);
    assert.deepEqual((await c.replies(2)).map(codes), ['250 2.1.0', '250 2.1.5']);
    assert.equal((await c.cmd('DATA')).code, 354);
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage().rss;
    peak = before;
    const t0 = Date.now();
    const r = await stream(c, 260 * MB, 50_000);
    await c.waitClosed(5000);
    const ms = Date.now() - t0;
    peak = Math.max(peak, process.memoryUsage().rss);
    const grew = (peak - before) / MB;
    assert.ok(r.cut, 'the connection was broken at abortOver');
    const d = decisions(ts, 'data.largeMessageSafety');
    assert.equal(d.length, 1);
    assert.ok(Number(d[0].bytes) > 200 * MB);
    assert.deepEqual(await spoolFiles(ts), [], 'nothing on disk');
    // Visible in the test output (--test-reporter=spec) for the record.
    console.log(`# lms-memory: ${(r.sent / MB).toFixed(0)} MB sent in ${ms} ms; server+client RSS ${(before / MB).toFixed(0)} MB -> peak ${(peak / MB).toFixed(0)} MB (+${grew.toFixed(1)} MB)`);
    assert.ok(grew < 50, `RSS grew by ${grew.toFixed(1)} MB`);
  } finally {
    clearInterval(sampler);
    c.close();
    await ts.stop();
  }
});
