// Q2/Q3 reload and the network transport: the transport reads hostname and
// channel settings at each use, so after a reload the next delivery says the new
// EHLO name and goes to the channel's new port (never over a connection cached
// under the old settings); channel warnings (a smarthost password file that
// cannot be read) are logged at start and again at each reload.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { startServer } from '../../src/main.js';
import { startDns } from '../../src/bench/loopback-dns.js';
import { startPeer } from '../helpers/smtp-peer.js';
import { mxTo, sendLan } from './remote-support.js';
import { until } from '../helpers/until.js';

test('Q2/Q3 reload: new hostname and channel port apply to the next delivery; channel warnings at start and at reload', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-reload-out-'));
  const dns = await startDns({ records: mxTo('peer.test') });
  const first = await startPeer();
  const second = await startPeer();
  const configFile = join(dir, 'rampart.yaml');
  const write = (hostname: string, port: number) =>
    writeFileSync(
      configFile,
      stringify({
        hostname,
        dataDir: './data',
        listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0 }],
        relay: { lanNetworks: ['127.0.0.1/32'] },
        policy: { senderDomainResolvable: false },
        timeouts: { shutdownMs: 1500 },
        dns: { servers: [dns.server], timeoutMs: 500, tries: 1 },
        delivery: { connectionCache: { idleMs: 60_000 } }, // a cached connection would still be there
        channels: { smtp: { port }, smarthost: { relayHost: '[192.0.2.25]:587', auth: { user: 'relay-user', passwordFile: join(dir, 'missing-password') } } },
      }),
    );
  write('one.rampart.test', first.port);
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const snap = loadConfigFile(configFile);
  const server = await startServer(snap, { configPath: configFile, log: createLogger('info', sink) });
  const warnings = () => logs.filter((l) => l.event === 'config' && /^channels\.smarthost\.auth\.passwordFile: cannot read /.test(String(l.warning)));
  try {
    assert.equal(warnings().length, 1, 'warned at start');
    await sendLan(server.ports.mx, { from: 'pc@lan.test', to: ['a@peer.test'], data: 'Subject: before\r\n\r\nbody' });
    await until('first delivery', () => first.sessions.some((s) => s.messages.length === 1));
    assert.equal(first.sessions[0].commands[0], 'EHLO one.rampart.test');

    write('two.rampart.test', second.port);
    server.reload();
    assert.equal(warnings().length, 2, 'warned again at reload');
    await sendLan(server.ports.mx, { from: 'pc@lan.test', to: ['b@peer.test'], data: 'Subject: after\r\n\r\nbody' });
    await until('second delivery', () => second.sessions.some((s) => s.messages.length === 1));
    assert.equal(second.sessions[0].commands[0], 'EHLO two.rampart.test');
    assert.equal(first.sessions.flatMap((s) => s.messages).length, 1, 'nothing more to the old port');
  } finally {
    await server.stop();
    await Promise.all([first.stop(), second.stop(), dns.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
});
