// P1 PIPELINING (RFC 2920) with a raw socket: whole command groups in one write are
// answered in order, refused recipients in the middle keep their place, and a burst
// larger than the input buffer (P4 maxPipelinedBytes) is answered completely.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { start, within, mailbox, splitDelivered, USERS } from './support.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;
const BOB = USERS.bob.address;

describe('P1 pipelining', { timeout: 60_000 }, () => {
  test('P1 EHLO, MAIL, RCPT, RCPT, DATA in one write are answered in order; message and QUIT in one write too', async () => {
    const ts = await start();
    const c = await SmtpClient.connect(ts.ports.mx);
    try {
      assert.equal((await c.reply()).code, 220);
      c.write(`EHLO pipe.client.test\r\nMAIL FROM:<sender@client.test>\r\nRCPT TO:<${ALICE}>\r\nRCPT TO:<${BOB}>\r\nDATA\r\n`);
      const [ehlo, mail, r1, r2, data] = await c.replies(5);
      assert.equal(ehlo.code, 250);
      assert.ok(ehlo.lines.includes('250-PIPELINING'), ehlo.lines.join('\n'));
      assert.equal(codes(mail), '250 2.1.0');
      assert.equal(codes(r1), '250 2.1.5');
      assert.equal(codes(r2), '250 2.1.5');
      assert.equal(data.code, 354);
      const body = 'Subject: pipelined\r\n\r\nall in one go\r\n';
      c.write(`${body}.\r\nQUIT\r\n`);
      const [done, quit] = await c.replies(2);
      assert.match(done.lines[0], /^250 2\.0\.0 Ok: queued as \S+$/);
      assert.equal(codes(quit), '221 2.0.0');
      await c.waitClosed();
      for (const who of [ALICE, BOB]) {
        const files = await mailbox(ts, who, 1);
        assert.equal(files.length, 1, who);
        assert.equal(splitDelivered(files[0]).message.toString('latin1'), body);
      }
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 refused RCPTs (550 5.1.1, 554 5.7.1) in the middle of a pipelined group keep the order', async () => {
    const ts = await start();
    const c = await SmtpClient.connect(ts.ports.mx);
    try {
      await c.reply();
      await c.cmd('EHLO pipe.client.test');
      c.write(
        'MAIL FROM:<sender@client.test>\r\n' +
          'RCPT TO:<nobody@example.test>\r\n' +
          `RCPT TO:<${ALICE}>\r\n` +
          'RCPT TO:<someone@elsewhere.test>\r\n' +
          'RCPT TO:<bad address>\r\n' +
          `RCPT TO:<${BOB}>\r\n` +
          'NOOP\r\n' +
          'DATA\r\n',
      );
      const r = await c.replies(8);
      assert.deepEqual(r.map(codes), ['250 2.1.0', '550 5.1.1', '250 2.1.5', '554 5.7.1', '501 5.1.3', '250 2.1.5', '250 2.0.0', '354 -']);
      // The message, then a whole second transaction, in one write.
      c.write(`Subject: first\r\n\r\none\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<x@elsewhere.test>\r\nRCPT TO:<${BOB}>\r\nDATA\r\n`);
      const r2 = await c.replies(5);
      assert.deepEqual(r2.map(codes), ['250 2.0.0', '250 2.1.0', '554 5.7.1', '250 2.1.5', '354 -']);
      c.write('Subject: second\r\n\r\ntwo\r\n.\r\nQUIT\r\n');
      const r3 = await c.replies(2);
      assert.deepEqual(r3.map(codes), ['250 2.0.0', '221 2.0.0']);
      const a = await mailbox(ts, ALICE, 1);
      const b = await mailbox(ts, BOB, 2);
      assert.equal(a.length, 1);
      assert.equal(b.length, 2);
      const bodies = b.map((f) => splitDelivered(f));
      assert.deepEqual(bodies.map((d) => d.message.toString('latin1')).sort(), ['Subject: first\r\n\r\none\r\n', 'Subject: second\r\n\r\ntwo\r\n']);
      assert.deepEqual(bodies.map((d) => d.returnPath).sort(), ['', 'sender@client.test']);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 pipelined DATA after every RCPT was refused gets 554 5.5.1 and the session goes on in order', async () => {
    const ts = await start();
    const c = await SmtpClient.connect(ts.ports.mx);
    try {
      await c.reply();
      await c.cmd('EHLO pipe.client.test');
      c.write('MAIL FROM:<sender@client.test>\r\nRCPT TO:<nobody@example.test>\r\nRCPT TO:<a@elsewhere.test>\r\nDATA\r\nRSET\r\nNOOP\r\n');
      const r = await c.replies(6);
      assert.deepEqual(r.map(codes), ['250 2.1.0', '550 5.1.1', '554 5.7.1', '554 5.5.1', '250 2.0.0', '250 2.0.0']);
      await within(ts.delivered(), 5000, 'delivery');
      assert.equal(ts.maildir(ALICE).length + ts.maildir(BOB).length, 0);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P4 a pipelined burst larger than maxPipelinedBytes is answered completely and in order', async () => {
    const ts = await start({ limits: { maxPipelinedBytes: 4096 } });
    const c = await SmtpClient.connect(ts.ports.mx);
    try {
      await c.reply();
      await c.cmd('EHLO burst.client.test');
      const n = 6000; // ~60 KB of commands, ~15 times the buffer
      let burst = '';
      for (let i = 0; i < n; i++) burst += i % 2 ? 'NOOP\r\n' : 'VRFY someone\r\n';
      c.write(burst);
      for (let i = 0; i < n; i++) {
        const r = await c.reply();
        assert.equal(codes(r), i % 2 ? '250 2.0.0' : '252 2.5.2', `reply ${i}`);
      }
      assert.equal(codes(await c.cmd('QUIT')), '221 2.0.0');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 a hundred RCPTs in one write each get their own reply, in order', async () => {
    // 66 refused recipients in one session: H5 (limits.maxFailedCommands, default 20) would disconnect.
    const ts = await start({ limits: { maxFailedCommands: 0 } });
    const c = await SmtpClient.connect(ts.ports.mx);
    try {
      await c.reply();
      await c.cmd('EHLO pipe.client.test');
      let group = 'MAIL FROM:<sender@client.test>\r\n';
      const expected = ['250 2.1.0'];
      for (let i = 0; i < 100; i++) {
        const good = i % 3 === 0;
        group += good ? `RCPT TO:<${i % 2 ? ALICE : BOB}>\r\n` : `RCPT TO:<u${i}@example.test>\r\n`;
        expected.push(good ? '250 2.1.5' : '550 5.1.1');
      }
      c.write(group + 'RSET\r\n');
      expected.push('250 2.0.0');
      const r = await c.replies(expected.length);
      assert.deepEqual(r.map(codes), expected);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 a client that half-closes after pipelining a whole session still gets every reply (plain and implicit TLS)', async () => {
    const ts = await start();
    const plain = await SmtpClient.connect(ts.ports.mx);
    const tls = await SmtpClient.connect(ts.ports.submissions, { tls: true });
    try {
      await plain.reply();
      // No QUIT: the end of input ends the session, after the replies.
      plain.socket.end(`EHLO half.client.test\r\nMAIL FROM:<sender@client.test>\r\nRCPT TO:<${ALICE}>\r\nDATA\r\nSubject: half-close\r\n\r\nbye\r\n.\r\n`);
      const r = await plain.replies(5);
      assert.deepEqual(r.map(codes), ['250 -', '250 2.1.0', '250 2.1.5', '354 -', '250 2.0.0']);
      await plain.waitClosed();
      await tls.reply();
      tls.socket.end('EHLO half.client.test\r\nNOOP\r\nQUIT\r\n');
      assert.deepEqual((await tls.replies(3)).map(codes), ['250 -', '250 2.0.0', '221 2.0.0']);
      await tls.waitClosed();
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      assert.equal(splitDelivered(files[0]).message.toString('latin1'), 'Subject: half-close\r\n\r\nbye\r\n');
    } finally {
      plain.close();
      tls.close();
      await ts.stop();
    }
  });
});
