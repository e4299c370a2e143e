// Q1 LMTP (RFC 2033): LHLO, one reply per accepted recipient after the data,
// over TCP ("[host]:port", no MX lookup) and over a unix socket (Dovecot style).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { harness, channel, message, rcpts, summary, byIndex, type Harness } from './support.js';
import { startPeer, type PeerScript } from '../helpers/smtp-peer.js';

const script: PeerScript = {
  lmtp: true,
  rcpt: (a) => (a.startsWith('nouser') ? '550 5.1.1 <nouser@local.test> unknown' : '250 2.1.5 ok'),
  // One reply per accepted recipient, in RCPT order (RFC 2033 4.2).
  dataDone: (accepted) => accepted.map((a) => (a.startsWith('full') ? '452 4.2.2 <full@local.test> mailbox full' : a.startsWith('bad') ? '554 5.6.0 <bad@local.test> refused content' : `250 2.0.0 <${a}> saved`)),
};

describe('Q1 LMTP delivery', { timeout: 60_000 }, () => {
  let h: Harness;
  let dir: string;
  before(async () => {
    h = await harness({ records: {} }, { cache: { idleMs: 2000 } });
    dir = mkdtempSync(join(tmpdir(), 'rampart-lmtp-'));
  });
  after(async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const list = () => rcpts('ok@local.test', 'full@local.test', 'nouser@local.test', 'bad@local.test', { address: 'ok2@local.test', notify: ['SUCCESS'] });
  const expected = ['delivered 2.0.0', 'deferred 4.2.2', 'failed 5.1.1', 'failed 5.6.0', 'delivered 2.0.0'];

  test('Q1 LMTP over TCP: LHLO, per-recipient replies after DATA; NOTIFY=SUCCESS is delivered (final delivery)', async () => {
    const peer = await startPeer(script);
    try {
      const res = byIndex(await h.transport.deliver(message(), list(), channel({ transport: 'lmtp', relayHost: `[127.0.0.1]:${peer.port}` }, 'local')));
      assert.deepEqual(summary(res), expected);
      assert.equal(res[1].diagnostic, '452 4.2.2 <full@local.test> mailbox full');
      assert.equal(res[0].diagnostic, '250 2.0.0 <ok@local.test> saved');
      assert.equal(res[0].remoteMta, '127.0.0.1');
      assert.equal(peer.sessions[0].commands[0], 'LHLO rampart.test');
      assert.deepEqual(peer.sessions[0].messages[0].rcpts, ['ok@local.test', 'full@local.test', 'bad@local.test', 'ok2@local.test']);
      assert.equal(h.dns.queries.length, 0, 'no DNS for an address literal');
    } finally {
      await peer.stop();
    }
  });

  test('Q1 LMTP over a unix socket (relayHost unix:/path)', async () => {
    const path = join(dir, 'lmtp.sock');
    const peer = await startPeer(script, { path });
    try {
      const res = byIndex(await h.transport.deliver(message(), list(), channel({ transport: 'lmtp', relayHost: `unix:${path}` }, 'local')));
      assert.deepEqual(summary(res), expected);
      assert.equal(res[0].remoteMta, path);
      assert.equal(peer.sessions[0].commands[0], 'LHLO rampart.test');
      // A second message reuses the connection (RSET between).
      const again = await h.transport.deliver(message(), rcpts('ok@local.test'), channel({ transport: 'lmtp', relayHost: `unix:${path}` }, 'local'));
      assert.deepEqual(summary(again), ['delivered 2.0.0']);
      assert.equal(peer.sessions.length, 1);
      assert.ok(peer.sessions[0].commands.includes('RSET'));
    } finally {
      await peer.stop();
    }
  });

  test('Q1 an LMTP socket that is not there: deferred 4.4.1 naming it', async () => {
    const path = join(dir, 'absent.sock');
    const res = await h.transport.deliver(message(), rcpts('ok@local.test'), channel({ transport: 'lmtp', relayHost: `unix:${path}` }, 'local'));
    assert.deepEqual(summary(res), ['deferred 4.4.1']);
    assert.match(res[0].diagnostic, /absent\.sock: ENOENT/);
  });
});
