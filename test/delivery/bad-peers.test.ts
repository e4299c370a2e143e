// Q2 peers that misbehave: garbage, a 10 MB reply line, silence, a drop in the
// middle of DATA, no answer after the data, a peer that stops reading, a queued
// message that cannot be read. Each gives a temporary failure with a clear
// reason, within its timeout, and frees its connection slot.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Readable } from 'node:stream';
import { harness, channel, message, rcpts, summary, type Harness } from './support.js';
import { startPeer } from '../helpers/smtp-peer.js';

const zone = {
  records: {
    'dest.test': [{ type: 'MX' as const, data: { preference: 10, exchange: 'mx.dest.test' } }],
    'mx.dest.test': [{ type: 'A' as const, data: '127.0.0.1' }],
  },
};

/** A raw peer that writes `what` on connect and keeps the socket open. */
async function rawPeer(what: (s: net.Socket) => void): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    what(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('Q2 misbehaving peers', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await harness(zone, { timeouts: { greetingMs: 1000, heloMs: 1000, mailMs: 1000, rcptMs: 1000, dataInitMs: 1000, dataBlockMs: 1000, dataDoneMs: 1000 } });
  });
  after(async () => {
    await h.stop();
  });

  test('Q2 garbage instead of a greeting: deferred 4.5.0, protocol error named', async () => {
    const p = await rawPeer((s) => s.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
    try {
      const res = await h.transport.deliver(message(), rcpts('a@dest.test'), channel({ port: p.port }));
      assert.deepEqual(summary(res), ['deferred 4.5.0']);
      assert.match(res[0].diagnostic, /protocol error: unparsable reply "HTTP\/1\.1 400 Bad Request"/);
    } finally {
      await p.stop();
    }
  });

  test('Q2 a 10 MB reply line: deferred 4.5.0 after a few kilobytes, memory stays flat', async () => {
    const line = Buffer.alloc(10 * 1024 * 1024, 'x');
    let written = 0;
    const p = await rawPeer((s) => {
      s.write('220-');
      const pump = () => {
        while (written < line.length && !s.destroyed) {
          const n = 64 * 1024;
          const ok = s.write(line.subarray(written, written + n));
          written += n;
          if (!ok) return void s.once('drain', pump);
        }
      };
      pump();
    });
    try {
      const heap = process.memoryUsage().heapUsed;
      const t0 = Date.now();
      const res = await h.transport.deliver(message(), rcpts('a@dest.test'), channel({ port: p.port }));
      assert.deepEqual(summary(res), ['deferred 4.5.0']);
      assert.match(res[0].diagnostic, /reply line longer than 4096 bytes/);
      assert.ok(Date.now() - t0 < 5000, 'no waiting for the whole line');
      assert.ok(written < line.length, `the peer could not push all 10 MB (${written})`);
      assert.ok(process.memoryUsage().heapUsed - heap < 8 * 1024 * 1024, 'the line was not buffered');
    } finally {
      await p.stop();
    }
  });

  test('Q2 a peer that never greets: deferred 4.4.2 after the greeting timeout', async () => {
    const p = await startPeer({ greeting: 'silent' });
    try {
      const t0 = Date.now();
      const res = await h.transport.deliver(message(), rcpts('a@dest.test'), channel({ port: p.port }));
      assert.deepEqual(summary(res), ['deferred 4.4.2']);
      assert.match(res[0].diagnostic, /timed out after 1 s waiting for the reply to the greeting/);
      assert.ok(Date.now() - t0 < 5000);
    } finally {
      await p.stop();
    }
  });

  test('Q2 a peer that drops the connection in the middle of DATA: deferred 4.4.2, nothing recorded as delivered', async () => {
    const p = await startPeer({ dropAfterDataBytes: 1000 });
    try {
      const big = message({ data: `Subject: big\r\n\r\n${'line of text\r\n'.repeat(2000)}` });
      const res = await h.transport.deliver(big, rcpts('a@dest.test', 'b@dest.test'), channel({ port: p.port }));
      assert.deepEqual(summary(res), ['deferred 4.4.2', 'deferred 4.4.2']);
      assert.match(res[0].diagnostic, /connection (closed by the peer|lost)/);
      assert.equal(p.sessions[0].messages.length, 0);
    } finally {
      await p.stop();
    }
  });

  test('Q2 no reply after the final dot: deferred 4.4.2, saying the message may be delivered twice', async () => {
    const p = await startPeer({ dataDone: () => ['silent'] });
    try {
      const res = await h.transport.deliver(message(), rcpts('a@dest.test'), channel({ port: p.port }));
      assert.deepEqual(summary(res), ['deferred 4.4.2']);
      assert.match(res[0].diagnostic, /timed out after 1 s waiting for the reply to the end of data .*may be delivered more than once/);
    } finally {
      await p.stop();
    }
  });

  test('Q2 a slow peer within the timeouts delivers; silence after RCPT defers the transaction with the step named', async () => {
    const slow = await startPeer({ delayMs: 150 });
    const mute = await startPeer({ ehlo: ['8BITMIME'], rcpt: (a) => (a.startsWith('b') ? 'silent' : '250 2.1.5 ok') });
    try {
      assert.deepEqual(summary(await h.transport.deliver(message(), rcpts('a@dest.test'), channel({ port: slow.port }))), ['delivered 2.0.0']);
      const res = await h.transport.deliver(message(), rcpts('a@dest.test', 'b@dest.test'), channel({ port: mute.port }));
      assert.deepEqual(summary(res), ['deferred 4.4.2', 'deferred 4.4.2']);
      assert.match(res[1].diagnostic, /waiting for the reply to RCPT TO/);
    } finally {
      await slow.stop();
      await mute.stop();
    }
  });

  test('Q2 a peer that stops reading the data: deferred after the data block timeout', async () => {
    const p = await rawPeer((s) => {
      s.write('220 stuck ESMTP\r\n');
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('latin1');
        let i;
        while ((i = buf.indexOf('\r\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (/^EHLO/.test(line)) s.write('250 stuck\r\n');
          else if (/^(MAIL|RCPT)/.test(line)) s.write('250 ok\r\n');
          else if (line === 'DATA') {
            s.write('354 go\r\n');
            s.pause(); // and never read again
            return;
          }
        }
      });
    });
    try {
      const big = Buffer.alloc(64 * 1024 * 1024, 'a\r\n');
      const msg = { ...message(), size: big.length, open: () => Readable.from([big]) };
      const res = await h.transport.deliver(msg, rcpts('a@dest.test'), channel({ port: p.port }));
      assert.deepEqual(summary(res), ['deferred 4.4.2']);
      assert.match(res[0].diagnostic, /timed out after 1 s sending a block of message data/);
    } finally {
      await p.stop();
    }
  });

  test('Q2 a queued message that cannot be read mid-DATA: deferred 4.3.0, the peer never sees an end of data', async () => {
    const p = await startPeer({});
    try {
      const msg = {
        ...message(),
        open: () =>
          new Readable({
            read() {
              this.push(Buffer.from('Subject: half\r\n\r\nfirst part\r\n'));
              this.destroy(new Error('EIO: disk gone'));
            },
          }),
      };
      const res = await h.transport.deliver(msg, rcpts('a@dest.test'), channel({ port: p.port }));
      assert.deepEqual(summary(res), ['deferred 4.3.0']);
      assert.match(res[0].diagnostic, /cannot read the queued message: EIO: disk gone/);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(p.sessions[0].messages.length, 0);
    } finally {
      await p.stop();
    }
  });

  test('Q2 failures free their slots: with concurrency 1, a good delivery follows a row of bad ones', async () => {
    const silent = await startPeer({ greeting: 'silent' });
    const good = await startPeer({});
    try {
      const bad = channel({ port: silent.port, concurrency: 1, maxConnections: 1 }, 'narrow');
      const all = await Promise.all([1, 2, 3].map(() => h.transport.deliver(message(), rcpts('a@dest.test'), bad)));
      assert.deepEqual(all.map(summary), [['deferred 4.4.2'], ['deferred 4.4.2'], ['deferred 4.4.2']]);
      assert.equal(silent.maxConcurrent, 1);
      const ok = await h.transport.deliver(message(), rcpts('a@dest.test'), channel({ port: good.port, concurrency: 1, maxConnections: 1 }, 'narrow'));
      assert.deepEqual(summary(ok), ['delivered 2.0.0']);
    } finally {
      await silent.stop();
      await good.stop();
    }
  });
});
