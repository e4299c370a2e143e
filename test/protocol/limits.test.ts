// P4 with a raw socket: command line length, the early-talker test, per-state
// timeouts, and connection limits (overall and per client IP); plus how a server
// stop treats an idle session.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { start, listeners, sleep, within, USERS } from './support.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;

describe('P4 limits and timeouts', { timeout: 60_000 }, () => {
  test('P4 a command line over 512 octets gets 500 5.5.2 and the session goes on; 512 is fine', async () => {
    const ts = await start();
    const c = await SmtpClient.connect(ts.ports.mx);
    try {
      await c.reply();
      await c.cmd('EHLO long.client.test');
      // 512 octets including CRLF: accepted.
      assert.equal(codes(await c.cmd('NOOP ' + 'x'.repeat(512 - 7))), '250 2.0.0');
      // 513 octets: refused.
      assert.equal(codes(await c.cmd('NOOP ' + 'x'.repeat(513 - 7))), '500 5.5.2');
      // Far past the read buffer (20 KB in one line): one refusal, and the line is not executed.
      assert.equal(codes(await c.cmd(`MAIL FROM:<${'a'.repeat(20000)}@client.test>`)), '500 5.5.2');
      assert.equal(codes(await c.cmd('RCPT TO:<alice@example.test>')), '503 5.5.1');
      // The session still works.
      c.write(`MAIL FROM:<sender@client.test>\r\nRCPT TO:<${ALICE}>\r\nDATA\r\n`);
      assert.deepEqual((await c.replies(3)).map(codes), ['250 2.1.0', '250 2.1.5', '354 -']);
      c.write('Subject: after long lines\r\n\r\nok\r\n.\r\n');
      assert.equal(codes(await c.reply()), '250 2.0.0');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P4 early talker: EHLO before the banner gets 554 5.5.1 and is disconnected; a polite client gets 220', async () => {
    const ts = await start({ listeners: listeners({ mx: { pregreetWaitMs: 300 } }) });
    const rude = await SmtpClient.connect(ts.ports.mx);
    const polite = await SmtpClient.connect(ts.ports.mx);
    try {
      const t0 = Date.now();
      rude.send('EHLO rude.client.test');
      const r = await rude.reply();
      assert.equal(codes(r), '554 5.5.1');
      await rude.waitClosed();
      const banner = await polite.reply();
      assert.equal(banner.code, 220);
      assert.ok(Date.now() - t0 >= 250, 'the banner waits pregreetWaitMs');
      assert.equal((await polite.cmd('EHLO polite.client.test')).code, 250);
      assert.ok(ts.logs.some((l) => l.check === 'connect.pregreet' && l.code === 554), 'decision is logged');
    } finally {
      rude.close();
      polite.close();
      await ts.stop();
    }
  });

  test('P4 command timeout: an idle client gets 421 4.4.2 and is closed (before and after EHLO)', async () => {
    const ts = await start({ timeouts: { commandMs: 300 } });
    const a = await SmtpClient.connect(ts.ports.mx);
    const b = await SmtpClient.connect(ts.ports.mx);
    try {
      assert.equal((await a.reply()).code, 220);
      assert.equal((await b.reply()).code, 220);
      assert.equal((await b.cmd('EHLO idle.client.test')).code, 250);
      for (const c of [a, b]) {
        const r = await c.reply(3000);
        assert.equal(codes(r), '421 4.4.2');
        await c.waitClosed(3000);
      }
    } finally {
      a.close();
      b.close();
      await ts.stop();
    }
  });

  test('P4 data block timeout: a client that stops sending inside DATA gets 421 4.4.2, nothing is delivered', async () => {
    const ts = await start({ timeouts: { dataBlockMs: 300 } });
    const c = await SmtpClient.connect(ts.ports.mx);
    try {
      await c.reply();
      await c.cmd('EHLO slow.client.test');
      c.write(`MAIL FROM:<sender@client.test>\r\nRCPT TO:<${ALICE}>\r\nDATA\r\n`);
      assert.deepEqual((await c.replies(3)).map(codes), ['250 2.1.0', '250 2.1.5', '354 -']);
      c.write('Subject: half\r\n\r\nhalf a mess');
      assert.equal(codes(await c.reply(3000)), '421 4.4.2');
      await c.waitClosed(3000);
      await within(ts.delivered(), 5000, 'delivery');
      assert.equal(ts.maildir(ALICE).length, 0);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P4 TLS handshake timeout: a silent client on submissions is closed and frees its slot', async () => {
    const ts = await start({ timeouts: { tlsHandshakeMs: 300 }, limits: { maxConnectionsPerIp: 1 } });
    const c = await SmtpClient.connect(ts.ports.submissions); // plain TCP: never says ClientHello
    try {
      await c.waitClosed(3000);
      assert.equal(c.pending, '');
      // The slot is free again: a plain connection on mx is greeted.
      const d = await SmtpClient.connect(ts.ports.mx);
      try {
        assert.equal((await d.reply()).code, 220);
      } finally {
        d.close();
      }
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P4 a client that disconnects in the middle of DATA leaves nothing queued or delivered', async () => {
    const ts = await start();
    const c = await SmtpClient.connect(ts.ports.mx);
    try {
      await c.reply();
      await c.cmd('EHLO gone.client.test');
      c.write(`MAIL FROM:<sender@client.test>\r\nRCPT TO:<${ALICE}>\r\nDATA\r\n`);
      assert.deepEqual((await c.replies(3)).map(codes), ['250 2.1.0', '250 2.1.5', '354 -']);
      c.write('Subject: cut\r\n\r\n' + 'x'.repeat(200_000) + '\r\n.');
      await sleep(100);
      c.close();
      await within(
        (async () => {
          while (!ts.logs.some((l) => l.event === 'connection' && l.close === 'client disconnected in data')) await sleep(20);
        })(),
        3000,
        'session end',
      );
      await within(ts.delivered(), 5000, 'delivery');
      assert.equal(ts.maildir(ALICE).length, 0);
      assert.deepEqual(readdirSync(ts.server.spool.incomingDir), []);
      assert.deepEqual(readdirSync(ts.server.spool.queueDir), []);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P4 a client that never reads its replies is not buffered without bound: it is timed out while still sending', async () => {
    const ts = await start({ timeouts: { commandMs: 300 } });
    const c = await SmtpClient.connect(ts.ports.mx);
    try {
      await c.reply();
      c.socket.pause(); // never read: EHLO replies are ~6 times the size of the commands
      const chunk = Buffer.from('EHLO flood.client.test\r\n'.repeat(4000));
      const ended = () => ts.logs.find((l) => l.event === 'connection');
      const t0 = Date.now();
      while (!ended() && Date.now() - t0 < 6000) {
        if (!c.socket.write(chunk)) await Promise.race([new Promise((r) => c.socket.once('drain', r)), sleep(50)]);
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(ended()?.close, 'timeout', 'the server stopped reading and timed the client out');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P4 maxConnectionsPerIp: 2 -> the third connection gets 421 4.7.0 and is closed; a freed slot is reusable', async () => {
    const ts = await start({ limits: { maxConnectionsPerIp: 2 } });
    const open: SmtpClient[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const c = await SmtpClient.connect(ts.ports.mx);
        open.push(c);
        assert.equal((await c.reply()).code, 220);
      }
      // The limit spans listeners: submission counts too.
      const third = await SmtpClient.connect(ts.ports.submission);
      open.push(third);
      assert.equal(codes(await third.reply()), '421 4.7.0');
      await third.waitClosed();
      // QUIT on one frees its slot.
      assert.equal(codes(await open[0].cmd('QUIT')), '221 2.0.0');
      await open[0].waitClosed();
      // The slot is released right after the session's closing log line.
      await within(
        (async () => {
          while (!ts.logs.some((l) => l.event === 'connection' && l.close === 'quit')) await sleep(10);
        })(),
        3000,
        'session end',
      );
      await sleep(20);
      const again = await SmtpClient.connect(ts.ports.mx);
      open.push(again);
      assert.equal((await again.reply()).code, 220);
    } finally {
      open.forEach((c) => c.close());
      await ts.stop();
    }
  });

  test('P4 a refused connection (421 4.7.0) is dropped after a short grace even if the client never closes', async () => {
    const ts = await start({ limits: { maxConnectionsPerIp: 1 } });
    const first = await SmtpClient.connect(ts.ports.mx);
    // allowHalfOpen: this client keeps its side open after the server's FIN.
    const refused = await SmtpClient.connect(ts.ports.mx, { allowHalfOpen: true });
    try {
      assert.equal((await first.reply()).code, 220);
      assert.equal(codes(await refused.reply()), '421 4.7.0');
      await sleep(2500);
      // The server has let go of the socket: data now gets a reset, and the next write fails.
      refused.write('QUIT\r\n');
      await sleep(200);
      refused.write('QUIT\r\n');
      await refused.waitClosed(3000);
    } finally {
      first.close();
      refused.close();
      await ts.stop();
    }
  });

  test('P4 maxConnections: 2 over all client IPs -> the third gets 421 4.7.0', async () => {
    const ts = await start({ limits: { maxConnections: 2, maxConnectionsPerIp: 10 } });
    const open: SmtpClient[] = [];
    try {
      // Different loopback source addresses, so only the overall limit can be hit.
      for (const src of ['127.0.0.1', '127.0.0.2']) {
        const c = await SmtpClient.connect(ts.ports.mx, { localAddress: src });
        open.push(c);
        assert.equal((await c.reply()).code, 220);
      }
      const third = await SmtpClient.connect(ts.ports.mx, { localAddress: '127.0.0.3' });
      open.push(third);
      assert.equal(codes(await third.reply()), '421 4.7.0');
      await third.waitClosed();
      assert.ok(ts.logs.some((l) => l.check === 'connect.maxConnections' && l.reason === 'total'), 'logged as the overall limit');
    } finally {
      open.forEach((c) => c.close());
      await ts.stop();
    }
  });

  test('P4 server stop: an idle session gets 421 4.3.2 at once, without waiting for the shutdown deadline', async () => {
    const ts = await start({ timeouts: { shutdownMs: 10000 } });
    const c = await SmtpClient.connect(ts.ports.mx);
    let stopped = false;
    try {
      await c.reply();
      await c.cmd('EHLO idle.client.test');
      const t0 = Date.now();
      await within(ts.stop(), 5000, 'stop');
      stopped = true;
      assert.ok(Date.now() - t0 < 2000, `stop took ${Date.now() - t0} ms`);
      assert.equal(codes(await c.reply()), '421 4.3.2');
      await c.waitClosed();
    } finally {
      c.close();
      if (!stopped) await ts.stop();
    }
  });
});
