// H5 end to end: refused commands and recipients are counted per session; at
// limits.maxFailedCommands the client gets 421 4.7.0 and is disconnected, the
// decision is logged, and an abuse event goes to the H6 listeners.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AbuseEvent } from '../../src/policy/abuse.js';
import { start, listeners } from '../protocol/support.js';
import { ehlo, decisions, python, USERS, type TestServer } from './support.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;

function collect(ts: TestServer): AbuseEvent[] {
  const events: AbuseEvent[] = [];
  ts.server.abuse.subscribe((e) => void events.push(e));
  return events;
}

describe('H5 failed commands and recipients', { timeout: 60_000 }, () => {
  test('H5 every kind of refusal counts: unknown command, syntax error, bad sequence, refused RCPT, failed AUTH; the 5th gets 421 4.7.0', async () => {
    // Loopback in the LAN here: a LAN client is reported as trusted (H6 never denies it).
    const ts = await start({ limits: { maxFailedCommands: 5 }, relay: { lanNetworks: ['127.0.0.1/32'] }, listeners: listeners({ mx: { allowInsecureAuth: true } }) });
    const events = collect(ts);
    const c = await ehlo(ts.ports.mx);
    try {
      assert.equal(codes(await c.cmd('FOO bar')), '500 5.5.1'); // 1 unknown command
      assert.equal(codes(await c.cmd('MAIL FROM:bad')), '501 5.1.7'); // 2 syntax error
      assert.equal(codes(await c.cmd('RCPT TO:<x@example.test>')), '503 5.5.1'); // 3 bad sequence
      assert.equal(codes(await c.cmd('MAIL FROM:<u@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd('RCPT TO:<nobody@example.test>')), '550 5.1.1'); // 4 refused recipient
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      assert.equal(codes(await c.cmd('RSET')), '250 2.0.0');
      const auth = await c.cmd(`AUTH PLAIN ${Buffer.from(`\0${ALICE}\0wrong-password`).toString('base64')}`);
      assert.equal(codes(auth), '535 5.7.8'); // 5 failed AUTH
      const bye = await c.reply();
      assert.equal(codes(bye), '421 4.7.0');
      await c.waitClosed();
    } finally {
      c.close();
    }
    const l = decisions(ts, 'session.maxFailedCommands');
    assert.equal(l.length, 1);
    assert.equal(l[0].feature, 'H5');
    assert.equal(l[0].action, 'drop');
    assert.equal(l[0].code, 421);
    assert.equal(l[0].enhanced, '4.7.0');
    assert.deepEqual(events.map((e) => [e.kind, e.feature, e.ip, e.trusted]), [['failed-commands', 'H5', '127.0.0.1', true]]);
    await ts.stop();
  });

  test('H5 pipelined junk: exactly N refusals are answered, then 421 and close; the rest is never executed', async () => {
    const ts = await start({ limits: { maxFailedCommands: 4 } });
    const c = await ehlo(ts.ports.mx);
    try {
      c.write(Array.from({ length: 10 }, (_, i) => `JUNK${i}\r\n`).join('') + 'MAIL FROM:<u@client.test>\r\n');
      const replies = [];
      for (let i = 0; i < 5; i++) replies.push(codes(await c.reply()));
      assert.deepEqual(replies, ['500 5.5.1', '500 5.5.1', '500 5.5.1', '500 5.5.1', '421 4.7.0']);
      await c.waitClosed();
      await assert.rejects(c.reply(200), /closed/);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('H5 an outside client is reported untrusted (H6 may deny it); 452 4.5.3 (H7) is flow control and not counted', async () => {
    // The test harness's LAN is 192.0.2.0/24: the loopback client is an outside client.
    const ts = await start({ limits: { maxFailedCommands: 3, maxRecipients: 1 }, access: { autoDeny: { enabled: false } } });
    const events = collect(ts);
    const c = await ehlo(ts.ports.mx);
    try {
      assert.equal(codes(await c.cmd('MAIL FROM:<u@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      for (let i = 0; i < 5; i++) assert.equal(codes(await c.cmd(`RCPT TO:<${USERS.bob.address}>`)), '452 4.5.3');
      assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0', 'still connected after five 452s');
      assert.equal(codes(await c.cmd('RSET')), '250 2.0.0');
      for (let i = 0; i < 2; i++) assert.equal(codes(await c.cmd('BOGUS')), '500 5.5.1');
      assert.equal(codes(await c.cmd('MAIL FROM:<u@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd('RCPT TO:<relay@remote.example>')), '554 5.7.1'); // 3rd refusal: relay denied
      assert.equal(codes(await c.reply()), '421 4.7.0');
      await c.waitClosed();
    } finally {
      c.close();
      await ts.stop();
    }
    assert.deepEqual(events.map((e) => [e.kind, e.ip, e.trusted]), [['failed-commands', '127.0.0.1', false]]);
  });

  test('H5 warn mode: logged once, no disconnect, no abuse event; 0 turns the limit off', async () => {
    const ts = await start({ limits: { maxFailedCommands: 2 }, policy: { warn: ['session.maxFailedCommands'] } });
    const events = collect(ts);
    const c = await ehlo(ts.ports.mx);
    try {
      for (let i = 0; i < 6; i++) assert.equal(codes(await c.cmd('BOGUS')), '500 5.5.1');
      assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0');
    } finally {
      c.close();
    }
    const l = decisions(ts, 'session.maxFailedCommands');
    assert.equal(l.length, 1);
    assert.equal(l[0].warn, true);
    assert.equal(events.length, 0);
    await ts.stop();

    const off = await start({ limits: { maxFailedCommands: 0 } });
    const c2 = await ehlo(off.ports.mx);
    try {
      for (let i = 0; i < 30; i++) assert.equal(codes(await c2.cmd('BOGUS')), '500 5.5.1');
      assert.equal(codes(await c2.cmd('NOOP')), '250 2.0.0');
    } finally {
      c2.close();
      await off.stop();
    }
  });

  test('H5 default 20, with python3 smtplib sending unknown recipients in one session', async () => {
    const ts = await start();
    try {
      const r = await python<{ codes: number[]; error?: string }>(
        String.raw`
import json, os, smtplib
a = json.load(open(os.environ['ARGS_FILE']))
out = {'codes': []}
try:
    s = smtplib.SMTP('127.0.0.1', a['port'], local_hostname='py.client.test', timeout=10)
    s.ehlo()
    s.mail('sender@client.test')
    for i in range(25):
        code, msg = s.rcpt('nobody%d@example.test' % i)
        out['codes'].append(code)
        if code == 421:
            break
except smtplib.SMTPServerDisconnected as e:
    out['error'] = 'disconnected'
print(json.dumps(out))
`,
        { port: ts.ports.mx },
      );
      assert.deepEqual(r.codes.slice(0, 20), Array(20).fill(550));
      assert.ok(r.codes[20] === 421 || r.error === 'disconnected', JSON.stringify(r));
      assert.equal(decisions(ts, 'session.maxFailedCommands').length, 1);
    } finally {
      await ts.stop();
    }
  });
});

test('H5 refusals before EHLO count too', { timeout: 10_000 }, async () => {
  const ts = await start({ limits: { maxFailedCommands: 2 } });
  const c = await SmtpClient.connect(ts.ports.mx);
  try {
    await c.reply();
    assert.equal(codes(await c.cmd('MAIL FROM:<u@client.test>')), '503 5.5.1'); // before EHLO
    assert.equal(codes(await c.cmd('DATA')), '503 5.5.1');
    assert.equal(codes(await c.reply()), '421 4.7.0');
    await c.waitClosed();
  } finally {
    c.close();
    await ts.stop();
  }
});
