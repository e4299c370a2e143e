// S1 fixed maximum message size (SIZE at MAIL, DATA and BDAT past the limit), and
// P1 CHUNKING/BDAT (RFC 3030) with a raw socket: byte-exact chunks, chunks read in
// full whatever the answer, and the session going on after a refusal.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { start, within, mailbox, splitDelivered, sleep, USERS } from './support.js';
import { SmtpClient, ehloClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;
const LIMIT = 2000;

/** `n` octets of CRLF-terminated lines (n >= 2). */
function content(n: number, tag: string): Buffer {
  let s = `Subject: ${tag}\r\n\r\n`;
  while (s.length < n - 2) s += `RSET and MAIL FROM:<x@y.test> are text here ${tag}\r\n`;
  s = s.slice(0, n - 2);
  return Buffer.from(s.replace(/\r$/, 'x') + '\r\n', 'latin1');
}

async function startTx(c: SmtpClient): Promise<void> {
  c.write(`MAIL FROM:<sender@client.test>\r\nRCPT TO:<${ALICE}>\r\n`);
  assert.deepEqual((await c.replies(2)).map(codes), ['250 2.1.0', '250 2.1.5']);
}

async function assertNothingMore(c: SmtpClient): Promise<void> {
  await sleep(150);
  assert.equal(c.pending, '', 'no further reply');
  assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0');
}

describe('S1 size limit and BDAT', { timeout: 60_000 }, () => {
  test('S1 MAIL FROM with SIZE over the limit gets 552 5.3.4 at once; SIZE at the limit is fine', async () => {
    const ts = await start({ limits: { maxMessageSize: LIMIT } });
    const { c, ehlo } = await ehloClient(ts.ports.mx);
    try {
      assert.ok(ehlo.lines.includes(`250-SIZE ${LIMIT}`), ehlo.lines.join('\n'));
      assert.equal(codes(await c.cmd(`MAIL FROM:<sender@client.test> SIZE=${LIMIT + 1}`)), '552 5.3.4');
      assert.equal(codes(await c.cmd(`MAIL FROM:<sender@client.test> SIZE=${LIMIT}`)), '250 2.1.0');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('S1 DATA past the limit is read to its end and refused 552 5.3.4; the next message on the same connection works', async () => {
    const ts = await start({ limits: { maxMessageSize: LIMIT } });
    const { c } = await ehloClient(ts.ports.mx);
    try {
      await startTx(c);
      assert.equal((await c.cmd('DATA')).code, 354);
      const big = content(LIMIT * 3, 'too big');
      c.write(Buffer.concat([big, Buffer.from('.\r\n')]));
      assert.equal(codes(await c.reply()), '552 5.3.4');
      await assertNothingMore(c);
      // Exactly at the limit (the Received field does not count): accepted.
      const exact = content(LIMIT, 'exact');
      await startTx(c);
      assert.equal((await c.cmd('DATA')).code, 354);
      c.write(Buffer.concat([exact, Buffer.from('.\r\n')]));
      assert.equal(codes(await c.reply()), '250 2.0.0');
      // One octet more: refused.
      await startTx(c);
      assert.equal((await c.cmd('DATA')).code, 354);
      c.write(Buffer.concat([content(LIMIT + 1, 'one more'), Buffer.from('.\r\n')]));
      assert.equal(codes(await c.reply()), '552 5.3.4');
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      assert.ok(splitDelivered(files[0]).message.equals(exact));
      assert.ok(ts.logs.some((l) => l.check === 'eod.maxMessageSize' && l.feature === 'S1'), 'refusal logged with its feature');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('S1 an oversized DATA leaves nothing in the spool (incoming or queue)', async () => {
    const ts = await start({ limits: { maxMessageSize: 100_000 } });
    const { c } = await ehloClient(ts.ports.mx);
    try {
      await startTx(c);
      assert.equal((await c.cmd('DATA')).code, 354);
      // 2.5 x the limit: past 3 x, S4 Large Message Safety (on by default) breaks the connection instead.
      c.write(Buffer.concat([content(250_000, 'huge'), Buffer.from('.\r\n')]));
      assert.equal(codes(await c.reply(10000)), '552 5.3.4');
      assert.deepEqual(readdirSync(ts.server.spool.incomingDir), []);
      assert.deepEqual(readdirSync(ts.server.spool.queueDir), []);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 BDAT chunks and LAST are delivered byte-exact (no dot-stuffing), pipelined or not', async () => {
    const ts = await start();
    const { c } = await ehloClient(ts.ports.mx);
    try {
      const msg = Buffer.from('Subject: bdat\r\n\r\n.\r\n..two\r\nGrüße\r\nend of the line is split here\r\n', 'utf8');
      const cut = msg.indexOf('\r\nend') + 1; // the chunk edge falls between CR and LF
      const a = msg.subarray(0, cut);
      const b = msg.subarray(cut);
      await startTx(c);
      c.write(Buffer.concat([Buffer.from(`BDAT ${a.length}\r\n`), a]));
      assert.deepEqual((await c.reply()).lines, [`250 2.0.0 ${a.length} octets received`]);
      c.write(Buffer.concat([Buffer.from(`BDAT ${b.length}\r\n`), b, Buffer.from('BDAT 0 LAST\r\n')]));
      const [rb, last] = await c.replies(2);
      assert.equal(codes(rb), '250 2.0.0');
      assert.match(last.lines[0], /^250 2\.0\.0 Ok: queued as /);
      // A second message entirely pipelined: MAIL, RCPT, two chunks, QUIT in one write.
      const msg2 = Buffer.from('Subject: bdat 2\r\n\r\nsecond\r\n');
      c.write(Buffer.concat([Buffer.from(`MAIL FROM:<sender@client.test> BODY=8BITMIME\r\nRCPT TO:<${ALICE}>\r\nBDAT 10\r\n`), msg2.subarray(0, 10), Buffer.from(`BDAT ${msg2.length - 10} LAST\r\n`), msg2.subarray(10), Buffer.from('QUIT\r\n')]));
      assert.deepEqual((await c.replies(5)).map(codes), ['250 2.1.0', '250 2.1.5', '250 2.0.0', '250 2.0.0', '221 2.0.0']);
      const files = await mailbox(ts, ALICE, 2);
      assert.equal(files.length, 2);
      const got = files.map((f) => splitDelivered(f).message);
      assert.ok(got.some((g) => g.equals(msg)), 'first message byte-exact');
      assert.ok(got.some((g) => g.equals(msg2)), 'second message byte-exact');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 BDAT without MAIL still consumes its octets and answers 503 5.5.1; with no valid RCPT 554 5.5.1', async () => {
    const ts = await start();
    const { c } = await ehloClient(ts.ports.mx);
    try {
      // The chunk holds command text: it must be swallowed, not executed.
      c.write(`BDAT 32\r\nMAIL FROM:<evil@attacker.test>\r\n`);
      assert.equal(codes(await c.reply()), '503 5.5.1');
      await assertNothingMore(c);
      // "NOOP\r\n" is the 6-octet chunk here, not a command.
      c.write('MAIL FROM:<sender@client.test>\r\nRCPT TO:<nobody@example.test>\r\nBDAT 6 LAST\r\nNOOP\r\n');
      assert.deepEqual((await c.replies(3)).map(codes), ['250 2.1.0', '550 5.1.1', '554 5.5.1']);
      await assertNothingMore(c);
      // After a failed BDAT the client ends the transaction (RFC 3030 2).
      assert.equal(codes(await c.cmd('RSET')), '250 2.0.0');
      // DATA after BDAT in the same transaction is refused.
      await startTx(c);
      c.write('BDAT 4\r\nabcd');
      assert.equal(codes(await c.reply()), '250 2.0.0');
      assert.equal(codes(await c.cmd('DATA')), '503 5.5.1');
      assert.equal(codes(await c.cmd('RSET')), '250 2.0.0');
      await within(ts.delivered(), 5000, 'delivery');
      assert.equal(ts.maildir(ALICE).length, 0);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('S1 a message growing past the limit through BDAT gets 552 5.3.4; the next transaction works', async () => {
    const ts = await start({ limits: { maxMessageSize: LIMIT } });
    const { c } = await ehloClient(ts.ports.mx);
    try {
      await startTx(c);
      const chunk = content(1500, 'chunk');
      c.write(Buffer.concat([Buffer.from('BDAT 1500\r\n'), chunk]));
      assert.equal(codes(await c.reply()), '250 2.0.0');
      c.write(Buffer.concat([Buffer.from('BDAT 1500\r\n'), chunk]));
      assert.equal(codes(await c.reply()), '552 5.3.4');
      c.write(Buffer.concat([Buffer.from('BDAT 1500 LAST\r\n'), chunk]));
      assert.equal(codes(await c.reply()), '552 5.3.4');
      await assertNothingMore(c);
      // One oversized LAST chunk.
      await startTx(c);
      c.write(Buffer.concat([Buffer.from(`BDAT ${LIMIT + 1} LAST\r\n`), content(LIMIT + 1, 'big')]));
      assert.equal(codes(await c.reply()), '552 5.3.4');
      // Then a normal message.
      await startTx(c);
      const ok = content(300, 'fits');
      c.write(Buffer.concat([Buffer.from(`BDAT ${ok.length} LAST\r\n`), ok]));
      assert.equal(codes(await c.reply()), '250 2.0.0');
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      assert.ok(splitDelivered(files[0]).message.equals(ok));
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P3 BDAT content with a bare LF is refused 554 5.6.0; bad BDAT syntax gets 501 5.5.4 and a close', async () => {
    const ts = await start();
    const { c } = await ehloClient(ts.ports.mx);
    try {
      await startTx(c);
      const bad = Buffer.from('Subject: lf\r\n\r\nbare\nlf\r\n');
      c.write(Buffer.concat([Buffer.from(`BDAT ${bad.length} LAST\r\n`), bad]));
      assert.equal(codes(await c.reply()), '554 5.6.0');
      await assertNothingMore(c);
      await startTx(c);
      assert.equal(codes(await c.cmd('BDAT ten')), '501 5.5.4');
      await c.waitClosed();
      await within(ts.delivered(), 5000, 'delivery');
      assert.equal(ts.maildir(ALICE).length, 0);
    } finally {
      c.close();
      await ts.stop();
    }
  });
});
