// Q2/Q3 connection reuse and limits: N messages over fewer connections (RSET
// between), idle close, a cap on messages per connection, a dead cached
// connection replaced transparently, per-destination concurrency and the
// channel-wide maxConnections; relay hosts with and without MX lookup.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { harness, channel, message, rcpts, summary, startSink } from './support.js';
import { startPeer } from '../helpers/smtp-peer.js';

const mx = (domain: string, ip = '127.0.0.1') => ({
  [domain]: [{ type: 'MX' as const, data: { preference: 10, exchange: `mx.${domain}` } }],
  [`mx.${domain}`]: [{ type: 'A' as const, data: ip }],
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Q2 connection reuse and concurrency', { timeout: 90_000 }, () => {
  test('Q2 twenty messages to one destination, one after another: one connection, RSET between, QUIT when idle', async () => {
    const peer = await startPeer({});
    const h = await harness({ records: mx('dest.test') }, { cache: { idleMs: 1000 } });
    try {
      for (let i = 0; i < 20; i++) {
        assert.deepEqual(summary(await h.transport.deliver(message({ id: `M${i}` }), rcpts(`u${i}@dest.test`), channel({ port: peer.port }))), ['delivered 2.0.0']);
      }
      assert.equal(peer.sessions.length, 1);
      const s = peer.sessions[0];
      assert.equal(s.messages.length, 20);
      assert.equal(s.commands.filter((c) => c === 'RSET').length, 19);
      assert.equal(h.dns.queries.filter((q) => q.type === 'MX').length, 1, 'a cached connection needs no DNS');
      for (let i = 0; i < 50 && s.commands.at(-1) !== 'QUIT'; i++) await sleep(100);
      assert.equal(s.commands.at(-1), 'QUIT', 'the idle connection was closed politely');
      assert.equal(peer.maxConcurrent, 1);
      assert.deepEqual(summary(await h.transport.deliver(message(), rcpts('late@dest.test'), channel({ port: peer.port }))), ['delivered 2.0.0']);
      assert.equal(peer.sessions.length, 2, 'after the idle close a new connection');
    } finally {
      await h.stop();
      await peer.stop();
    }
  });

  test('Q2 maxMessages per connection: 12 messages with a cap of 5 take 3 connections', async () => {
    const peer = await startPeer({});
    const h = await harness({ records: mx('dest.test') }, { cache: { idleMs: 5000, maxMessages: 5 } });
    try {
      for (let i = 0; i < 12; i++) await h.transport.deliver(message(), rcpts('u@dest.test'), channel({ port: peer.port }));
      assert.deepEqual(
        peer.sessions.map((s) => s.messages.length),
        [5, 5, 2],
      );
    } finally {
      await h.stop();
      await peer.stop();
    }
  });

  test('Q2 a cached connection the peer dropped is replaced without a failure', async () => {
    let n = 0;
    const peer = await startPeer({ other: (line) => (line === 'RSET' && ++n === 1 ? 'drop' : undefined) });
    const h = await harness({ records: mx('dest.test') }, { cache: { idleMs: 5000 } });
    try {
      assert.deepEqual(summary(await h.transport.deliver(message(), rcpts('a@dest.test'), channel({ port: peer.port }))), ['delivered 2.0.0']);
      assert.deepEqual(summary(await h.transport.deliver(message(), rcpts('b@dest.test'), channel({ port: peer.port }))), ['delivered 2.0.0']);
      assert.equal(peer.sessions.length, 2);
      assert.deepEqual(peer.sessions[1].messages.map((m) => m.rcpts), [['b@dest.test']]);
    } finally {
      await h.stop();
      await peer.stop();
    }
  });

  test('Q3 concurrency per destination: 30 messages at once with concurrency 3 use at most 3 connections, fewer than 30', async () => {
    const peer = await startPeer({ delayMs: 20 });
    const h = await harness({ records: mx('dest.test') }, { cache: { idleMs: 5000 } });
    try {
      const ch = channel({ port: peer.port, concurrency: 3 });
      const all = await Promise.all(Array.from({ length: 30 }, (_, i) => h.transport.deliver(message({ id: `M${i}` }), rcpts(`u${i}@dest.test`), ch)));
      assert.ok(all.every((r) => summary(r)[0] === 'delivered 2.0.0'));
      assert.equal(peer.maxConcurrent, 3, 'the bound was reached and held');
      assert.equal(peer.sessions.length, 3, 'each connection carried several messages');
      assert.equal(peer.sessions.reduce((n, s) => n + s.messages.length, 0), 30);
    } finally {
      await h.stop();
      await peer.stop();
    }
  });

  test('Q3 maxConnections per channel: three destinations, concurrency 3 each, at most 4 connections in all; waiters are all served', async () => {
    const peer = await startPeer({ delayMs: 15 });
    const h = await harness({ records: { ...mx('one.test'), ...mx('two.test'), ...mx('three.test') } }, { cache: { idleMs: 5000 } });
    try {
      const ch = channel({ port: peer.port, concurrency: 3, maxConnections: 4 });
      const domains = ['one.test', 'two.test', 'three.test'];
      const all = await Promise.all(Array.from({ length: 36 }, (_, i) => h.transport.deliver(message(), rcpts(`u${i}@${domains[i % 3]}`), ch)));
      assert.equal(all.filter((r) => summary(r)[0] === 'delivered 2.0.0').length, 36);
      assert.ok(peer.maxConcurrent <= 4, `at most 4 at once (saw ${peer.maxConcurrent})`);
      assert.ok(peer.maxConcurrent >= 3, `the channel was used in parallel (saw ${peer.maxConcurrent})`);
      const perDomain = domains.map((d) => peer.sessions.flatMap((s) => s.messages).filter((m) => m.rcpts[0].endsWith(`@${d}`)).length);
      assert.deepEqual(perDomain, [12, 12, 12]);
    } finally {
      await h.stop();
      await peer.stop();
    }
  });

  test('Q2 relay host: "[host]:port" skips MX; "host:port" uses the MX of the host; an unknown relay host defers (our configuration)', async () => {
    const sink = await startSink({}, { address: '127.0.0.12' });
    const h = await harness({
      records: {
        'relay.test': [{ type: 'MX', data: { preference: 10, exchange: 'mx.relay.test' } }],
        'mx.relay.test': [{ type: 'A', data: '127.0.0.12' }],
        'direct.relay.test': [{ type: 'A', data: '127.0.0.12' }],
      },
    });
    try {
      const brackets = await h.transport.deliver(message(), rcpts('x@far.test'), channel({ relayHost: `[direct.relay.test]:${sink.port}` }, 'r1'));
      assert.deepEqual(summary(brackets), ['delivered 2.0.0']);
      assert.equal(brackets[0].remoteMta, 'direct.relay.test');
      assert.ok(!h.dns.queries.some((q) => q.type === 'MX'), 'no MX lookup for [host]');
      const viaMx = await h.transport.deliver(message(), rcpts('x@far.test'), channel({ relayHost: `relay.test:${sink.port}` }, 'r2'));
      assert.deepEqual(summary(viaMx), ['delivered 2.0.0']);
      assert.equal(viaMx[0].remoteMta, 'mx.relay.test');
      assert.deepEqual(h.dns.queries.filter((q) => q.type === 'MX').map((q) => q.name), ['relay.test']);
      const unknown = await h.transport.deliver(message(), rcpts('x@far.test'), channel({ relayHost: 'nowhere.test' }, 'r3'));
      assert.deepEqual(summary(unknown), ['deferred 4.3.5']);
      assert.match(unknown[0].diagnostic, /^relay host: domain nowhere\.test does not exist/);
      assert.equal(sink.messages.length, 2);
    } finally {
      await h.stop();
      await sink.stop();
    }
  });
});
