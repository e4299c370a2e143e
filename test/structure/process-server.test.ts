// The process-server helper (test/helpers/process-server.ts) picks a free port
// before the server binds it; another process can take it in between. start()
// must then neither hang nor talk to the other process: it waits for the
// server's own "Rampart is running" line and moves to another port.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ProcessServer } from '../helpers/process-server.js';
import { SmtpClient } from '../helpers/smtp-client.js';

test('ProcessServer: a port taken before the first start is left for another; the server answers on its own', async () => {
  const ps = await ProcessServer.create();
  const squatter = createServer((s) => s.end('not rampart\r\n'));
  await new Promise<void>((r) => squatter.listen(ps.port, '127.0.0.1', r));
  const taken = ps.port;
  try {
    await ps.start();
    assert.notEqual(ps.port, taken);
    const c = await SmtpClient.connect(ps.port);
    try {
      assert.match((await c.reply()).text, /mx\.rampart\.test/);
    } finally {
      c.close();
    }
    assert.equal(await ps.signal('SIGTERM'), 0);
  } finally {
    squatter.close();
    ps.cleanup();
  }
});
