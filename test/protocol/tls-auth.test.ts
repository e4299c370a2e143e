// P1/P2 STARTTLS and implicit TLS, AUTH PLAIN/LOGIN (RFC 4954) with swaks, python3
// smtplib, nodemailer and a raw socket; P6 with-types in the Received field; the
// RFC 3207 rule that commands pipelined after STARTTLS are discarded.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { start, listeners, mailbox, splitDelivered, smtplib, swaks, swaksReplies, USERS } from './support.js';
import { SmtpClient, ehloClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice;
const BOB = USERS.bob.address;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('TLS and AUTH', { timeout: 60_000 }, () => {
  test('P1 STARTTLS on mx with swaks --tls: AUTH offered only after TLS, message delivered "with ESMTPS"', async () => {
    const ts = await start();
    try {
      const r = await swaks(ts.ports.mx, ['--tls', '--from', 'sender@client.test', '--to', BOB, '--body', 'over TLS']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const replies = swaksReplies(r.stdout);
      assert.ok(replies.includes('220 2.0.0 Ready to start TLS'), replies.join('\n'));
      const ehlos = r.stdout.split('\n').filter((l) => /^<[-~] +250[- ]AUTH /.test(l));
      assert.equal(ehlos.length, 1, 'AUTH listed once, after TLS');
      assert.match(ehlos[0], /^<~ /);
      assert.match(r.stdout, /^=== TLS started with cipher TLSv1\.[23]/m);
      const files = await mailbox(ts, BOB, 1);
      assert.equal(files.length, 1);
      assert.match(splitDelivered(files[0]).received, /\(using TLSv1\.[23] with cipher \S+\) with ESMTPS id /);
    } finally {
      await ts.stop();
    }
  });

  test('P2 submission with swaks: STARTTLS + AUTH PLAIN 235 2.7.0, Received "with ESMTPSA"; wrong password 535 5.7.8', async () => {
    const ts = await start();
    try {
      const ok = await swaks(ts.ports.submission, ['--tls', '--auth', 'PLAIN', '--auth-user', ALICE.address, '--auth-password', ALICE.password, '--from', ALICE.address, '--to', BOB, '--body', 'submitted']);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.ok(swaksReplies(ok.stdout).includes('235 2.7.0 Authentication successful'), ok.stdout);
      const bad = await swaks(ts.ports.submission, ['--tls', '--auth', 'LOGIN', '--auth-user', ALICE.address, '--auth-password', 'wrong-password', '--from', ALICE.address, '--to', BOB, '--body', 'nope']);
      assert.notEqual(bad.code, 0);
      assert.ok(swaksReplies(bad.stdout).some((l) => /^535 5\.7\.8 /.test(l)), bad.stdout);
      const files = await mailbox(ts, BOB, 1);
      assert.equal(files.length, 1);
      assert.match(splitDelivered(files[0]).received, / with ESMTPSA id /);
    } finally {
      await ts.stop();
    }
  });

  test('P2 implicit TLS on submissions: swaks --tlsc with AUTH LOGIN, nodemailer secure:true with AUTH PLAIN', async () => {
    const ts = await start();
    try {
      const r = await swaks(ts.ports.submissions, ['--tlsc', '--auth', 'LOGIN', '--auth-user', ALICE.address, '--auth-password', ALICE.password, '--from', ALICE.address, '--to', BOB, '--body', 'implicit tls swaks']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(swaksReplies(r.stdout).includes('235 2.7.0 Authentication successful'), r.stdout);
      assert.ok(!/STARTTLS/.test(r.stdout.split('\n').filter((l) => /^<~ +250/.test(l)).join('\n')), 'no STARTTLS offered inside TLS');
      const t = nodemailer.createTransport({ host: '127.0.0.1', port: ts.ports.submissions, secure: true, tls: { rejectUnauthorized: false }, auth: { user: ALICE.address, pass: ALICE.password, method: 'PLAIN' }, name: 'nm.client.test', connectionTimeout: 5000, socketTimeout: 10000 });
      const info = await t.sendMail({ from: ALICE.address, to: BOB, subject: 'implicit tls nodemailer', text: 'Grüße über TLS' });
      t.close();
      assert.deepEqual(info.accepted, [BOB]);
      const files = await mailbox(ts, BOB, 2);
      assert.equal(files.length, 2);
      for (const f of files) assert.match(splitDelivered(f).received, /\(using TLSv1\.[23] with cipher \S+\) with ESMTPSA id /);
    } finally {
      await ts.stop();
    }
  });

  test('P1 smtplib starttls() on mx and submission; AUTH PLAIN and LOGIN 235 2.7.0, wrong password 535 5.7.8', async () => {
    const ts = await start();
    try {
      const mx = await smtplib({ port: ts.ports.mx, tls: 'starttls', from: 'sender@client.test', to: [BOB], msg: Buffer.from('Subject: py tls\r\n\r\nhi\r\n') });
      assert.equal(mx.error, undefined, JSON.stringify(mx.error));
      assert.equal(mx.starttls?.[0], 220);
      assert.doesNotMatch(mx.ehlo ?? '', /AUTH/);
      assert.match(mx.ehloAfterTls ?? '', /^AUTH PLAIN LOGIN$/m);
      assert.doesNotMatch(mx.ehloAfterTls ?? '', /STARTTLS/);
      for (const mech of ['PLAIN', 'LOGIN'] as const) {
        const ok = await smtplib({ port: ts.ports.submission, tls: 'starttls', auth: { mech, user: ALICE.address, password: ALICE.password }, from: ALICE.address, to: [BOB], msg: Buffer.from(`Subject: py ${mech}\r\n\r\nhi\r\n`) });
        assert.equal(ok.error, undefined, JSON.stringify(ok.error));
        assert.equal(ok.auth?.[0], 235);
        assert.match(ok.auth?.[1] ?? '', /^2\.7\.0 /);
        const bad = await smtplib({ port: ts.ports.submission, tls: 'starttls', auth: { mech, user: ALICE.address, password: 'not-the-password' } });
        assert.equal(bad.error?.stage, 'auth');
        assert.equal(bad.error?.code, 535);
        assert.match(bad.error?.text ?? '', /^5\.7\.8 /);
      }
      const implicit = await smtplib({ port: ts.ports.submissions, tls: 'implicit', auth: { mech: 'PLAIN', user: ALICE.address, password: ALICE.password }, from: ALICE.address, to: [BOB], msg: Buffer.from('Subject: py 465\r\n\r\nhi\r\n') });
      assert.equal(implicit.error, undefined, JSON.stringify(implicit.error));
      const files = await mailbox(ts, BOB, 4);
      assert.equal(files.length, 4);
      const types = files.map((f) => / with (\S+) id /.exec(splitDelivered(f).received)?.[1]).sort();
      assert.deepEqual(types, ['ESMTPS', 'ESMTPSA', 'ESMTPSA', 'ESMTPSA']);
    } finally {
      await ts.stop();
    }
  });

  test('P2 AUTH without TLS: 538 5.7.11 on mx and submission; allowed on loopback listeners with allowInsecureAuth', async () => {
    const ts = await start({
      listeners: listeners({}, [
        { name: 'local', kind: 'submission', addresses: ['127.0.0.1'], port: 0, allowInsecureAuth: true },
        { name: 'mxlocal', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0, allowInsecureAuth: true },
      ]),
    });
    try {
      for (const port of [ts.ports.mx, ts.ports.submission]) {
        const { c, ehlo } = await ehloClient(port);
        try {
          assert.ok(!ehlo.lines.some((l) => /AUTH/.test(l)));
          assert.equal(codes(await c.cmd(`AUTH PLAIN ${b64(`\0${ALICE.address}\0${ALICE.password}`)}`)), '538 5.7.11');
        } finally {
          c.close();
        }
      }
      const { c, ehlo } = await ehloClient(ts.ports.local);
      try {
        assert.ok(ehlo.lines.includes('250-AUTH PLAIN LOGIN') || ehlo.lines.includes('250 AUTH PLAIN LOGIN'), ehlo.lines.join('\n'));
        assert.equal(codes(await c.cmd('MAIL FROM:<alice@example.test>')), '530 5.7.0');
        assert.equal(codes(await c.cmd(`AUTH PLAIN ${b64(`\0${ALICE.address}\0${ALICE.password}`)}`)), '235 2.7.0');
        assert.equal(codes(await c.cmd(`AUTH PLAIN ${b64(`\0${ALICE.address}\0${ALICE.password}`)}`)), '503 5.5.1');
        assert.equal(codes(await c.cmd('MAIL FROM:<alice@example.test>')), '250 2.1.0');
      } finally {
        c.close();
      }
      const mx = await ehloClient(ts.ports.mxlocal);
      try {
        assert.ok(mx.ehlo.lines.some((l) => l.slice(4) === 'AUTH PLAIN LOGIN'), mx.ehlo.lines.join('\n'));
        assert.equal(codes(await mx.c.cmd(`AUTH PLAIN ${b64(`\0${ALICE.address}\0wrong`)}`)), '535 5.7.8');
        assert.equal(codes(await mx.c.cmd(`AUTH PLAIN ${b64(`\0${ALICE.address}\0${ALICE.password}`)}`)), '235 2.7.0');
      } finally {
        mx.c.close();
      }
    } finally {
      await ts.stop();
    }
  });

  test('P2 submission: MAIL without AUTH gets 530 5.7.0, before and after STARTTLS', async () => {
    const ts = await start();
    const { c } = await ehloClient(ts.ports.submission);
    try {
      assert.equal(codes(await c.cmd(`MAIL FROM:<${ALICE.address}>`)), '530 5.7.0');
      assert.equal(codes(await c.cmd('STARTTLS')), '220 2.0.0');
      await c.startTls();
      // TLS starts a new session: EHLO first (RFC 3207 4.2).
      assert.equal(codes(await c.cmd(`MAIL FROM:<${ALICE.address}>`)), '503 5.5.1');
      const ehlo = await c.cmd('EHLO tls.client.test');
      assert.ok(ehlo.lines.some((l) => l.slice(4) === 'AUTH PLAIN LOGIN'), ehlo.lines.join('\n'));
      assert.ok(!ehlo.lines.some((l) => l.slice(4) === 'STARTTLS'));
      assert.equal(codes(await c.cmd('STARTTLS')), '503 5.5.1');
      assert.equal(codes(await c.cmd(`MAIL FROM:<${ALICE.address}>`)), '530 5.7.0');
      // AUTH LOGIN by hand: challenges, a "*" abort, then a good exchange.
      assert.deepEqual((await c.cmd('AUTH LOGIN')).lines, ['334 VXNlcm5hbWU6']);
      assert.equal(codes(await c.cmd('*')), '501 5.7.0');
      assert.equal((await c.cmd('AUTH LOGIN')).code, 334);
      assert.deepEqual((await c.cmd(b64(ALICE.address))).lines, ['334 UGFzc3dvcmQ6']);
      assert.equal(codes(await c.cmd(b64(ALICE.password))), '235 2.7.0');
      assert.equal(codes(await c.cmd(`MAIL FROM:<${ALICE.address}>`)), '250 2.1.0');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 commands pipelined after STARTTLS are discarded (RFC 3207, CVE-2011-0411)', async () => {
    const ts = await start();
    const { c } = await ehloClient(ts.ports.mx);
    try {
      c.write('STARTTLS\r\nNOOP\r\nMAIL FROM:<injected@attacker.test>\r\n');
      assert.equal(codes(await c.reply()), '220 2.0.0');
      assert.equal(c.pending, '', 'nothing after the 220 in plaintext');
      await c.startTls();
      // The first reply inside TLS must be the one for our next command.
      const ehlo = await c.cmd('EHLO after.tls.test');
      assert.equal(ehlo.code, 250);
      assert.equal(ehlo.lines[0], '250-mx.rampart.test');
      // The injected MAIL did not open a transaction.
      assert.equal(codes(await c.cmd(`RCPT TO:<${BOB}>`)), '503 5.5.1');
      assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test>')), '250 2.1.0');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 a failed TLS handshake after STARTTLS closes the connection; STARTTLS inside implicit TLS gets 503 5.5.1', async () => {
    const ts = await start();
    const { c } = await ehloClient(ts.ports.mx);
    const t = await SmtpClient.connect(ts.ports.submissions, { tls: true });
    try {
      assert.equal(codes(await c.cmd('STARTTLS')), '220 2.0.0');
      c.write('EHLO plaintext.after.starttls\r\n'); // not a TLS ClientHello
      await c.waitClosed(3000);
      assert.equal(c.pending, '', 'nothing is answered in plaintext');
      assert.equal((await t.reply()).code, 220);
      assert.equal((await t.cmd('EHLO tls.client.test')).code, 250);
      assert.equal(codes(await t.cmd('STARTTLS')), '503 5.5.1');
      // The server is still fine for the next client.
      const { c: next, ehlo } = await ehloClient(ts.ports.mx);
      next.close();
      assert.equal(ehlo.code, 250);
    } finally {
      c.close();
      t.close();
      await ts.stop();
    }
  });

  test('P1/P4 a client that leaves during the TLS handshake frees its connection at once, not after tlsHandshakeMs', async () => {
    const ts = await start({ limits: { maxConnectionsPerIp: 1 } });
    try {
      const gone = await SmtpClient.connect(ts.ports.submissions, { tls: true });
      gone.close(); // before the server has seen the end of the handshake
      const t0 = Date.now();
      for (;;) {
        // Refused (slot still held) shows as a failed handshake or a closed connection.
        const next = await SmtpClient.connect(ts.ports.submissions, { tls: true }).catch(() => undefined);
        const r = await next?.reply().catch(() => undefined);
        next?.close();
        if (r?.code === 220) break;
        assert.ok(Date.now() - t0 < 3000, 'the slot of the gone client was not freed (tlsHandshakeMs is 30 s)');
        await new Promise((res) => setTimeout(res, 50));
      }
    } finally {
      await ts.stop();
    }
  });
});
