// R7 catchalls over SMTP: unknown local parts of a domain with a catchall are
// accepted and land in the target mailbox; without one (or with
// relay.disableAllCatchalls) they get 550 5.1.1 at RCPT.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { start, smtplib, swaks, mailbox, splitDelivered, type TestServer } from '../protocol/support.js';
import { ehloClient, codes } from '../helpers/smtp-client.js';
import { startSink } from '../delivery/support.js';

async function rcpt(ts: TestServer, to: string): Promise<string> {
  const { c } = await ehloClient(ts.ports.mx);
  try {
    assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test>')), '250 2.1.0');
    return codes(await c.cmd(`RCPT TO:<${to}>`));
  } finally {
    c.close();
  }
}

describe('R7 catchalls', { timeout: 60_000 }, () => {
  test('without a catchall an unknown user gets 550 5.1.1; with one it is accepted and delivered to the target', async () => {
    const ts = await start();
    try {
      assert.equal(await rcpt(ts, 'nobody@example.test'), '550 5.1.1');
      ts.server.directory.catchalls.set('example.test', 'bob@example.test');
      assert.equal(await rcpt(ts, 'nobody@example.test'), '250 2.1.5', 'the directory is read per RCPT');
      assert.equal(await rcpt(ts, 'alice@example.test'), '250 2.1.5');

      const msg = Buffer.from('From: sender@client.test\r\nTo: nobody@example.test\r\nSubject: caught\r\n\r\nfor nobody\r\n');
      const r = await smtplib({ port: ts.ports.mx, from: 'sender@client.test', to: ['nobody@example.test', 'alice@example.test'], msg });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      assert.deepEqual(r.refused, {});
      const bob = await mailbox(ts, 'bob@example.test', 1);
      assert.equal(bob.length, 1);
      const d = splitDelivered(bob[0]);
      assert.equal(d.returnPath, 'sender@client.test');
      assert.equal(d.deliveredTo, 'bob@example.test');
      assert.match(d.received, /for <nobody@example\.test>|with ESMTP/);
      assert.ok(d.message.equals(msg), 'message body byte-exact');
      assert.equal((await mailbox(ts, 'alice@example.test', 1)).length, 1, 'the real mailbox got its own copy');

      // swaks, to a quoted local part: a catchall takes any local part of its domain.
      const sw = await swaks(ts.ports.mx, ['--from', 'sender@client.test', '--to', 'whoever.else@EXAMPLE.TEST', '--body', 'second']);
      assert.equal(sw.code, 0, sw.stdout + sw.stderr);
      assert.equal((await mailbox(ts, 'bob@example.test', 2)).length, 2);

      ts.server.directory.catchalls.unset('example.test');
      assert.equal(await rcpt(ts, 'nobody@example.test'), '550 5.1.1');
    } finally {
      await ts.stop();
    }
  });

  test('relay.disableAllCatchalls: true refuses unknown users with 550 5.1.1 even when a catchall is set', async () => {
    const ts = await start({ relay: { disableAllCatchalls: true } });
    try {
      ts.server.directory.catchalls.set('example.test', 'bob@example.test');
      assert.equal(await rcpt(ts, 'nobody@example.test'), '550 5.1.1');
      assert.equal(await rcpt(ts, 'bob@example.test'), '250 2.1.5');
      const d = ts.logs.find((l) => l.event === 'decision' && l.check === 'rcpt.localRecipient');
      assert.equal(d?.feature, 'R7');
      assert.match(String(d?.reason), /catchalls disabled/);
    } finally {
      await ts.stop();
    }
  });

  test('Q1 a remote catchall target is accepted at RCPT and forwarded as a new queued message, delivered to its MX', async () => {
    const sink = await startSink();
    const ts = await start({ channels: { smtp: { port: sink.port } } });
    ts.dns!.zone.records['remote.test'] = [{ type: 'A', data: '127.0.0.1' }];
    try {
      ts.server.directory.catchalls.set('example.test', 'someone@remote.test');
      const r = await smtplib({ port: ts.ports.mx, from: 'sender@client.test', to: ['nobody@example.test'], msg: Buffer.from('Subject: x\r\n\r\nx\r\n') });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      await ts.delivered();
      const fwd = ts.logs.find((l) => l.event === 'forwarded');
      assert.ok(fwd, 'forwarded');
      assert.deepEqual(fwd.to, ['someone@remote.test']);
      assert.deepEqual(readdirSync(join(ts.dataDir, 'spool', 'queue')), [], 'the original and the copy are done');
      assert.ok(ts.logs.some((l) => l.event === 'delivered' && l.queueId === fwd.newId && l.rcpt === 'someone@remote.test' && l.channel === 'smtp'));
      assert.equal(sink.messages.length, 1);
      assert.deepEqual([sink.messages[0].mailFrom, sink.messages[0].rcpts], ['sender@client.test', ['someone@remote.test']]);
      assert.match(sink.messages[0].data.toString('latin1'), /^Delivered-To: nobody@example\.test\r\n/);
    } finally {
      await ts.stop();
      await sink.stop();
    }
  });
});
