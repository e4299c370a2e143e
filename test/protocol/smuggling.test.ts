// P3 SMTP smuggling (CVE-2023-51766 family) with a raw socket: only <CRLF>.<CRLF>
// ends DATA; bare LF / bare CR in content and in commands are refused by default;
// dot-unstuffing is right however the bytes are cut into TCP segments.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { start, within, mailbox, splitDelivered, sleep, USERS, type TestServer } from './support.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;
const BOB = USERS.bob.address;

/** Connects, says EHLO, MAIL and RCPT alice, DATA; returns the client at 354. */
async function atData(ts: TestServer): Promise<SmtpClient> {
  const c = await SmtpClient.connect(ts.ports.mx);
  await c.reply();
  await c.cmd('EHLO smuggler.client.test');
  c.write(`MAIL FROM:<sender@client.test>\r\nRCPT TO:<${ALICE}>\r\nDATA\r\n`);
  const r = await c.replies(3);
  assert.deepEqual(r.map(codes), ['250 2.1.0', '250 2.1.5', '354 -']);
  return c;
}

/** After the message's one reply nothing else may come: the next reply must be NOOP's. */
async function assertNothingMore(c: SmtpClient): Promise<void> {
  await sleep(150);
  assert.equal(c.pending, '', 'no further reply after the message');
  assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0');
}

const SMUGGLED = `MAIL FROM:<evil@attacker.test>\r\nRCPT TO:<${BOB}>\r\nDATA\r\nFrom: ceo@example.test\r\n\r\nsmuggled\r\n`;

/** Fake end markers, and the content each leaves when bare line endings are accepted. */
const FAKE_ENDS: Array<{ name: string; marker: string; content: string }> = [
  { name: '\\n.\\n', marker: '\n.\n', content: '\n.\n' },
  { name: '\\r.\\r', marker: '\r.\r', content: '\r.\r' },
  // A line ".<LF>..." is a dot-stuffed line, not the end: its first dot is removed (RFC 5321 4.5.2).
  { name: '\\r\\n.\\n', marker: '\r\n.\n', content: '\r\n\n' },
  { name: '\\n.\\r\\n', marker: '\n.\r\n', content: '\n.\r\n' },
  { name: '\\r.\\r\\n', marker: '\r.\r\n', content: '\r.\r\n' },
];

describe('P3 smuggling and line endings', { timeout: 60_000 }, () => {
  test('P3 bare LF in DATA is refused with 554 5.6.0 after the real end, and the session goes on', async () => {
    const ts = await start();
    const c = await atData(ts);
    try {
      c.write('Subject: bare lf\r\n\r\nline one\nline two\r\n.\r\n');
      assert.equal(codes(await c.reply()), '554 5.6.0');
      await assertNothingMore(c);
      // A clean message on the same connection is accepted.
      c.write(`MAIL FROM:<sender@client.test>\r\nRCPT TO:<${ALICE}>\r\nDATA\r\n`);
      assert.deepEqual((await c.replies(3)).map(codes), ['250 2.1.0', '250 2.1.5', '354 -']);
      c.write('Subject: clean\r\n\r\nok\r\n.\r\n');
      assert.equal(codes(await c.reply()), '250 2.0.0');
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      assert.equal(splitDelivered(files[0]).message.toString('latin1'), 'Subject: clean\r\n\r\nok\r\n');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P3 bare CR in DATA is refused with 554 5.6.0', async () => {
    const ts = await start();
    const c = await atData(ts);
    try {
      c.write('Subject: bare cr\r\n\r\nline one\rline two\r\n.\r\n');
      assert.equal(codes(await c.reply()), '554 5.6.0');
      await assertNothingMore(c);
      await within(ts.delivered(), 5000, 'delivery');
      assert.equal(ts.maildir(ALICE).length, 0);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  for (const f of FAKE_ENDS) {
    test(`P3 "${f.name}" inside DATA does not end it: the smuggled MAIL FROM is not executed (554 5.6.0, nothing delivered)`, async () => {
      const ts = await start();
      const c = await atData(ts);
      try {
        c.write(`Subject: smuggle\r\n\r\nhello${f.marker}${SMUGGLED}.\r\n`);
        assert.equal(codes(await c.reply()), '554 5.6.0');
        await assertNothingMore(c);
        await within(ts.delivered(), 5000, 'delivery');
        assert.equal(ts.maildir(ALICE).length, 0);
        assert.equal(ts.maildir(BOB).length, 0);
      } finally {
        c.close();
        await ts.stop();
      }
    });
  }

  test('P3 with bareLineEndings: accept, bare line endings are content and only CRLF.CRLF ends the message', async () => {
    const ts = await start({ smtp: { bareLineEndings: 'accept' } });
    try {
      for (const f of FAKE_ENDS) {
        const c = await atData(ts);
        try {
          c.write(`Subject: smuggle\r\n\r\nhello${f.marker}${SMUGGLED}.\r\n`);
          assert.equal(codes(await c.reply()), '250 2.0.0', f.name);
          await assertNothingMore(c);
        } finally {
          c.close();
        }
      }
      const files = await mailbox(ts, ALICE, FAKE_ENDS.length);
      assert.equal(files.length, FAKE_ENDS.length);
      const got = files.map((f) => splitDelivered(f).message.toString('latin1')).sort();
      const want = FAKE_ENDS.map((f) => `Subject: smuggle\r\n\r\nhello${f.content}${SMUGGLED}`).sort();
      assert.deepEqual(got, want);
      assert.equal(ts.maildir(BOB).length, 0, 'the smuggled recipient got nothing');
    } finally {
      await ts.stop();
    }
  });

  test('P3 bare LF in a command line gets 500 5.5.2 and the line is not executed', async () => {
    const ts = await start();
    const c = await SmtpClient.connect(ts.ports.mx);
    try {
      await c.reply();
      await c.cmd('EHLO lf.client.test');
      // "MAIL ...\n" is refused, so the RCPT after it has no transaction.
      c.write(`NOOP\nMAIL FROM:<sender@client.test>\nRCPT TO:<${ALICE}>\r\n`);
      assert.deepEqual((await c.replies(3)).map(codes), ['500 5.5.2', '500 5.5.2', '503 5.5.1']);
      // A bare CR inside a command line: one refused line, not two commands.
      c.write('NOOP\rRSET\r\n');
      assert.equal(codes(await c.reply()), '500 5.5.2');
      await assertNothingMore(c);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P3 with bareLineEndings: accept, LF-only command lines are taken as lines', async () => {
    const ts = await start({ smtp: { bareLineEndings: 'accept' } });
    const c = await SmtpClient.connect(ts.ports.mx);
    try {
      await c.reply();
      c.write('EHLO lf.client.test\nNOOP\n');
      const [ehlo, noop] = await c.replies(2);
      assert.equal(ehlo.code, 250);
      assert.equal(codes(noop), '250 2.0.0');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  // Dot-stuffing across segment edges: every cut of "\r\n..", "\r\n.\r\n" and the end marker.
  const STUFFED = 'Subject: dots\r\n\r\n..\r\n...\r\n..leading\r\nmid.dle\r\n..x\r\n..\r\n';
  const UNSTUFFED = 'Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\nmid.dle\r\n.x\r\n.\r\n';
  for (const mode of ['byte by byte', 'odd-sized pieces'] as const) {
    test(`P3 dot-stuffing split ${mode} across TCP segments is unstuffed exactly`, async () => {
      const ts = await start();
      const c = await atData(ts);
      try {
        const wire = Buffer.from(STUFFED + '.\r\n', 'latin1');
        const sizes = mode === 'byte by byte' ? [1] : [2, 3, 5, 7, 1, 4];
        for (let pos = 0, k = 0; pos < wire.length; k++) {
          const n = sizes[k % sizes.length];
          c.write(wire.subarray(pos, pos + n));
          pos += n;
          await sleep(2);
        }
        assert.equal(codes(await c.reply()), '250 2.0.0');
        const files = await mailbox(ts, ALICE, 1);
        assert.equal(files.length, 1);
        assert.equal(splitDelivered(files[0]).message.toString('latin1'), UNSTUFFED);
      } finally {
        c.close();
        await ts.stop();
      }
    });
  }
});
