// Q2 bad peers end to end: a peer that never answers, one that sends garbage,
// one that sends a 10 MB reply line. Through the whole server each is a logged
// temporary failure with a clear reason, the message waits for its retry (and is
// retried), and the queue is not stuck: mail for a good destination goes on. A
// delivery still hanging at shutdown is ended by closing the transport.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startSink } from '../delivery/support.js';
import { startPeer } from '../helpers/smtp-peer.js';
import { FakeClock } from '../../src/scheduler/fake-clock.js';
import { events, mxTo, sendLan, startRelay } from './remote-support.js';
import { until } from '../helpers/until.js';

/** A raw TCP peer that does `what` with each connection and keeps it open. */
async function rawPeer(what: (s: net.Socket) => void): Promise<{ port: number; connections: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const peer = { port: 0, connections: 0, stop: async () => {} };
  const server = net.createServer((s) => {
    peer.connections++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    what(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  peer.port = (server.address() as net.AddressInfo).port;
  peer.stop = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return peer;
}

/** Writes "220-" then 10 MB without a line end, as fast as the reader takes it. */
function tenMegabyteLine(s: net.Socket): void {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let left = 160;
  s.write('220-');
  const pump = () => {
    while (left > 0 && !s.destroyed) {
      left--;
      if (!s.write(chunk)) return void s.once('drain', pump);
    }
  };
  pump();
}

const FAST = { greetingMs: 800, heloMs: 800, mailMs: 800, rcptMs: 800, dataInitMs: 800, dataBlockMs: 800, dataDoneMs: 800 };

test('Q2 a silent peer, a garbage peer and a 10 MB reply line: each a logged temporary failure, retried; good mail still flows', { timeout: 90_000 }, async () => {
  const silent = await startPeer({ greeting: 'silent' });
  const garbage = await rawPeer((s) => s.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
  const huge = await rawPeer(tenMegabyteLine);
  const good = await startSink();
  const clock = new FakeClock();
  clock.t = Date.now();
  const ts = await startRelay(
    {
      delivery: { retryMs: [60_000], timeouts: FAST },
      channels: { smtp: { port: good.port }, quiet: { port: silent.port }, noisy: { port: garbage.port }, endless: { port: huge.port } },
      routes: { 'silent.test': 'quiet', 'garbage.test': 'noisy', 'huge.test': 'endless' },
    },
    { records: { ...mxTo('silent.test'), ...mxTo('garbage.test'), ...mxTo('huge.test'), ...mxTo('good.test') } },
    clock,
  );
  try {
    const heap = process.memoryUsage().heapUsed;
    const bad = await sendLan(ts.ports.mx, { from: 'pc@lan.test', to: ['a@silent.test', 'b@garbage.test', 'c@huge.test'], data: 'Subject: bad peers\r\n\r\nbody' });
    const fine = await sendLan(ts.ports.mx, { from: 'pc@lan.test', to: ['d@good.test'], data: 'Subject: good peer\r\n\r\nbody' });
    await until('good mail delivered while the bad peers hang', () => good.messages.length === 1, 5000);
    assert.deepEqual(events(ts, 'delivered', fine).map((l) => l.rcpt), ['d@good.test']);
    await ts.delivered();
    const deferred = Object.fromEntries(events(ts, 'deferred', bad).map((l) => [l.rcpt, l]));
    assert.deepEqual(Object.keys(deferred).sort(), ['a@silent.test', 'b@garbage.test', 'c@huge.test']);
    assert.equal(deferred['a@silent.test'].status, '4.4.2');
    assert.match(String(deferred['a@silent.test'].reason), /^mx\.silent\.test: timed out after 800 ms waiting for the reply to the greeting/);
    assert.equal(deferred['b@garbage.test'].status, '4.5.0');
    assert.match(String(deferred['b@garbage.test'].reason), /protocol error: unparsable reply "HTTP\/1\.1 400 Bad Request"/);
    assert.equal(deferred['c@huge.test'].status, '4.5.0');
    assert.match(String(deferred['c@huge.test'].reason), /reply line longer than 4096 bytes/);
    for (const l of Object.values(deferred)) assert.equal((l as { level: unknown }).level, 'warn');
    assert.ok(process.memoryUsage().heapUsed - heap < 64 * 1024 * 1024, 'the 10 MB line was never held');
    assert.ok(existsSync(join(ts.dataDir, 'spool', 'queue', bad)), 'the message waits for its retry');

    // The retry time comes (fake clock): each is tried again, and fails the same way.
    const before = [silent.sessions.length, garbage.connections, huge.connections];
    clock.t = Math.max(clock.t, Date.now());
    clock.advance(61_000);
    await ts.delivered();
    assert.deepEqual([silent.sessions.length, garbage.connections, huge.connections], before.map((n) => n + 1), 'one new connection each');
    assert.deepEqual(events(ts, 'deferred', bad).filter((l) => l.attempt === 2).map((l) => l.rcpt).sort(), ['a@silent.test', 'b@garbage.test', 'c@huge.test']);
    assert.equal(ts.server.scheduler.size, 1);
  } finally {
    await ts.stop();
    await Promise.all([silent.stop(), garbage.stop(), huge.stop(), good.stop()]);
  }
});

test('Q2 shutdown: a delivery hanging on a silent peer is ended at timeouts.shutdownMs; the recipient stays queued, deferred', { timeout: 60_000 }, async () => {
  const silent = await startPeer({ greeting: 'silent' });
  const ts = await startRelay({ timeouts: { shutdownMs: 300 }, channels: { smtp: { port: silent.port } } }, { records: mxTo('silent.test') });
  try {
    const id = await sendLan(ts.ports.mx, { from: 'pc@lan.test', to: ['a@silent.test'], data: 'Subject: hang\r\n\r\nbody' });
    await until('connected', () => silent.sessions.length === 1);
    const t0 = Date.now();
    await ts.server.stop();
    assert.ok(Date.now() - t0 < 5000, `stop took ${Date.now() - t0} ms`);
    assert.ok(ts.logs.some((l) => l.event === 'stop' && l.running === 1), 'the deadline was logged');
    const d = events(ts, 'deferred', id);
    assert.deepEqual(d.map((l) => [l.rcpt, l.status]), [['a@silent.test', '4.4.2']]);
    assert.match(String(d[0].reason), /delivery stopped: the server is shutting down/);
    assert.ok(existsSync(join(ts.dataDir, 'spool', 'queue', id)), 'still queued');
  } finally {
    await ts.stop();
    await silent.stop();
  }
});
