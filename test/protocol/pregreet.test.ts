// P4 early talkers (connect.pregreet) and what the wait costs: trusted clients
// (relay.lanNetworks, the R2 allow list) are never held, and an address that
// waited for the greeting once is remembered in the shared store for
// limits.pregreetPassTtlMs (Postfix postscreen_greet_ttl) and not held again.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listeners, start, type TestServer } from './support.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';
import { pregreetPassKey } from '../../src/policy/connect/pregreet.js';

const WAIT = 600;

/** Connects from `src`, reads the banner; the time it took. */
async function bannerAfter(ts: TestServer, src: string): Promise<number> {
  const t0 = Date.now();
  const c = await SmtpClient.connect(ts.ports.mx, { localAddress: src });
  try {
    const r = await c.reply();
    assert.equal(r.code, 220);
    return Date.now() - t0;
  } finally {
    c.close();
  }
}

describe('P4 pregreet test with a pass cache', () => {
  test('a client that waited once is not held again; one that talked early is dropped and held next time too', async () => {
    const ts = await start({ listeners: listeners({ mx: { pregreetWaitMs: WAIT } }) });
    try {
      assert.ok((await bannerAfter(ts, '127.0.0.3')) >= WAIT - 50, 'first connection: held for the test');
      assert.ok(await ts.server.store.get(pregreetPassKey('127.0.0.3')), 'the pass is in the shared store');
      assert.ok((await bannerAfter(ts, '127.0.0.3')) < WAIT / 2, 'second connection: greeted at once');

      const rude = await SmtpClient.connect(ts.ports.mx, { localAddress: '127.0.0.4' });
      rude.send('EHLO rude.client.test');
      assert.equal(codes(await rude.reply()), '554 5.5.1');
      await rude.waitClosed();
      assert.equal(await ts.server.store.get(pregreetPassKey('127.0.0.4')), undefined, 'no pass for an early talker');
      assert.ok((await bannerAfter(ts, '127.0.0.4')) >= WAIT - 50, 'an early talker is tested again');
      const logged = ts.logs.filter((l) => l.event === 'decision' && l.check === 'connect.pregreet');
      assert.deepEqual(logged.map((l) => [l.client, l.code, l.enhanced, l.feature, l.fault]), [['127.0.0.4', 554, '5.5.1', 'P4', 'client']]);
    } finally {
      await ts.stop();
    }
  });

  test('trusted clients are never held: relay.lanNetworks and the R2 allow list', async () => {
    const ts = await start({ listeners: listeners({ mx: { pregreetWaitMs: WAIT } }), relay: { lanNetworks: ['127.0.0.5/32'] } });
    try {
      assert.ok((await bannerAfter(ts, '127.0.0.5')) < WAIT / 2, 'LAN client greeted at once');
      await ts.server.access.add('allow', '127.0.0.6/32', { reason: 'partner' });
      assert.ok((await bannerAfter(ts, '127.0.0.6')) < WAIT / 2, 'allow-listed client greeted at once');
      assert.ok((await bannerAfter(ts, '127.0.0.7')) >= WAIT - 50, 'anyone else is tested');
    } finally {
      await ts.stop();
    }
  });

  test('limits.pregreetPassTtlMs: 0 tests every connection', async () => {
    const ts = await start({ listeners: listeners({ mx: { pregreetWaitMs: WAIT } }), limits: { pregreetPassTtlMs: 0 } });
    try {
      assert.ok((await bannerAfter(ts, '127.0.0.8')) >= WAIT - 50);
      assert.ok((await bannerAfter(ts, '127.0.0.8')) >= WAIT - 50, 'no pass is remembered');
    } finally {
      await ts.stop();
    }
  });
});
