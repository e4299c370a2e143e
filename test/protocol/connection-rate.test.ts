// P4 connection rate per client IP (connect.connectionRate, Postfix anvil
// smtpd_client_connection_rate_limit): new connections from one address within
// limits.connectionRateWindowMs are counted in the shared store; past
// limits.maxConnectionRatePerIp the connection gets 421 4.7.0 and is closed.
// Other addresses are not affected; LAN and allow-listed clients are exempt.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { start, type TestServer } from './support.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';

async function greeting(ts: TestServer, src: string): Promise<string> {
  const c = await SmtpClient.connect(ts.ports.mx, { localAddress: src });
  try {
    const r = await c.reply();
    if (r.code !== 220) await c.waitClosed();
    return codes(r);
  } finally {
    c.close();
  }
}

test('P4 connect.connectionRate: the 4th connection within the window gets 421 4.7.0; another IP and the LAN are not limited', async () => {
  const ts = await start({ limits: { maxConnectionRatePerIp: 3, connectionRateWindowMs: 60000 }, relay: { lanNetworks: ['127.0.0.12/32'] } });
  try {
    for (let i = 0; i < 3; i++) assert.equal(await greeting(ts, '127.0.0.10'), '220 -', `connection ${i + 1}`);
    assert.equal(await greeting(ts, '127.0.0.10'), '421 4.7.0');
    assert.equal(await greeting(ts, '127.0.0.10'), '421 4.7.0', 'refused attempts count too: a hammering client stays refused');
    assert.equal(await greeting(ts, '127.0.0.11'), '220 -', 'another address has its own count');
    for (let i = 0; i < 5; i++) assert.equal(await greeting(ts, '127.0.0.12'), '220 -', 'LAN clients are exempt');
    const logged = ts.logs.filter((l) => l.event === 'decision' && l.check === 'connect.connectionRate');
    assert.equal(logged.length, 2);
    assert.deepEqual([logged[0].client, logged[0].feature, logged[0].action, logged[0].fault], ['127.0.0.10', 'P4', 'drop', 'client']);
  } finally {
    await ts.stop();
  }
});

test('P4 connect.connectionRate in warn mode: logged, the connection is served', async () => {
  const ts = await start({ limits: { maxConnectionRatePerIp: 1 }, policy: { warn: ['connect.connectionRate'] } });
  try {
    assert.equal(await greeting(ts, '127.0.0.13'), '220 -');
    assert.equal(await greeting(ts, '127.0.0.13'), '220 -');
    const logged = ts.logs.filter((l) => l.event === 'decision' && l.check === 'connect.connectionRate');
    assert.deepEqual(logged.map((l) => l.warn), [true]);
  } finally {
    await ts.stop();
  }
});
