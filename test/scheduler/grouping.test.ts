// Q2/Q3 how the scheduler calls a Transport: one call per (channel, destination)
// with the recipients that share it, bounded per destination and per channel; a
// 4xx recipient retries alone on its channel's schedule, a 5xx one bounces alone,
// a recipient already delivered is never handed over again. The transport here
// is a probe at the contract boundary (the real SMTP/LMTP transport is tested
// against real peers in test/delivery/ and end to end in test/e2e/); it answers
// per recipient by address.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupScheduler } from '../../src/scheduler/test-support.js';
import type { OutboundMessage, OutboundRecipient, RecipientResult, Transport } from '../../src/delivery/types.js';
import type { Channel } from '../../src/config/channels-schema.js';
import { parseDsn, dsnOfMaildirFile } from '../helpers/dsn.js';
import { until } from '../helpers/until.js';

interface Call {
  id: string;
  channel: string;
  rcpts: string[];
  indexes: number[];
}

/** Answers by local part: ok*, tmp* (450 4.2.0), bad* (550 5.1.1). `gate` holds calls until released. */
function probe() {
  const calls: Call[] = [];
  let active = 0;
  let maxActive = 0;
  const perDest = new Map<string, number>();
  let maxPerDest = 0;
  let gate: Promise<void> | undefined;
  let open: () => void = () => {};
  const answer = (r: OutboundRecipient): RecipientResult => {
    const local = r.address.split('@')[0];
    if (local.startsWith('tmp')) return { index: r.index, outcome: 'deferred', status: '4.2.0', diagnostic: `450 4.2.0 <${r.address}>: try later`, remoteMta: 'mx.peer.test', fromPeer: true };
    if (local.startsWith('bad')) return { index: r.index, outcome: 'failed', status: '5.1.1', diagnostic: `550 5.1.1 <${r.address}>: no such user`, remoteMta: 'mx.peer.test', fromPeer: true };
    return { index: r.index, outcome: 'delivered', status: '2.0.0', diagnostic: '250 2.0.0 ok', remoteMta: 'mx.peer.test', fromPeer: true };
  };
  const transport: Transport = {
    async deliver(msg: OutboundMessage, rcpts: readonly OutboundRecipient[], channel: Channel) {
      const dest = rcpts[0].address.split('@')[1];
      calls.push({ id: msg.id, channel: channel.name, rcpts: rcpts.map((r) => r.address), indexes: rcpts.map((r) => r.index) });
      active++;
      maxActive = Math.max(maxActive, active);
      perDest.set(dest, (perDest.get(dest) ?? 0) + 1);
      maxPerDest = Math.max(maxPerDest, perDest.get(dest)!);
      // Read the message through the contract, like a real transport would.
      let size = 0;
      for await (const c of msg.open() as AsyncIterable<Buffer>) size += c.length;
      assert.equal(size, msg.size);
      if (gate) await gate;
      else await new Promise((r) => setImmediate(r));
      active--;
      perDest.set(dest, perDest.get(dest)! - 1);
      return rcpts.map(answer);
    },
    async close() {},
  };
  return {
    transport,
    calls,
    stats: () => ({ maxActive, maxPerDest, active }),
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release() {
      gate = undefined;
      open();
    },
  };
}

const ROUTED = {
  channels: { relay: { relayHost: '[192.0.2.25]:2525' }, slow: { retryMs: [10000] }, narrow: { concurrency: 1, maxConnections: 2 } },
  routes: { 'relayed.test': 'relay', 'also-relayed.test': 'relay', 'slow.test': 'slow', '.narrow.test': 'narrow' },
  delivery: { retryMs: [1000] },
};

test('Q3 one hand-over per (channel, destination): same domain together, a relay host gathers its domains, indexes kept', async () => {
  const p = probe();
  const s = await setupScheduler(ROUTED, { transports: { smtp: p.transport } });
  try {
    const id = await s.queue(['ok1@d1.test', 'ok2@d2.test', 'ok3@d1.test', 'ok4@relayed.test', 'ok5@also-relayed.test', 'alice@example.test']);
    await s.run();
    const mine = p.calls.filter((c) => c.id === id).map((c) => ({ ...c, id: '' })).sort((a, b) => a.rcpts[0].localeCompare(b.rcpts[0]));
    assert.deepEqual(mine, [
      { id: '', channel: 'smtp', rcpts: ['ok1@d1.test', 'ok3@d1.test'], indexes: [0, 2] },
      { id: '', channel: 'smtp', rcpts: ['ok2@d2.test'], indexes: [1] },
      { id: '', channel: 'relay', rcpts: ['ok4@relayed.test', 'ok5@also-relayed.test'], indexes: [3, 4] },
    ]);
    assert.equal(s.mailbox('alice').length, 1, 'the local recipient went through maildir');
    assert.equal(s.sched.size, 0);
  } finally {
    await s.done();
  }
});

test('Q2 per-recipient results: 5xx bounces alone now, 4xx retries alone on the schedule, delivered never again', async () => {
  const p = probe();
  const s = await setupScheduler(ROUTED, { transports: { smtp: p.transport } });
  try {
    const id = await s.queue(['ok@d1.test', 'tmp@d1.test', 'bad@d1.test'], { from: 'alice@example.test' });
    await s.run();
    assert.deepEqual(p.calls.map((c) => c.rcpts), [['ok@d1.test', 'tmp@d1.test', 'bad@d1.test']]);
    const bounce = s.mailbox('alice');
    assert.equal(bounce.length, 1, 'one failure notice, at once');
    const { returnPath, dsn } = dsnOfMaildirFile(bounce[0]);
    assert.equal(returnPath, '');
    const d = await parseDsn(dsn);
    assert.deepEqual(d.perRecipient.map((r) => [r['final-recipient'], r.action, r.status, r['remote-mta'], r['diagnostic-code']]), [
      ['rfc822; bad@d1.test', 'failed', '5.1.1', 'dns; mx.peer.test', 'smtp; 550 5.1.1 <bad@d1.test>: no such user'],
    ]);
    assert.equal(d.perMessage['x-rampart-queue-id'], id);
    s.clock.advance(999);
    await s.run();
    assert.equal(p.calls.length, 1, 'not before retryMs');
    s.clock.advance(1);
    await s.run();
    assert.deepEqual(p.calls.map((c) => c.rcpts), [['ok@d1.test', 'tmp@d1.test', 'bad@d1.test'], ['tmp@d1.test']]);
    assert.deepEqual(p.calls[1].indexes, [1]);
    assert.equal(s.sched.size, 1);
    assert.ok(s.logs.some((l) => l.event === 'deferred' && l.rcpt === 'tmp@d1.test' && l.attempt === 2));
  } finally {
    await s.done();
  }
});

test('Q3 each channel retries on its own schedule (retryMs per channel)', async () => {
  const p = probe();
  const s = await setupScheduler(ROUTED, { transports: { smtp: p.transport } });
  try {
    await s.queue(['tmp@d1.test', 'tmp@slow.test']);
    await s.run();
    assert.equal(p.calls.length, 2);
    await s.run(3, 1000); // three seconds: the default channel retried three times, the slow one not
    const count = (dom: string) => p.calls.filter((c) => c.rcpts[0].endsWith(dom)).length;
    assert.equal(count('@d1.test'), 4);
    assert.equal(count('@slow.test'), 1);
    await s.run(7, 1000);
    assert.equal(count('@slow.test'), 2, 'after its 10 s');
  } finally {
    await s.done();
  }
});

test('Q3 concurrency per destination and maxConnections per channel bound the hand-overs in flight', async () => {
  const p = probe();
  const s = await setupScheduler(ROUTED, { transports: { smtp: p.transport } });
  try {
    p.hold();
    for (const d of ['a', 'a', 'a', 'b', 'c', 'd']) await s.queue([`ok@${d}.narrow.test`]);
    await until('two hand-overs in flight', () => p.stats().active >= 2);
    await new Promise((r) => setTimeout(r, 50)); // room for a third, which must not start
    assert.equal(p.stats().active, 2, 'maxConnections: 2 on the channel');
    p.release();
    await s.run();
    assert.equal(p.calls.length, 6);
    assert.equal(p.stats().maxActive, 2);
    assert.equal(p.stats().maxPerDest, 1, 'concurrency: 1 per destination');
    assert.equal(s.sched.size, 0);
  } finally {
    p.release();
    await s.done();
  }
});

test('Q3 a transport that throws or leaves a recipient unanswered defers it (4.3.0); nothing crashes', async () => {
  const broken: Transport = {
    async deliver(_m, rcpts) {
      if (rcpts[0].address.startsWith('throw')) throw new Error('boom');
      return [];
    },
    async close() {},
  };
  const s = await setupScheduler(ROUTED, { transports: { smtp: broken } });
  try {
    await s.queue(['throw@d1.test']);
    await s.queue(['silent@d2.test']);
    await s.run();
    assert.ok(s.logs.some((l) => l.event === 'deferred' && l.rcpt === 'throw@d1.test' && /transport smtp failed: boom/.test(String(l.reason))));
    assert.ok(s.logs.some((l) => l.event === 'deferred' && l.rcpt === 'silent@d2.test' && /gave no result/.test(String(l.reason))));
    assert.equal(s.sched.size, 2);
  } finally {
    await s.done();
  }
});

test('Q3 shutdown: a delivery still running at timeouts.shutdownMs is ended by closing the transport and stays deferred', async () => {
  let end: () => void = () => {};
  let closed = 0;
  const hanging: Transport = {
    deliver(_m, rcpts) {
      return new Promise((resolve) => {
        end = () => resolve(rcpts.map((r) => ({ index: r.index, outcome: 'deferred', status: '4.4.2', diagnostic: 'connection closed at shutdown' })));
      });
    },
    async close() {
      closed++;
      end();
    },
  };
  const s = await setupScheduler({ ...ROUTED, timeouts: { shutdownMs: 200 } }, { transports: { smtp: hanging, lmtp: hanging } });
  const id = await s.queue(['slow@d1.test']);
  await until('the attempt running', () => s.sched.stats().running === 1);
  const started = Date.now();
  await s.done();
  assert.ok(Date.now() - started < 5000, 'stop did not wait for the delivery');
  assert.equal(closed, 1, 'one object serving smtp and lmtp is closed once');
  assert.ok(s.logs.some((l) => l.event === 'stop' && l.running === 1));
  assert.ok(s.logs.some((l) => l.event === 'deferred' && l.queueId === id && l.status === '4.4.2'));
});
