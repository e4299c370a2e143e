// P2 IPv6: a listener on ::1 accepts a message from a raw client and from
// nodemailer; the Received field names the client as an IPv6 address literal.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { start, listeners, mailbox, splitDelivered, USERS } from './support.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;

describe('P2 IPv6 listener', { timeout: 60_000 }, () => {
  test('P2 a listener on ::1 accepts a message (raw client and nodemailer)', async () => {
    const ts = await start({ listeners: listeners({}, [{ name: 'mx6', kind: 'mx', addresses: ['::1'], port: 0, pregreetWaitMs: 0 }]) });
    const c = await SmtpClient.connect(ts.ports.mx6, { host: '::1' });
    try {
      assert.equal((await c.reply()).code, 220);
      assert.equal((await c.cmd('EHLO v6.client.test')).code, 250);
      c.write(`MAIL FROM:<sender@client.test>\r\nRCPT TO:<${ALICE}>\r\nDATA\r\n`);
      assert.deepEqual((await c.replies(3)).map(codes), ['250 2.1.0', '250 2.1.5', '354 -']);
      c.write('Subject: over IPv6\r\n\r\nhello from ::1\r\n.\r\n');
      assert.equal(codes(await c.reply()), '250 2.0.0');
      assert.equal(codes(await c.cmd('QUIT')), '221 2.0.0');

      const t = nodemailer.createTransport({ host: '::1', port: ts.ports.mx6, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, name: 'nm6.client.test', connectionTimeout: 5000, socketTimeout: 10000 });
      const info = await t.sendMail({ envelope: { from: 'sender@client.test', to: [ALICE] }, raw: 'Subject: nodemailer over IPv6\r\n\r\nhi\r\n' });
      t.close();
      assert.deepEqual(info.accepted, [ALICE]);

      const files = await mailbox(ts, ALICE, 2);
      assert.equal(files.length, 2);
      const got = files.map(splitDelivered);
      for (const d of got) assert.match(d.received, /^Received: from \S+ \(\[IPv6:::1\]\)\r\n/);
      assert.deepEqual(got.map((d) => d.message.toString('latin1')).sort(), ['Subject: nodemailer over IPv6\r\n\r\nhi\r\n', 'Subject: over IPv6\r\n\r\nhello from ::1\r\n']);
      assert.ok(ts.logs.some((l) => l.event === 'connection' && l.listener === 'mx6' && l.client === '::1'), 'logged with the IPv6 client address');
    } finally {
      c.close();
      await ts.stop();
    }
  });
});
