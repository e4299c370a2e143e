// "Why was this refused?" and the live decision stream, over real HTTP: refusals of
// real SMTP sessions are found by IP, sender, recipient and queue id; the stream
// (Server-Sent Events) needs a token, filters by check, IP and sender, replays from
// Last-Event-ID, and drops a client that does not read without slowing the server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startAdminTestServer, type AdminTestServer } from '../helpers/admin.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';
import { parseMetrics, value } from '../helpers/prometheus.js';
import type { DecisionEvent } from '../../src/policy/decision-events.js';

let ts: AdminTestServer;

before(async () => {
  ts = await startAdminTestServer({ admin: { port: 0, metricsNetworks: ['127.0.0.1/32'] } });
});
after(async () => {
  await ts?.stop();
});

/** One SSE client over fetch (the console does the same: a Bearer header, no cookie). */
async function openStream(query = '', headers: Record<string, string> = {}) {
  const ac = new AbortController();
  const res = await fetch(`${ts.base}/api/v1/decisions/stream${query}`, { headers: { authorization: `Bearer ${ts.token}`, ...headers }, signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const reader = res.body!.getReader();
  const events: Array<DecisionEvent & { seq: number }> = [];
  let buf = '';
  const pump = (async () => {
    try {
      for (;;) {
        const { done, value: chunk } = await reader.read();
        if (done) return;
        buf += Buffer.from(chunk).toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (block.includes('event: decision') && data) events.push(JSON.parse(data.slice(6)));
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    events,
    async waitFor(n: number, what: string) {
      const deadline = Date.now() + 5000;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`stream: timed out waiting for ${what} (have ${events.length})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      ac.abort();
      await pump;
    },
  };
}

async function refusedRcpt(sender: string, rcpt: string): Promise<void> {
  const c = await SmtpClient.connect(ts.ports.mx);
  try {
    await c.reply();
    await c.cmd('EHLO client.test');
    assert.equal((await c.cmd(`MAIL FROM:<${sender}>`)).code, 250);
    const r = await c.cmd(`RCPT TO:<${rcpt}>`);
    assert.ok(r.code >= 500, `${rcpt}: ${r.text}`);
    await c.cmd('QUIT');
  } finally {
    c.socket.destroy();
  }
}

test('search: a refused recipient is found by IP, sender (glob, any case), recipient and check; pages go backwards in time', async () => {
  await refusedRcpt('Someone@Sender.example', 'nobody@example.test');
  await refusedRcpt('other@sender.example', 'x@elsewhere.example');
  const bySender = await ts.call('GET', '/api/v1/decisions?sender=someone@sender.example');
  assert.equal(bySender.status, 200, bySender.text);
  assert.equal(bySender.body.items.length, 1);
  const d = bySender.body.items[0];
  assert.equal(d.check, 'rcpt.localRecipient');
  assert.equal(d.code, 550);
  assert.equal(d.enhanced, '5.1.1');
  assert.equal(d.client, '127.0.0.1');
  assert.equal(d.rcpt, 'nobody@example.test');
  assert.match(d.time, /^\d{4}-\d\d-\d\dT/);

  const glob = await ts.call('GET', `/api/v1/decisions?sender=${encodeURIComponent('*@SENDER.example')}&action=refused`);
  assert.deepEqual(glob.body.items.map((x: DecisionEvent) => x.check), ['rcpt.relay', 'rcpt.localRecipient'], 'newest first');
  assert.equal((await ts.call('GET', '/api/v1/decisions?rcpt=x@elsewhere.example')).body.items[0].check, 'rcpt.relay');
  assert.equal((await ts.call('GET', '/api/v1/decisions?check=rcpt.*&ip=127.0.0.0/8')).body.items.length >= 2, true);
  assert.equal((await ts.call('GET', '/api/v1/decisions?ip=192.0.2.1')).body.items.length, 0);

  const p1 = await ts.call('GET', '/api/v1/decisions?sender=*@sender.example&limit=1');
  assert.equal(p1.body.items.length, 1);
  assert.ok(p1.body.nextCursor);
  const p2 = await ts.call('GET', `/api/v1/decisions?sender=*@sender.example&limit=1&cursor=${p1.body.nextCursor}`);
  assert.equal(p2.body.items.length, 1);
  assert.ok(p2.body.items[0].seq < p1.body.items[0].seq);
  assert.equal(p2.body.nextCursor, null);
});

test('search by queue id: an end-of-data refusal names the message', async () => {
  const c = await SmtpClient.connect(ts.ports.mx);
  let queueId = '';
  try {
    await c.reply();
    await c.cmd('EHLO client.test');
    await c.cmd('MAIL FROM:<bare@sender.example>');
    await c.cmd('RCPT TO:<alice@example.test>');
    await c.cmd('DATA');
    const r = await c.cmd('Subject: x\r\n\r\nbare\nline\r\n.');
    assert.equal(codes(r), '554 5.6.0');
  } finally {
    c.socket.destroy();
  }
  const found = await ts.call('GET', '/api/v1/decisions?check=eod.bareLineEndings');
  queueId = found.body.items[0].queueId;
  assert.match(queueId, /^[0-9A-Z]+$/);
  const byId = await ts.call('GET', `/api/v1/decisions?queueId=${queueId.toLowerCase()}`);
  assert.deepEqual(byId.body.items.map((x: DecisionEvent) => x.check), ['eod.bareLineEndings']);
  const session = await ts.call('GET', `/api/v1/decisions?session=${byId.body.items[0].session}`);
  assert.deepEqual(session.body.items.map((x: DecisionEvent) => x.check), ['eod.bareLineEndings']);
});

test('search: bad input is a 400 naming the field; per-minute counts cover the last hour', async () => {
  const bad = await ts.call('GET', '/api/v1/decisions?ip=not-an-ip');
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /^ip: "not-an-ip" is not an IP address or CIDR block\.$/);
  const act = await ts.call('GET', '/api/v1/decisions?action=maybe');
  assert.equal(act.status, 400);
  assert.match(act.body.message, /^action: Invalid option/);
  const pm = await ts.call('GET', '/api/v1/decisions/per-minute');
  assert.equal(pm.status, 200);
  assert.equal(pm.body.minutes.length, 60);
  const last = pm.body.minutes[59];
  assert.ok(Date.now() - Date.parse(last.minute) < 61_000);
  const total = pm.body.minutes.reduce((n: number, m: { counts: Record<string, number> }) => n + m.counts.reject, 0);
  assert.ok(total >= 3, `rejects counted: ${total}`);
});

test('stream: a token is required; bad filters are a 400 before the stream starts', async () => {
  const none = await fetch(`${ts.base}/api/v1/decisions/stream`);
  assert.equal(none.status, 401);
  const bad = await fetch(`${ts.base}/api/v1/decisions/stream?ip=nope`, { headers: { authorization: `Bearer ${ts.token}` } });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { message: string }).message, /^ip: /);
  const ro = await fetch(`${ts.base}/api/v1/decisions/stream?backlog=0`, { headers: { authorization: `Bearer ${ts.readOnly}` } });
  assert.equal(ro.status, 200, 'a read-only token may watch');
  await ro.body?.cancel();
});

test('stream: each client gets the events its filter matches (check, ip, sender), as they happen', async () => {
  const all = await openStream();
  const relay = await openStream('?check=rcpt.relay');
  const other = await openStream('?ip=192.0.2.0/24');
  const bySender = await openStream(`?sender=${encodeURIComponent('*@live.example')}`);
  await refusedRcpt('a@live.example', 'x@elsewhere.example');
  await refusedRcpt('b@quiet.example', 'nobody@example.test');
  await all.waitFor(2, 'both refusals');
  await relay.waitFor(1, 'the relay refusal');
  await bySender.waitFor(1, 'the live.example refusal');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(all.events.map((e) => e.check), ['rcpt.relay', 'rcpt.localRecipient']);
  assert.deepEqual(relay.events.map((e) => [e.check, e.code, e.enhanced, e.from]), [['rcpt.relay', 554, '5.7.1', 'a@live.example']]);
  assert.deepEqual(bySender.events.map((e) => e.from), ['a@live.example']);
  assert.equal(other.events.length, 0);
  for (const s of [all, relay, other, bySender]) await s.close();
});

test('stream: backlog and Last-Event-ID replay recent events first', async () => {
  const recent = await ts.call('GET', '/api/v1/decisions?limit=3');
  const [newest, , third] = recent.body.items;
  const backlog = await openStream('?backlog=3');
  await backlog.waitFor(3, 'the backlog');
  assert.deepEqual(backlog.events.map((e) => e.seq), [...recent.body.items].reverse().map((e: { seq: number }) => e.seq), 'oldest first');
  await backlog.close();
  const resumed = await openStream('', { 'last-event-id': String(third.seq) });
  await resumed.waitFor(2, 'the missed events');
  assert.deepEqual(resumed.events.map((e) => e.seq), [third.seq + 1, newest.seq].filter((v, i, a) => a.indexOf(v) === i));
  await resumed.close();
});

test('stream: a client that stops reading is dropped once its queue is full; publishing never waits; others keep receiving', async () => {
  const reading = await openStream('?check=test.slow');
  const slow: Socket = connect(ts.server.adminPort!, '127.0.0.1');
  await new Promise<void>((r) => slow.once('connect', () => r()));
  slow.write(`GET /api/v1/decisions/stream?check=test.slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ts.token}\r\n\r\n`);
  let head = '';
  await new Promise<void>((r) => {
    const on = (b: Buffer) => {
      head += b.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        slow.off('data', on);
        r();
      }
    };
    slow.on('data', on);
  });
  assert.match(head, /^HTTP\/1\.1 200/);
  slow.pause(); // never reads again: the kernel buffers fill, then the stream's queue
  const closed = new Promise<void>((r) => slow.once('close', () => r()));
  slow.on('error', () => {});
  const reason = 'x'.repeat(16 * 1024);
  let publishing = 0n;
  let n = 0;
  const deadline = Date.now() + 20_000;
  const scrape = async () => parseMetrics((await ts.call('GET', '/metrics', undefined, null)).text);
  while (value(await scrape(), 'rampart_admin_stream_dropped_total') === 0) {
    if (Date.now() > deadline) throw new Error('the slow client was never dropped');
    // Small batches, so that the reading client (in this process) keeps up while the other does not.
    const t = process.hrtime.bigint();
    for (let i = 0; i < 16; i++, n++) ts.server.decisions.publish({ time: Date.now(), session: 's', client: '192.0.2.9', stage: 'test', check: 'test.slow', action: 'reject', code: 550, reason });
    publishing += process.hrtime.bigint() - t;
    await new Promise((r) => setTimeout(r, 5));
  }
  const perEvent = Number(publishing) / 1e6 / n;
  // The server gave up the socket: once the client reads what the kernel still holds, the stream ends.
  slow.on('data', () => {});
  slow.resume();
  await closed;
  assert.ok(perEvent < 2, `publishing stays cheap: ${perEvent.toFixed(3)} ms per event`);
  await reading.waitFor(n, 'every event on the reading client');
  assert.equal(reading.events.length, n);
  await reading.close();
  const m = await scrape();
  assert.equal(value(m, 'rampart_admin_stream_dropped_total'), 1);
});
