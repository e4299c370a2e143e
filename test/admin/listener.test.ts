// The admin listener's life: absent without an admin section, on every address of
// admin.addresses (one port), a clear start-up error when its port is taken (and the
// SMTP listeners are closed again), gone after stop.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { startTestServer } from '../helpers/server.js';
import { startAdminTestServer } from '../helpers/admin.js';
import { freePort } from '../helpers/process-server.js';

function refused(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}

test('no admin section: no admin listener', async () => {
  const ts = await startTestServer();
  try {
    assert.equal(ts.server.adminPort, undefined);
    assert.equal(ts.server.config().admin, undefined);
  } finally {
    await ts.stop();
  }
});

test('every address of admin.addresses serves the API on the same port; closed after stop', async () => {
  const ts = await startAdminTestServer({ admin: { addresses: ['127.0.0.1', '::1'], port: 0 } });
  const port = ts.server.adminPort!;
  try {
    for (const host of ['127.0.0.1', '[::1]']) {
      const r = await fetch(`http://${host}:${port}/api/v1/domains`, { headers: { authorization: `Bearer ${ts.token}` } });
      assert.equal(r.status, 200, host);
    }
  } finally {
    await ts.stop();
  }
  assert.ok(await refused(port), 'admin port closed after stop');
});

test('a taken admin port stops start-up with a clear error, and the SMTP listeners are released', async () => {
  const blocker = createServer();
  const port = await freePort();
  await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
  const smtpPort = await freePort();
  try {
    await assert.rejects(
      startTestServer({ admin: { port }, listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: smtpPort }] }),
      new RegExp(`^Error: cannot start listeners: admin listener: listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${port}$`),
    );
    assert.ok(await refused(smtpPort), 'the SMTP listener was closed again');
  } finally {
    blocker.close();
  }
});
