// Defect 4 of issue 9: a hung Redis (SIGSTOPped: connected, never answering) must cost
// a check state.commandTimeoutMs, not the policy runner's 30 s; the check fails closed
// (451 4.3.0 naming itself) and the store error is counted. SIGCONT and it works again.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { start, USERS } from '../protocol/support.js';
import { SmtpClient, ehloClient, codes } from '../helpers/smtp-client.js';
import { startRedis } from '../helpers/redis.js';
import { validateConfig } from '../../src/config/load.js';

describe('C1 a hung Redis (issue 9, defect 4)', { timeout: 60_000 }, () => {
  test('state.commandTimeoutMs: default 2000, bounds named', () => {
    const base = { listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }] };
    assert.equal(validateConfig(base, 't', '/tmp').state.commandTimeoutMs, 2000);
    assert.throws(() => validateConfig({ ...base, state: { commandTimeoutMs: 10 } }, 't', '/tmp'), /state\.commandTimeoutMs: /);
  });

  test('SIGSTOPped redis-server: DATA gets 451 4.3.0 from data.largeMessageSafety in about commandTimeoutMs; SIGCONT and mail flows again', async () => {
    const redis = await startRedis();
    const ts = await start({ state: { redis: redis.url, commandTimeoutMs: 800 } });
    try {
      const { c } = await ehloClient(ts.ports.mx);
      try {
        assert.deepEqual((await c.pipeline(['MAIL FROM:<sender@client.test>', `RCPT TO:<${USERS.alice.address}>`])).map(codes), ['250 2.1.0', '250 2.1.5']);
        const errors = ts.server.store.errors;
        const before = { total: errors.total, timeouts: errors.timeouts };
        redis.pause();
        const t0 = Date.now();
        const r = await c.cmd('DATA', 10_000);
        const took = Date.now() - t0;
        assert.equal(codes(r), '451 4.3.0', r.text);
        assert.ok(took >= 700 && took < 4000, `answered after ${took} ms (commandTimeoutMs 800; the runner's limit is 30 s)`);
        assert.equal(errors.total, before.total + 1, 'the failed store call is counted');
        assert.equal(errors.timeouts, before.timeouts + 1, 'as a timeout');
        assert.match(await ts.server.metrics.text(), /^rampart_store_timeouts_total\{op="\w+"\} 1$/m, 'and the metrics read that count');
        const d = ts.logs.find((l) => l.event === 'decision' && l.check === 'data.largeMessageSafety');
        assert.ok(d, 'the decision names the check');
        assert.equal(d.action, 'tempfail');
        assert.match(String(d.reason), /check failed: .*timed out/i);

        redis.resume();
        assert.deepEqual((await c.pipeline(['RSET', 'MAIL FROM:<sender@client.test>', `RCPT TO:<${USERS.alice.address}>`, 'DATA'])).map(codes), ['250 2.0.0', '250 2.1.0', '250 2.1.5', '354 -']);
        c.write('Subject: after the hang\r\n\r\nbody\r\n.\r\n');
        assert.equal(codes(await c.reply()), '250 2.0.0');
      } finally {
        c.close();
      }
    } finally {
      redis.resume();
      await ts.stop();
      await redis.stop();
    }
  });
  test('SIGSTOPped redis-server at connect: connect.connectionRate answers 421 4.3.0 in about commandTimeoutMs (never a free pass, never the client\'s fault); SIGCONT and clients are greeted again', async () => {
    const redis = await startRedis();
    const ts = await start({ state: { redis: redis.url, commandTimeoutMs: 800 }, limits: { maxConnectionRatePerIp: 100 } });
    const greeting = async (): Promise<string> => {
      const c = await SmtpClient.connect(ts.ports.mx, { localAddress: '127.0.0.20' });
      try {
        const r = await c.reply(10_000);
        if (r.code !== 220) await c.waitClosed();
        return codes(r);
      } finally {
        c.close();
      }
    };
    try {
      assert.equal(await greeting(), '220 -');
      redis.pause();
      const t0 = Date.now();
      assert.equal(await greeting(), '421 4.3.0');
      const took = Date.now() - t0;
      assert.ok(took >= 700 && took < 4000, `answered after ${took} ms (commandTimeoutMs 800)`);
      const d = ts.logs.find((l) => l.event === 'decision' && l.check === 'connect.connectionRate');
      assert.ok(d, 'the decision names the check');
      assert.equal(d.fault, 'server', 'our store, not the client: nothing counts toward a ban');
      redis.resume();
      assert.equal(await greeting(), '220 -');
    } finally {
      redis.resume();
      await ts.stop();
      await redis.stop();
    }
  });
});
