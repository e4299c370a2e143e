// Q2 MX resolution (RFC 5321 5.1) end to end: the in-process DNS server points
// MX/A/AAAA records at 127.0.0.x and ::1, the channel port sends the traffic to
// the sink's port, and each rule shows in the per-recipient results.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { harness, channel, message, rcpts, summary, startSink, byIndex } from './support.js';
import { startPeer } from '../helpers/smtp-peer.js';
import { shuffleEqualPreferences } from '../../src/delivery/mx.js';

describe('Q2 MX resolution', { timeout: 60_000 }, () => {
  test('Q2 MX by preference: the best MX takes the mail; a refused first MX passes to the next', async () => {
    const sink = await startSink({}, { address: '127.0.0.3' });
    const h = await harness({
      records: {
        'dest.test': [
          { type: 'MX', data: { preference: 20, exchange: 'mx2.dest.test' } },
          { type: 'MX', data: { preference: 10, exchange: 'mx1.dest.test' } },
        ],
        'mx1.dest.test': [{ type: 'A', data: '127.0.0.2' }], // nothing listens there
        'mx2.dest.test': [{ type: 'A', data: '127.0.0.3' }],
      },
    });
    try {
      const res = await h.transport.deliver(message(), rcpts('u@dest.test'), channel({ port: sink.port }));
      assert.deepEqual(summary(res), ['delivered 2.0.0']);
      assert.equal(res[0].remoteMta, 'mx2.dest.test');
      assert.equal(res[0].fromPeer, true);
      assert.match(res[0].diagnostic, /^250 /);
      assert.equal(sink.messages.length, 1);
      assert.deepEqual(sink.messages[0].rcpts, ['u@dest.test']);
      const order = h.dns.queries.filter((q) => q.type === 'MX').map((q) => q.name);
      assert.deepEqual(order, ['dest.test']);
      assert.ok(h.logs.some((l) => l.msg === 'host failed' && l.host === 'mx1.dest.test' && l.status === '4.4.1'), 'the refused MX is logged');
    } finally {
      await h.stop();
      await sink.stop();
    }
  });

  test('Q2 equal preferences are shuffled, lower preference always first', () => {
    const recs = [
      { exchange: 'c', priority: 20 },
      { exchange: 'a', priority: 10 },
      { exchange: 'b', priority: 10 },
    ];
    const seen = new Set<string>();
    let seq = 0;
    const rnd = [0.1, 0.9, 0.5, 0.9, 0.1, 0.5];
    for (let i = 0; i < 2; i++) {
      const out = shuffleEqualPreferences(recs, () => rnd[seq++ % rnd.length]).map((r) => r.exchange);
      assert.equal(out[2], 'c');
      seen.add(out.slice(0, 2).join());
    }
    assert.deepEqual([...seen].sort(), ['a,b', 'b,a']);
  });

  test('Q2 implicit MX: a domain without MX gets its own A record', async () => {
    const sink = await startSink({}, { address: '127.0.0.4' });
    const h = await harness({ records: { 'plain.test': [{ type: 'A', data: '127.0.0.4' }] } });
    try {
      const res = await h.transport.deliver(message(), rcpts('u@plain.test'), channel({ port: sink.port }));
      assert.deepEqual(summary(res), ['delivered 2.0.0']);
      assert.equal(res[0].remoteMta, 'plain.test');
      assert.equal(sink.messages.length, 1);
    } finally {
      await h.stop();
      await sink.stop();
    }
  });

  test('Q2 IPv6 and IPv4 both tried: an AAAA with nothing listening falls back to the A record; ::1 alone works', async () => {
    const sink4 = await startSink({}, { address: '127.0.0.5' });
    const sink6 = await startSink({}, { address: '::1' });
    const h = await harness({
      records: {
        'dual.test': [{ type: 'MX', data: { preference: 10, exchange: 'mx.dual.test' } }],
        'mx.dual.test': [
          { type: 'AAAA', data: '::1' },
          { type: 'A', data: '127.0.0.5' },
        ],
        'six.test': [{ type: 'MX', data: { preference: 10, exchange: 'mx.six.test' } }],
        'mx.six.test': [{ type: 'AAAA', data: '::1' }],
      },
    });
    try {
      // sink4's port on ::1 has nothing listening: the IPv6 attempt is refused, IPv4 delivers.
      const res = await h.transport.deliver(message(), rcpts('u@dual.test'), channel({ port: sink4.port }));
      assert.deepEqual(summary(res), ['delivered 2.0.0']);
      assert.equal(sink4.messages.length, 1);
      assert.ok(h.logs.some((l) => l.msg === 'host failed' && (l.target as { address: string }).address === '::1'), 'IPv6 was tried first');
      const res6 = await h.transport.deliver(message(), rcpts('u@six.test'), channel({ port: sink6.port }));
      assert.deepEqual(summary(res6), ['delivered 2.0.0']);
      assert.equal(sink6.messages.length, 1);
    } finally {
      await h.stop();
      await sink4.stop();
      await sink6.stop();
    }
  });

  test('Q2 null MX (RFC 7505) fails 5.1.10; NXDOMAIN fails 5.1.2; SERVFAIL defers 4.4.3; a domain without any address fails 5.4.4', async () => {
    const h = await harness({
      records: {
        'null.test': [{ type: 'MX', data: { preference: 0, exchange: '.' } }],
        'empty.test': [{ type: 'TXT', data: 'no mail here' }],
      },
      servfail: ['broken.test'],
    });
    try {
      const ch = channel({ port: 9 });
      const nul = await h.transport.deliver(message(), rcpts('u@null.test', 'v@null.test'), ch);
      assert.deepEqual(summary(nul), ['failed 5.1.10', 'failed 5.1.10']);
      assert.match(nul[0].diagnostic, /null MX/);
      assert.equal(nul[0].fromPeer, false);
      const nx = await h.transport.deliver(message(), rcpts('u@missing.test'), ch);
      assert.deepEqual(summary(nx), ['failed 5.1.2']);
      assert.match(nx[0].diagnostic, /missing\.test does not exist/);
      const sf = await h.transport.deliver(message(), rcpts('u@broken.test'), ch);
      assert.deepEqual(summary(sf), ['deferred 4.4.3']);
      assert.match(sf[0].diagnostic, /broken\.test failed: ESERVFAIL/);
      const none = await h.transport.deliver(message(), rcpts('u@empty.test'), ch);
      assert.deepEqual(summary(none), ['failed 5.4.4']);
      assert.match(none[0].diagnostic, /no address/);
    } finally {
      await h.stop();
    }
  });

  test('Q2 loops refused 5.4.6: an MX that is a CNAME, an MX named localhost, an MX that is our own listener (address and port)', async () => {
    const sink = await startSink({}, { address: '127.0.0.6' });
    const h = await harness(
      {
        records: {
          'alias.test': [{ type: 'MX', data: { preference: 10, exchange: 'mx.alias.test' } }],
          'mx.alias.test': [{ type: 'CNAME', data: 'real.alias.test' }],
          'real.alias.test': [{ type: 'A', data: '127.0.0.6' }],
          'local.test': [{ type: 'MX', data: { preference: 10, exchange: 'localhost' } }],
          localhost: [{ type: 'A', data: '127.0.0.6' }],
          'self.test': [
            { type: 'MX', data: { preference: 10, exchange: 'me.self.test' } },
            { type: 'MX', data: { preference: 20, exchange: 'backup.self.test' } },
          ],
          'me.self.test': [{ type: 'A', data: '127.0.0.6' }],
          'backup.self.test': [{ type: 'A', data: '127.0.0.6' }],
          'backupmx.test': [
            { type: 'MX', data: { preference: 10, exchange: 'primary.backupmx.test' } },
            { type: 'MX', data: { preference: 20, exchange: 'me.self.test' } },
          ],
          'primary.backupmx.test': [{ type: 'A', data: '127.0.0.7' }],
        },
      },
      { own: [{ address: '127.0.0.6', port: sink.port }] },
    );
    try {
      const ch = channel({ port: sink.port });
      const alias = await h.transport.deliver(message(), rcpts('u@alias.test'), ch);
      assert.deepEqual(summary(alias), ['failed 5.4.6']);
      assert.match(alias[0].diagnostic, /alias \(CNAME real\.alias\.test\)/);
      const local = await h.transport.deliver(message(), rcpts('u@local.test'), ch);
      assert.deepEqual(summary(local), ['failed 5.4.6']);
      assert.match(local[0].diagnostic, /localhost/);
      // We are the best MX (our listener is 127.0.0.6 on this port): RFC 5321 5.1 drops us and every worse MX.
      const self = await h.transport.deliver(message(), rcpts('u@self.test'), ch);
      assert.deepEqual(summary(self), ['failed 5.4.6']);
      assert.match(self[0].diagnostic, /loops back to myself/);
      assert.equal(sink.messages.length, 0, 'nothing was sent to ourselves');
      // The same address on another port is not us (a content filter on 127.0.0.1:10025 is a classic setup).
      h.own[0].port = 1;
      const stranger = await h.transport.deliver(message(), rcpts('u@self.test'), ch);
      assert.deepEqual(summary(stranger), ['delivered 2.0.0']);
      assert.equal(sink.messages.length, 1);
    } finally {
      await h.stop();
      await sink.stop();
    }
  });

  test('Q2 we are a backup MX: the more preferred MX is tried, our own entry and worse ones are dropped; an unresolvable primary defers', async () => {
    const peer = await startPeer({ greeting: '421 4.3.2 primary busy' }, { address: '127.0.0.7' });
    const h = await harness(
      {
        records: {
          'backupmx.test': [
            { type: 'MX', data: { preference: 10, exchange: 'primary.backupmx.test' } },
            { type: 'MX', data: { preference: 20, exchange: 'me.backupmx.test' } },
          ],
          'primary.backupmx.test': [{ type: 'A', data: '127.0.0.7' }],
          'me.backupmx.test': [{ type: 'A', data: '127.0.0.8' }],
        },
      },
      { own: [{ address: '127.0.0.8', port: peer.port }] },
    );
    try {
      const res = await h.transport.deliver(message(), rcpts('u@backupmx.test'), channel({ port: peer.port }));
      assert.deepEqual(summary(res), ['deferred 4.3.2'], 'the primary was tried, we were not');
      assert.equal(res[0].remoteMta, 'primary.backupmx.test');
      assert.equal(res[0].diagnostic, '421 4.3.2 primary busy');
      assert.equal(peer.sessions.length, 1);
      // A wildcard listener (0.0.0.0) is every local address: the primary at 127.0.0.7 is us too.
      h.own[0] = { address: '0.0.0.0', port: peer.port };
      const wild = await h.transport.deliver(message(), rcpts('u@backupmx.test'), channel({ port: peer.port }));
      assert.deepEqual(summary(wild), ['failed 5.4.6']);
      assert.equal(peer.sessions.length, 1, 'no connection to ourselves');
      // The primary does not resolve just now: that is no loop, wait for it (Postfix: "unable to find primary relay").
      h.own[0] = { address: '127.0.0.8', port: peer.port };
      h.dns.zone.servfail = ['primary.backupmx.test'];
      const noPrimary = await h.transport.deliver(message(), rcpts('u@backupmx.test'), channel({ port: peer.port }));
      assert.deepEqual(summary(noPrimary), ['deferred 4.4.3']);
      assert.match(noPrimary[0].diagnostic, /unable to find the primary relay for backupmx\.test/);
    } finally {
      await h.stop();
      await peer.stop();
    }
  });

  test('Q2 next MX on a 4xx greeting; all MX hosts failing defers with the last reply', async () => {
    const busy = await startPeer({ greeting: '421 4.7.0 too busy' }, { address: '127.0.0.9' });
    const sink = await startSink({}, { address: '127.0.0.10', port: busy.port });
    const h = await harness({
      records: {
        'two.test': [
          { type: 'MX', data: { preference: 5, exchange: 'busy.two.test' } },
          { type: 'MX', data: { preference: 50, exchange: 'ok.two.test' } },
        ],
        'busy.two.test': [{ type: 'A', data: '127.0.0.9' }],
        'ok.two.test': [{ type: 'A', data: '127.0.0.10' }],
        'one.test': [{ type: 'MX', data: { preference: 5, exchange: 'busy.two.test' } }],
      },
    });
    try {
      const res = await h.transport.deliver(message(), rcpts('u@two.test'), channel({ port: busy.port }));
      assert.deepEqual(summary(res), ['delivered 2.0.0']);
      assert.equal(res[0].remoteMta, 'ok.two.test');
      assert.equal(sink.messages.length, 1);
      const only = byIndex(await h.transport.deliver(message(), rcpts('u@one.test'), channel({ port: busy.port })));
      assert.deepEqual(summary(only), ['deferred 4.7.0']);
      assert.equal(only[0].diagnostic, '421 4.7.0 too busy');
      assert.equal(only[0].fromPeer, true);
      assert.equal(only[0].remoteMta, 'busy.two.test');
    } finally {
      await h.stop();
      await sink.stop();
      await busy.stop();
    }
  });
});
