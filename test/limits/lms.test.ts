// S4 Large Message Safety with real sockets on loopback: a message streamed past
// abortOver breaks the connection at once and leaves nothing on disk; the same
// client offering the same HELO/MAIL/RCPT again is refused permanently before any
// content is read (DATA and BDAT); another envelope, an exception sender, or the
// switch turned off are not aborted. The same against Redis, across two nodes.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, within, mailbox, type TestServer, USERS } from '../protocol/support.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import type { AbuseEvent } from '../../src/policy/abuse.js';
import { stream, spoolFiles, decisions, message } from './support.js';
import { SmtpClient, ehloClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;
const BOB = USERS.bob.address;
const LIMIT = 100_000; // abortOver defaults to 3 x: 300 000

const lmsLimits = (extra: Record<string, unknown> = {}) => ({
  limits: { maxMessageSize: LIMIT, largeMessageSafety: { exceptions: ['*@partner.test'], ...extra } },
});

/** EHLO, MAIL, RCPT(s), DATA -> 354. */
async function openData(port: number, o: { helo?: string; from?: string; rcpts?: string[]; localAddress?: string } = {}): Promise<SmtpClient> {
  const { c } = await ehloClient(port, o.helo ?? 'client.test', { localAddress: o.localAddress });
  const rcpts = o.rcpts ?? [ALICE];
  c.write(`MAIL FROM:<${o.from ?? 'sender@client.test'}>\r\n` + rcpts.map((r) => `RCPT TO:<${r}>\r\n`).join(''));
  const got = await c.replies(1 + rcpts.length);
  assert.deepEqual(got.map(codes), ['250 2.1.0', ...rcpts.map(() => '250 2.1.5')]);
  return c;
}

/** Trips LMS: DATA, then up to 100 MB as fast as possible until the server cuts; returns how much was sent. */
async function trip(port: number, o: Parameters<typeof openData>[1] = {}): Promise<{ sent: number; ms: number }> {
  const c = await openData(port, o);
  try {
    assert.equal((await c.cmd('DATA')).code, 354);
    const t0 = Date.now();
    const r = await stream(c, 100_000_000, 10000); // far more than socket buffers can hold
    await c.waitClosed(3000);
    assert.ok(r.cut || c.closed, 'the server closed the connection');
    return { sent: r.sent, ms: Date.now() - t0 };
  } finally {
    c.close();
  }
}

async function assertRefusedAtData(port: number, o: Parameters<typeof openData>[1] = {}): Promise<void> {
  const c = await openData(port, o);
  try {
    const r = await c.cmd('DATA');
    assert.equal(codes(r), '554 5.3.4', 'permanent refusal instead of 354: no content is read');
    await c.waitClosed(3000);
  } finally {
    c.close();
  }
}

async function assertAccepted(port: number, o: Parameters<typeof openData>[1] = {}): Promise<void> {
  const c = await openData(port, o);
  try {
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write(Buffer.concat([message(500, 'small'), Buffer.from('.\r\n')]));
    assert.equal(codes(await c.reply()), '250 2.0.0');
  } finally {
    c.close();
  }
}

function lmsSuite(name: string, redis: boolean) {
  describe(name, { timeout: 90_000 }, () => {
    let r: TestRedis | undefined;
    let ts: TestServer;
    const events: AbuseEvent[] = [];
    before(async () => {
      if (redis) r = await startRedis();
      ts = await start({ ...lmsLimits(), ...(r ? { state: { redis: r.url, prefix: `lms-${Date.now()}:` } } : {}) });
      ts.server.abuse.subscribe((e) => void events.push(e));
    });
    after(async () => {
      await ts?.stop();
      await r?.stop();
    });

    test('S4 a DATA stream past abortOver closes the connection at once; nothing in spool or mailbox; logged and reported', async () => {
      const { sent, ms } = await trip(ts.ports.mx);
      assert.ok(sent < 100_000_000, `the client could not send everything (${sent})`);
      assert.ok(ms < 3000, `closed quickly (${ms} ms)`);
      assert.deepEqual(await spoolFiles(ts), [], 'spool/incoming and spool/queue are empty');
      assert.equal((await mailbox(ts, ALICE)).length, 0);
      const d = decisions(ts, 'data.largeMessageSafety');
      assert.equal(d.length, 1);
      assert.equal(d[0].feature, 'S4');
      assert.equal(d[0].action, 'drop');
      assert.ok(Number(d[0].bytes) > 300_000, `counted past abortOver: ${d[0].bytes}`);
      assert.deepEqual(
        events.map((e) => [e.kind, e.feature, e.ip, e.trusted]),
        [['large-message', 'S4', '127.0.0.1', false]],
      );
      const conn = ts.logs.find((l) => l.event === 'connection' && l.close === 'large message safety');
      assert.ok(conn, 'the connection log names why it closed');
      const metrics = await ts.server.metrics.text();
      assert.match(metrics, /^rampart_abuse_events_total\{kind="large-message",feature="S4"\} 1$/m, 'the LMS abort is counted for Prometheus');
      assert.match(metrics, /^rampart_decisions_total\{[^}]*check="data\.largeMessageSafety"[^}]*action="drop"[^}]*\} 1$/m);
    });

    test('S4 the same client offering the same envelope again is refused 554 5.3.4 at DATA, before any content', async () => {
      await assertRefusedAtData(ts.ports.mx);
      const d = decisions(ts, 'data.largeMessageSafety').filter((l) => l.code === 554);
      assert.equal(d.length, 1);
      assert.equal(d[0].feature, 'S4');
      assert.equal(d[0].enhanced, '5.3.4');
    });

    test('S4 the same envelope through BDAT is refused at the first BDAT; the chunk is never read', async () => {
      const c = await openData(ts.ports.mx);
      try {
        // A 100 MB chunk announced, 64 KB of it sent: the refusal comes without the rest.
        c.write(Buffer.concat([Buffer.from('BDAT 100000000 LAST\r\n'), message(65536, 'chunk')]));
        assert.equal(codes(await c.reply()), '554 5.3.4');
        await c.waitClosed(7000);
      } finally {
        c.close();
      }
    });

    test('S4 another RCPT list, another HELO or another MAIL argument is a different key: accepted', async () => {
      await assertAccepted(ts.ports.mx, { rcpts: [ALICE, BOB] });
      await assertAccepted(ts.ports.mx, { helo: 'other.client.test' });
      await assertAccepted(ts.ports.mx, { from: 'other@client.test' });
      assert.equal((await mailbox(ts, ALICE, 3)).length, 3, 'all three delivered');
    });

    test('S4 an exception sender (wildcard, any case) is never aborted: read to its end, then S1 552 5.3.4, session goes on', async () => {
      const c = await openData(ts.ports.mx, { from: 'Big.Sender@PARTNER.test' });
      try {
        assert.equal((await c.cmd('DATA')).code, 354);
        const r = await stream(c, 1_000_000);
        assert.equal(r.cut, false);
        c.write('\r\n.\r\n');
        assert.equal(codes(await c.reply(10000)), '552 5.3.4');
        assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0');
      } finally {
        c.close();
      }
      assert.deepEqual(await spoolFiles(ts), []);
    });

    test('S4 BDAT streamed past abortOver breaks the connection too', async () => {
      const c = await openData(ts.ports.mx, { rcpts: [BOB] });
      try {
        c.write('BDAT 2000000 LAST\r\n');
        const r = await stream(c, 2_000_000, 10000);
        await c.waitClosed(3000);
        assert.ok(r.cut || c.closed);
      } finally {
        c.close();
      }
      assert.deepEqual(await spoolFiles(ts), []);
      await assertRefusedAtData(ts.ports.mx, { rcpts: [BOB] });
    });
  });
}

lmsSuite('S4 Large Message Safety (embedded store)', false);
lmsSuite('S4 Large Message Safety (Redis store)', true);

describe('S4 across nodes and switches', { timeout: 90_000 }, () => {
  test('S4 keyParts: by default (the Mailtraq key, HELO + MAIL + RCPT) a second client address offering the same message is refused; with ip in the key it is not', async () => {
    const seed = await start(lmsLimits());
    try {
      await trip(seed.ports.mx, { localAddress: '127.0.0.1' });
      await assertRefusedAtData(seed.ports.mx, { localAddress: '127.0.0.2' });
      const d = decisions(seed, 'data.largeMessageSafety');
      assert.deepEqual(d.map((l) => [l.client, l.code]), [['127.0.0.1', 421], ['127.0.0.2', 554]]);
      await assertAccepted(seed.ports.mx, { localAddress: '127.0.0.2', helo: 'other.client.test' }); // another HELO is another key
    } finally {
      await seed.stop();
    }
    const withIp = await start(lmsLimits({ keyParts: ['ip', 'helo', 'mail', 'rcpt'] }));
    try {
      await trip(withIp.ports.mx, { localAddress: '127.0.0.1' });
      await assertAccepted(withIp.ports.mx, { localAddress: '127.0.0.2' });
      await assertRefusedAtData(withIp.ports.mx, { localAddress: '127.0.0.1' });
    } finally {
      await withIp.stop();
    }
  });

  test('C1/S4 two nodes sharing one Redis: tripped on one, refused on the other', async () => {
    const r = await startRedis();
    const prefix = `lms-pair-${Date.now()}:`;
    const a = await start({ ...lmsLimits(), state: { redis: r.url, prefix } });
    const b = await start({ ...lmsLimits(), state: { redis: r.url, prefix } });
    try {
      await trip(a.ports.mx, { rcpts: [ALICE] });
      await assertRefusedAtData(b.ports.mx, { rcpts: [ALICE] });
      await assertAccepted(b.ports.mx, { rcpts: [BOB] });
    } finally {
      await a.stop();
      await b.stop();
      await r.stop();
    }
  });

  test('S4 switched off: the message is read to its end and refused 552 5.3.4 (S1); the retry is not refused', async () => {
    const ts = await start(lmsLimits({ enabled: false }));
    try {
      for (let i = 0; i < 2; i++) {
        const c = await openData(ts.ports.mx);
        try {
          assert.equal((await c.cmd('DATA')).code, 354);
          const r = await stream(c, 1_000_000);
          assert.equal(r.cut, false);
          c.write('\r\n.\r\n');
          assert.equal(codes(await c.reply(10000)), '552 5.3.4');
        } finally {
          c.close();
        }
      }
      assert.equal(decisions(ts, 'data.largeMessageSafety').length, 0);
      assert.deepEqual(await spoolFiles(ts), []);
    } finally {
      await ts.stop();
    }
  });

  test('S4 per listener: abortOver of one listener, switched off on another', async () => {
    const ts = await start({
      limits: { maxMessageSize: LIMIT },
      listeners: [
        { name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0, largeMessageSafety: { abortOver: 150_000 } },
        { name: 'mx2', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0, largeMessageSafety: { enabled: false } },
      ],
    });
    try {
      const { sent } = await trip(ts.ports.mx);
      assert.ok(sent >= 150_000);
      const d = decisions(ts, 'data.largeMessageSafety');
      assert.equal(d.length, 1);
      assert.ok(Number(d[0].bytes) > 150_000 && Number(d[0].bytes) < 300_000, `tripped at the listener's abortOver: ${d[0].bytes}`);
      const c = await openData(ts.ports.mx2, { rcpts: [BOB] });
      try {
        assert.equal((await c.cmd('DATA')).code, 354);
        assert.equal((await stream(c, 1_000_000)).cut, false);
        c.write('\r\n.\r\n');
        assert.equal(codes(await within(c.reply(10000), 12000, 'reply')), '552 5.3.4');
      } finally {
        c.close();
      }
    } finally {
      await ts.stop();
    }
  });
});

describe('S4 default threshold follows the sender limit', { timeout: 60_000 }, () => {
  test('S4 a sender domain allowed 400 KB is aborted only past 3 x 400 KB (not 3 x the global 100 KB); with abortOver configured, that value holds', async () => {
    const ts = await start(lmsLimits());
    try {
      ts.server.directory.limits.set('bigger.test', { maxMessageSize: 400_000 });
      const c = await openData(ts.ports.mx, { from: 'x@bigger.test' });
      try {
        assert.equal((await c.cmd('DATA')).code, 354);
        assert.equal((await stream(c, 1_000_000)).cut, false, 'not aborted at 300 KB');
        c.write('\r\n.\r\n');
        assert.equal(codes(await c.reply(10000)), '552 5.3.4');
      } finally {
        c.close();
      }
      const { sent } = await trip(ts.ports.mx, { from: 'x@bigger.test', rcpts: [BOB] });
      const d = decisions(ts, 'data.largeMessageSafety');
      assert.equal(d.length, 1);
      assert.ok(Number(d[0].bytes) > 1_200_000 && sent > 1_200_000, `tripped past 1.2 MB: ${d[0].bytes}`);
    } finally {
      await ts.stop();
    }
    const fixed = await start(lmsLimits({ abortOver: 300_000 }));
    try {
      fixed.server.directory.limits.set('bigger.test', { maxMessageSize: 400_000 });
      await trip(fixed.ports.mx, { from: 'x@bigger.test' });
      const d = decisions(fixed, 'data.largeMessageSafety');
      assert.ok(Number(d[0].bytes) > 300_000 && Number(d[0].bytes) < 1_200_000, `configured abortOver is absolute: ${d[0].bytes}`);
    } finally {
      await fixed.stop();
    }
  });
});
