// R6 address spoofing (envelope sender in a local domain), R8 domain literals and
// R9 hidden client IP in Received, with swaks, python3 smtplib and a raw client.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { start, listeners, mailbox, splitDelivered, smtplib, swaks, swaksReplies, USERS } from '../protocol/support.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice;
const BOB = USERS.bob;
const UNTRUSTED = { relay: { lanNetworks: ['192.0.2.0/24'] } };

async function mailFrom(port: number, from: string): Promise<string> {
  const c = await SmtpClient.connect(port);
  try {
    await c.reply();
    await c.cmd('EHLO client.test');
    return codes(await c.cmd(`MAIL FROM:<${from}>`));
  } finally {
    c.close();
  }
}

describe('R6 relay.spoofing', { timeout: 120_000 }, () => {
  test('default "authenticated": unauthenticated local senders 553 5.7.1 on mx; others and <> pass', async () => {
    const ts = await start(UNTRUSTED);
    try {
      assert.equal(await mailFrom(ts.ports.mx, ALICE.address), '553 5.7.1');
      assert.equal(await mailFrom(ts.ports.mx, 'ALICE@Example.Test'), '553 5.7.1');
      assert.equal(await mailFrom(ts.ports.mx, 'ghost@example.test'), '553 5.7.1');
      assert.equal(await mailFrom(ts.ports.mx, 'someone@client.test'), '250 2.1.0');
      assert.equal(await mailFrom(ts.ports.mx, ''), '250 2.1.0');
      const d = ts.logs.find((l) => l.event === 'decision' && l.check === 'mail.spoofing')!;
      assert.equal(d.feature, 'R6');
      const sw = await swaks(ts.ports.mx, ['--from', ALICE.address, '--to', BOB.address]);
      assert.notEqual(sw.code, 0);
      assert.ok(swaksReplies(sw.stdout).some((l) => /^553 5\.7\.1 /.test(l)), sw.stdout);
    } finally {
      await ts.stop();
    }
  });

  test('"authenticated": own mailbox and aliases expanding to it pass; another user\'s address 553 5.7.1 (swaks, smtplib)', async () => {
    const ts = await start(UNTRUSTED);
    try {
      const auth = (from: string, user = ALICE) =>
        swaks(ts.ports.submission, ['--tls', '--auth', 'PLAIN', '--auth-user', user.address, '--auth-password', user.password, '--from', from, '--to', BOB.address, '--body', `from ${from}`]);
      assert.equal((await auth(ALICE.address)).code, 0);
      assert.equal((await auth('postmaster@example.test')).code, 0, 'alias -> alice');
      assert.equal((await auth('team@example.test', BOB)).code, 0, 'alias -> alice, bob');
      const bad = await auth(BOB.address);
      assert.notEqual(bad.code, 0);
      assert.ok(swaksReplies(bad.stdout).some((l) => /^553 5\.7\.1 /.test(l)), bad.stdout);
      const py = await smtplib({ port: ts.ports.submissions, tls: 'implicit', auth: { mech: 'LOGIN', user: BOB.address, password: BOB.password }, from: 'postmaster@example.test', to: [ALICE.address], msg: Buffer.from('Subject: x\r\n\r\n.\r\n') });
      assert.equal(py.error?.type, 'SMTPSenderRefused');
      assert.equal(py.error?.code, 553);
      assert.match(py.error?.text ?? '', /^5\.7\.1 /);
      assert.equal((await mailbox(ts, BOB.address, 3)).length, 3);
    } finally {
      await ts.stop();
    }
  });

  test('"authorized": privileged networks without AUTH, and authenticated users with any local address', async () => {
    const ts = await start({ relay: { lanNetworks: ['192.0.2.0/24'], spoofing: 'authorized', privilegedNetworks: ['127.0.0.1'] } });
    try {
      assert.equal(await mailFrom(ts.ports.mx, BOB.address), '250 2.1.0');
      const r = await swaks(ts.ports.submission, ['--tls', '--auth', 'LOGIN', '--auth-user', ALICE.address, '--auth-password', ALICE.password, '--from', BOB.address, '--to', BOB.address]);
      assert.equal(r.code, 0, r.stdout);
    } finally {
      await ts.stop();
    }
    const np = await start({ relay: { lanNetworks: ['192.0.2.0/24'], spoofing: 'authorized', privilegedNetworks: ['192.0.2.0/24'] } });
    try {
      assert.equal(await mailFrom(np.ports.mx, BOB.address), '553 5.7.1');
    } finally {
      await np.stop();
    }
    const any = await start({ relay: { lanNetworks: ['192.0.2.0/24'], spoofing: 'anyone' } });
    try {
      assert.equal(await mailFrom(any.ports.mx, BOB.address), '250 2.1.0');
    } finally {
      await any.stop();
    }
  });
});

describe('R8 relay.domainLiterals', { timeout: 120_000 }, () => {
  test('on: user@[our address] is delivered to user@relay.domainLiterals.domain; other literals 554 5.7.1', async () => {
    const ts = await start({ ...UNTRUSTED, relay: { lanNetworks: ['192.0.2.0/24'], domainLiterals: { enabled: true, domain: 'example.test', extra: ['198.51.100.25'] } } });
    try {
      const r = await smtplib({ port: ts.ports.mx, from: 'sender@client.test', to: ['alice@[127.0.0.1]', 'bob@[IPv6:::ffff:127.0.0.1]', 'alice@[198.51.100.25]'], msg: Buffer.from('Subject: literal\r\n\r\nhi\r\n') });
      assert.equal(r.error, undefined, JSON.stringify(r));
      assert.deepEqual(r.refused, {});
      const c = await SmtpClient.connect(ts.ports.mx);
      try {
        await c.reply();
        await c.cmd('EHLO client.test');
        await c.cmd('MAIL FROM:<sender@client.test>');
        assert.equal(codes(await c.cmd('RCPT TO:<alice@[192.0.2.200]>')), '554 5.7.1', 'not ours');
        assert.equal(codes(await c.cmd('RCPT TO:<nobody@[127.0.0.1]>')), '550 5.1.1', 'ours, unknown user');
        assert.equal(codes(await c.cmd('RCPT TO:<alice@[x-ours:127.0.0.1]>')), '554 5.7.1', 'general literal');
      } finally {
        c.close();
      }
      const alice = await mailbox(ts, ALICE.address, 2);
      assert.equal(alice.length, 1, 'one copy for alice (two literal forms of the same mailbox)');
      assert.match(splitDelivered(alice[0]).deliveredTo, /^alice@example\.test$/);
      assert.equal((await mailbox(ts, BOB.address, 1)).length, 1);
    } finally {
      await ts.stop();
    }
  });

  test('off (default): every literal is refused 554 5.7.1, even for authenticated users', async () => {
    const ts = await start(UNTRUSTED);
    try {
      const r = await swaks(ts.ports.submission, ['--tls', '--auth', 'PLAIN', '--auth-user', ALICE.address, '--auth-password', ALICE.password, '--from', ALICE.address, '--to', 'alice@[127.0.0.1]']);
      assert.notEqual(r.code, 0);
      assert.ok(swaksReplies(r.stdout).some((l) => /^554 5\.7\.1 /.test(l)), r.stdout);
    } finally {
      await ts.stop();
    }
  });
});

describe('R9 listeners[].hideClientIp', { timeout: 120_000 }, () => {
  test('the Received header names no client IP on a listener that hides it, and still does elsewhere', async () => {
    const ts = await start({ ...UNTRUSTED, listeners: listeners({ submission: { hideClientIp: true } }) });
    try {
      const hidden = await swaks(ts.ports.submission, ['--tls', '--auth', 'PLAIN', '--auth-user', ALICE.address, '--auth-password', ALICE.password, '--from', ALICE.address, '--to', BOB.address, '--helo', '[127.0.0.1]', '--body', 'hidden']);
      assert.equal(hidden.code, 0, hidden.stdout);
      const shown = await swaks(ts.ports.mx, ['--from', 'x@client.test', '--to', BOB.address, '--body', 'shown']);
      assert.equal(shown.code, 0, shown.stdout);
      const files = (await mailbox(ts, BOB.address, 2)).map((f) => splitDelivered(f));
      const h = files.find((f) => f.message.toString().includes('hidden'))!;
      const s = files.find((f) => f.message.toString().includes('shown'))!;
      assert.doesNotMatch(h.received, /127\.0\.0\.1/);
      assert.match(h.received, /^Received: from unknown\r\n\tby mx\.rampart\.test \(using TLSv1\.[23] with cipher \S+\) with ESMTPSA id /);
      assert.match(s.received, /^Received: from swaks\.client\.test \(\[127\.0\.0\.1\]\)/);
      assert.ok(ts.logs.some((l) => l.event === 'connection' && l.listener === 'submission' && l.client === '127.0.0.1'), 'the log keeps the IP');
    } finally {
      await ts.stop();
    }
  });
});
