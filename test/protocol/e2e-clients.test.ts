// P1/P6/Q1 end to end with real clients: python3 smtplib, swaks and nodemailer send
// to the MX listener; the message is found in the Maildir byte for byte behind the
// Return-Path, Delivered-To and Received fields. Aliases fan out; refused
// recipients (R1 relay, R7 unknown user) are reported to the client.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { start, within, smtplib, swaks, swaksReplies, tempDir, mailbox, splitDelivered, RECEIVED_RE, USERS } from './support.js';

const ALICE = USERS.alice.address;
const BOB = USERS.bob.address;

/** A message with 8-bit UTF-8 text, dot lines (one a lone dot) and ~100 KB of body. */
function sampleMessage(tag: string): Buffer {
  const lines = [
    'From: Sender <sender@client.test>',
    `To: Alice <${ALICE}>`,
    `Subject: ${tag} byte-exact test`,
    `Message-ID: <${tag}.1@client.test>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Grüße aus Köln – naïve café, 日本語のテキスト, ✉ 📨',
    '.a line starting with a dot',
    '..two dots',
    '.',
    '',
    ...Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(i % 70)} é`),
    'end',
  ];
  return Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
}

function assertExact(file: string, from: string, to: string, sent: Buffer, withType: string, forRcpt: string | undefined) {
  const d = splitDelivered(file);
  assert.equal(d.returnPath, from);
  assert.equal(d.deliveredTo, to);
  assert.match(d.received, RECEIVED_RE);
  assert.match(d.received, new RegExp(` with ${withType} id `));
  if (forRcpt) assert.match(d.received, new RegExp(`\\r\\n\\tfor <${forRcpt}>; `));
  else assert.doesNotMatch(d.received, /\tfor </);
  assert.equal(d.message.length, sent.length, 'same length');
  assert.ok(d.message.equals(sent), 'delivered message is byte-exact');
}

describe('end to end with real clients', { timeout: 60_000 }, () => {
  test('P1 smtplib: an 8-bit message with dot lines is delivered byte-exact to alice', async () => {
    const ts = await start();
    try {
      const msg = sampleMessage('smtplib');
      const r = await smtplib({ port: ts.ports.mx, from: 'sender@client.test', to: [ALICE], msg, mailOptions: ['BODY=8BITMIME'] });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      assert.deepEqual(r.refused, {});
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      assertExact(files[0], 'sender@client.test', ALICE, msg, 'ESMTP', ALICE);
    } finally {
      await ts.stop();
    }
  });

  test('P1 swaks: a --data file is delivered byte-exact to alice', async () => {
    const ts = await start();
    const tmp = tempDir();
    try {
      const msg = sampleMessage('swaks');
      // swaks ends the data with its own CRLF before the ".": give it the file without one.
      const file = tmp.file('msg.eml', msg.subarray(0, msg.length - 2));
      const r = await swaks(ts.ports.mx, ['--from', 'sender@client.test', '--to', ALICE, '--data', `@${file}`]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const replies = swaksReplies(r.stdout);
      assert.ok(replies.some((l) => /^250 2\.0\.0 Ok: queued as /.test(l)), replies.join('\n'));
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      assertExact(files[0], 'sender@client.test', ALICE, msg, 'ESMTP', ALICE);
    } finally {
      tmp.cleanup();
      await ts.stop();
    }
  });

  test('P1 swaks --pipeline: MAIL and RCPTs pipelined, a refused RCPT (550 5.1.1) in the middle, the others delivered', async () => {
    const ts = await start();
    try {
      const r = await swaks(ts.ports.mx, ['--pipeline', '--from', 'sender@client.test', '--to', `${ALICE},nobody@example.test,${BOB}`, '--body', 'pipelined by swaks']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^ -> MAIL FROM:<sender@client\.test>\n -> RCPT TO:<alice@example\.test>\n -> RCPT TO:<nobody@example\.test>\n -> RCPT TO:<bob@example\.test>\n -> DATA$/m);
      const replies = swaksReplies(r.stdout);
      const i = replies.indexOf('250 2.1.0 Ok');
      assert.ok(i > 0, replies.join('\n'));
      assert.deepEqual(replies.slice(i, i + 5).map((l) => l.slice(0, 9)), ['250 2.1.0', '250 2.1.5', '550 5.1.1', '250 2.1.5', '354 End d']);
      assert.equal((await mailbox(ts, ALICE, 1)).length, 1);
      assert.equal((await mailbox(ts, BOB, 1)).length, 1);
    } finally {
      await ts.stop();
    }
  });

  test('P1 nodemailer: a raw message is delivered byte-exact to alice', async () => {
    const ts = await start();
    try {
      const msg = sampleMessage('nodemailer');
      const t = nodemailer.createTransport({ host: '127.0.0.1', port: ts.ports.mx, secure: false, ignoreTLS: true, name: 'nm.client.test', connectionTimeout: 5000, socketTimeout: 10000 });
      const info = await t.sendMail({ envelope: { from: 'sender@client.test', to: [ALICE] }, raw: msg });
      t.close();
      assert.deepEqual(info.accepted, [ALICE]);
      assert.match(String(info.response), /^250 2\.0\.0 Ok: queued as /);
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      assertExact(files[0], 'sender@client.test', ALICE, msg, 'ESMTP', ALICE);
    } finally {
      await ts.stop();
    }
  });

  test('P1 nodemailer: a composed message over STARTTLS keeps its headers and UTF-8 text', async () => {
    const ts = await start();
    try {
      const text = 'Grüße – café ✉\n.leading dot line\nsecond line\n' + 'long body line 0123456789\n'.repeat(500);
      const t = nodemailer.createTransport({ host: '127.0.0.1', port: ts.ports.mx, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, name: 'nm.client.test', connectionTimeout: 5000, socketTimeout: 10000 });
      const info = await t.sendMail({
        from: 'Sender <sender@client.test>',
        to: `Alice <${ALICE}>`,
        subject: 'nodemailer composed',
        text,
        headers: { 'X-Rampart-Test': 'composed-1' },
        textEncoding: 'quoted-printable',
      });
      t.close();
      assert.deepEqual(info.accepted, [ALICE]);
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      const d = splitDelivered(files[0]);
      assert.equal(d.returnPath, 'sender@client.test');
      assert.match(d.received, / with ESMTPS id /);
      const m = d.message.toString('utf8');
      const [head, body] = [m.slice(0, m.indexOf('\r\n\r\n')), m.slice(m.indexOf('\r\n\r\n') + 4)];
      assert.match(head, /^Subject: nodemailer composed$/m);
      assert.match(head, /^X-Rampart-Test: composed-1$/m);
      assert.match(head, /^From: Sender <sender@client\.test>$/m);
      assert.match(head, /^To: Alice <alice@example\.test>$/m);
      assert.match(head, new RegExp(`^Message-ID: ${info.messageId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
      assert.match(head, /^Content-Transfer-Encoding: quoted-printable$/m);
      assert.equal(decodeQp(body), text.replace(/\n/g, '\r\n'));
    } finally {
      await ts.stop();
    }
  });

  test('R7 alias team@ delivers one copy each to alice and bob (smtplib)', async () => {
    const ts = await start();
    try {
      const msg = Buffer.from(`Subject: to the team\r\n\r\nHallo Team, schöne Grüße\r\n`, 'utf8');
      const r = await smtplib({ port: ts.ports.mx, from: 'sender@client.test', to: ['team@example.test'], msg });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      const a = await mailbox(ts, ALICE, 1);
      const b = await mailbox(ts, BOB, 1);
      assert.equal(a.length, 1);
      assert.equal(b.length, 1);
      assertExact(a[0], 'sender@client.test', ALICE, msg, 'ESMTP', 'team@example.test');
      assertExact(b[0], 'sender@client.test', BOB, msg, 'ESMTP', 'team@example.test');
    } finally {
      await ts.stop();
    }
  });

  test('R1/R7 smtplib: non-local recipient gets 554 5.7.1, unknown local user 550 5.1.1, the good one is delivered', async () => {
    const ts = await start();
    try {
      const msg = Buffer.from('Subject: mixed\r\n\r\nbody\r\n');
      const r = await smtplib({ port: ts.ports.mx, from: 'sender@client.test', to: ['someone@elsewhere.test', 'nobody@example.test', BOB], msg });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      const refused = r.refused ?? {};
      assert.equal(refused['someone@elsewhere.test']?.[0], 554);
      assert.match(refused['someone@elsewhere.test']?.[1] ?? '', /^5\.7\.1 /);
      assert.equal(refused['nobody@example.test']?.[0], 550);
      assert.match(refused['nobody@example.test']?.[1] ?? '', /^5\.1\.1 /);
      assert.equal(refused[BOB], undefined);
      const b = await mailbox(ts, BOB, 1);
      assert.equal(b.length, 1);
      // Only one recipient was accepted, so the Received field names it.
      assertExact(b[0], 'sender@client.test', BOB, msg, 'ESMTP', BOB);
    } finally {
      await ts.stop();
    }
  });

  test('R1 swaks: a non-local recipient alone is refused 554 5.7.1 and nothing is queued', async () => {
    const ts = await start();
    try {
      const r = await swaks(ts.ports.mx, ['--from', 'sender@client.test', '--to', 'someone@elsewhere.test', '--body', 'hi']);
      assert.notEqual(r.code, 0);
      assert.ok(swaksReplies(r.stdout).some((l) => /^554 5\.7\.1 /.test(l)), r.stdout);
      await within(ts.delivered(), 5000, 'delivery');
      assert.equal(ts.maildir(ALICE).length + ts.maildir(BOB).length, 0);
    } finally {
      await ts.stop();
    }
  });
});

/** Quoted-printable decoding (RFC 2045 6.7) to UTF-8 text. */
function decodeQp(s: string): string {
  const bytes: number[] = [];
  const src = s.replace(/=\r\n/g, '');
  for (let i = 0; i < src.length; i++) {
    if (src[i] === '=' && /^[0-9A-F]{2}$/i.test(src.slice(i + 1, i + 3))) {
      bytes.push(parseInt(src.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(src.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}
