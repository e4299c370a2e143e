// S1/S2/S3 at every level, with real clients on loopback (python3 smtplib, swaks,
// raw sockets): listener and global size advertised in EHLO, SIZE= refused at MAIL
// (sender, sender domain, listener, blocks) and at RCPT (recipient domain), limits
// enforced after DATA/BDAT for clients that declare nothing (smallest applying limit),
// global LINE_LIMIT, and warn mode.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { start, mailbox, smtplib, swaks, swaksReplies, tempDir, splitDelivered, USERS, type TestServer } from '../protocol/support.js';
import { message, decisions, spoolFiles } from './support.js';
import { SmtpClient, ehloClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;
const BOB = USERS.bob.address;
const CAROL = 'carol@small.test';

const mx = (extra: Record<string, unknown> = {}) => ({ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0, ...extra });
const mx2 = (extra: Record<string, unknown> = {}) => ({ name: 'mx2', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0, ...extra });

function sizeLine(ehlo: { lines: string[] }): string | undefined {
  return ehlo.lines.map((l) => l.slice(4)).find((l) => l.startsWith('SIZE'));
}

/** MAIL, RCPT(s) (expected replies), DATA, message, "." -> the final reply. */
async function sendRaw(c: SmtpClient, from: string, rcpts: string[], msg: Buffer): Promise<string> {
  c.write(`MAIL FROM:<${from}>\r\n` + rcpts.map((r) => `RCPT TO:<${r}>\r\n`).join('') + 'DATA\r\n');
  const got = (await c.replies(2 + rcpts.length)).map(codes);
  assert.equal(got[0], '250 2.1.0');
  assert.equal(got[got.length - 1], '354 -', got.join(' | '));
  c.write(Buffer.concat([msg, Buffer.from('.\r\n')]));
  return codes(await c.reply(10000));
}

async function withServer(over: Record<string, unknown>, fn: (ts: TestServer) => Promise<void>): Promise<void> {
  const ts = await start(over);
  try {
    await fn(ts);
  } finally {
    await ts.stop();
  }
}

describe('S1/S2/S3 size limits at every level', { timeout: 120_000 }, () => {
  test('S1 per listener: EHLO advertises the listener value (or the global one); SIZE= and DATA are held to it', async () => {
    await withServer({ limits: { maxMessageSize: 5000 }, listeners: [mx({ maxMessageSize: 3000 }), mx2()] }, async (ts) => {
      const a = await ehloClient(ts.ports.mx);
      const b = await ehloClient(ts.ports.mx2);
      try {
        assert.equal(sizeLine(a.ehlo), 'SIZE 3000');
        assert.equal(sizeLine(b.ehlo), 'SIZE 5000');
        assert.ok(a.ehlo.lines.some((l) => /^250[- ]LIMITS RCPTMAX=\d+$/.test(l)), 'RFC 9422 LIMITS still advertised');
        // Raw DATA without SIZE=: read to its end, then 552 5.3.4 (S1) on mx; accepted on mx2.
        assert.equal(await sendRaw(a.c, 'raw@client.test', [ALICE], message(4000, 'raw mx')), '552 5.3.4');
        assert.equal(await sendRaw(b.c, 'raw@client.test', [ALICE], message(4000, 'raw mx2')), '250 2.0.0');
      } finally {
        a.c.close();
        b.c.close();
      }
      // python smtplib declares SIZE= itself: refused at MAIL on mx, delivered through mx2.
      const refused = await smtplib({ port: ts.ports.mx, from: 'py@client.test', to: [ALICE], msg: message(4000, 'py mx') });
      assert.equal(refused.error?.type, 'SMTPSenderRefused', JSON.stringify(refused));
      assert.equal(refused.error?.code, 552);
      assert.match(refused.error?.text ?? '', /^5\.3\.4 /);
      const ok = await smtplib({ port: ts.ports.mx2, from: 'py@client.test', to: [ALICE], msg: message(4000, 'py mx2') });
      assert.equal(ok.error, undefined, JSON.stringify(ok));
      assert.equal((await mailbox(ts, ALICE, 2)).length, 2);
      const mail = decisions(ts, 'mail.maxMessageSize');
      assert.equal(mail.length, 1);
      assert.deepEqual([mail[0].feature, mail[0].code, mail[0].enhanced, mail[0].stage], ['S1', 552, '5.3.4', 'mail']);
      assert.match(String(mail[0].reason), /listeners\.mx\.maxMessageSize/);
      const eod = decisions(ts, 'eod.maxMessageSize');
      assert.equal(eod.length, 1);
      assert.deepEqual([eod[0].feature, eod[0].code, eod[0].enhanced], ['S1', 552, '5.3.4']);
    });
  });

  test('S3 blocks: SIZE = min(maxMessageSize, sourceBlockLimit x blockSize, blockLimit x blockSize) before any recipient; refusals name S3', async () => {
    await withServer({ limits: { maxMessageSize: 100000, blockSize: 1000, blockLimit: 4 }, listeners: [mx({ sourceBlockLimit: 3 }), mx2()] }, async (ts) => {
      const a = await ehloClient(ts.ports.mx);
      const b = await ehloClient(ts.ports.mx2);
      try {
        assert.equal(sizeLine(a.ehlo), 'SIZE 3000', 'listener sourceBlockLimit 3 x 1000');
        assert.equal(sizeLine(b.ehlo), 'SIZE 4000', 'global blockLimit 4 x 1000');
        assert.equal(codes(await b.c.cmd('MAIL FROM:<s@client.test> SIZE=4001')), '552 5.3.4');
        assert.equal(codes(await b.c.cmd('MAIL FROM:<s@client.test> SIZE=4000')), '250 2.1.0');
        assert.equal(codes(await b.c.cmd('RSET')), '250 2.0.0');
        assert.equal(await sendRaw(a.c, 's@client.test', [ALICE], message(3001, 'blocks')), '552 5.3.4');
        assert.equal(await sendRaw(a.c, 's@client.test', [ALICE], message(3000, 'blocks ok')), '250 2.0.0');
      } finally {
        a.c.close();
        b.c.close();
      }
      assert.deepEqual(decisions(ts, 'mail.maxMessageSize').map((d) => [d.feature, d.code, d.enhanced]), [['S3', 552, '5.3.4']]);
      const eod = decisions(ts, 'eod.maxMessageSize');
      assert.deepEqual(eod.map((d) => d.feature), ['S3']);
      assert.match(String(eod[0].reason), /listeners\.mx\.sourceBlockLimit/);
    });
  });

  test('S2/S3 per sender and sender domain from the directory: smtplib refused at MAIL, swaks after DATA, an address raise wins', async () => {
    await withServer({ limits: { maxMessageSize: 5000 } }, async (ts) => {
      const lim = ts.server.directory.limits;
      lim.set('small-sender.test', { maxMessageSize: 1000 });
      lim.set('vip@small-sender.test', { maxMessageSize: 8000 });
      lim.set('blocky.test', { sourceBlockLimit: 1 });
      const py = await smtplib({ port: ts.ports.mx, from: 'a@small-sender.test', to: [ALICE], msg: message(1500, 'py small') });
      assert.equal(py.error?.type, 'SMTPSenderRefused', JSON.stringify(py));
      assert.equal(py.error?.code, 552);
      const tmp = tempDir();
      try {
        const body = tmp.file('body.txt', message(1500, 'swaks').toString('latin1'));
        const sw = await swaks(ts.ports.mx, ['--from', 'a@small-sender.test', '--to', ALICE, '--body', body]);
        assert.notEqual(sw.code, 0);
        assert.ok(swaksReplies(sw.stdout).some((l) => l.startsWith('552 5.3.4')), sw.stdout);
        const sw2 = await swaks(ts.ports.mx, ['--from', 'x@blocky.test', '--to', ALICE, '--body', body]);
        assert.ok(swaksReplies(sw2.stdout).some((l) => l.startsWith('552 5.3.4')), sw2.stdout);
      } finally {
        tmp.cleanup();
      }
      const vip = await smtplib({ port: ts.ports.mx, from: 'VIP@small-sender.test', to: [ALICE], msg: message(7000, 'vip') });
      assert.equal(vip.error, undefined, JSON.stringify(vip));
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      assert.equal(splitDelivered(files[0]).message.length, 7000);
      assert.deepEqual(decisions(ts, 'mail.maxMessageSize').map((d) => d.feature), ['S2']);
      assert.deepEqual(decisions(ts, 'eod.maxMessageSize').map((d) => d.feature), ['S2', 'S3']);
      assert.deepEqual(await spoolFiles(ts), []);
    });
  });

  test('S2 per recipient domain: 552 5.3.4 at RCPT when SIZE= is over it; without SIZE= the smallest applying limit decides after DATA', async () => {
    await withServer({ limits: { maxMessageSize: 5000 } }, async (ts) => {
      const dir = ts.server.directory;
      dir.addDomain('small.test');
      await dir.addMailbox(CAROL, 'carol-secret-pw');
      dir.limits.set('small.test', { maxMessageSize: 1000 });
      // smtplib sends SIZE=1500: carol is refused at RCPT, alice gets the message.
      const py = await smtplib({ port: ts.ports.mx, from: 'py@client.test', to: [ALICE, CAROL], msg: message(1500, 'two rcpts') });
      assert.equal(py.error, undefined, JSON.stringify(py));
      assert.equal(py.refused?.[CAROL]?.[0], 552);
      assert.match(py.refused?.[CAROL]?.[1] ?? '', /^5\.3\.4 /);
      assert.equal((await mailbox(ts, ALICE, 1)).length, 1);
      assert.equal(ts.maildir(CAROL).length, 0);
      const rcpt = decisions(ts, 'rcpt.maxMessageSize');
      assert.deepEqual(rcpt.map((d) => [d.feature, d.code, d.enhanced, d.rcpt]), [['S2', 552, '5.3.4', CAROL]]);
      // No SIZE=: both accepted at RCPT; 1500 octets is over carol's domain limit: refused for all.
      const { c } = await ehloClient(ts.ports.mx);
      try {
        assert.equal(await sendRaw(c, 'raw@client.test', [ALICE, CAROL], message(1500, 'too big for small.test')), '552 5.3.4');
        assert.equal(await sendRaw(c, 'raw@client.test', [ALICE, CAROL], message(900, 'fits everyone')), '250 2.0.0');
        assert.equal(await sendRaw(c, 'raw@client.test', [ALICE, BOB], message(1500, 'no small domain')), '250 2.0.0');
      } finally {
        c.close();
      }
      assert.equal((await mailbox(ts, CAROL, 1)).length, 1);
      assert.equal((await mailbox(ts, ALICE, 3)).length, 3);
      const eod = decisions(ts, 'eod.maxMessageSize');
      assert.equal(eod.length, 1);
      assert.equal(eod[0].feature, 'S2');
      assert.match(String(eod[0].reason), /recipient domain small\.test/);
    });
  });

  test('S3 global lineLimit (LINE_LIMIT): counted while streaming, DATA and BDAT; 552 5.3.4 past it', async () => {
    await withServer({ limits: { lineLimit: 10 } }, async (ts) => {
      const nLines = (n: number, tail = '') => Buffer.from('Subject: lines\r\n' + 'line\r\n'.repeat(n - 1) + tail, 'latin1');
      const { c } = await ehloClient(ts.ports.mx);
      try {
        assert.equal(await sendRaw(c, 's@client.test', [ALICE], nLines(10)), '250 2.0.0');
        assert.equal(await sendRaw(c, 's@client.test', [ALICE], nLines(11)), '552 5.3.4');
        assert.equal(await sendRaw(c, 's@client.test', [ALICE], nLines(500)), '552 5.3.4');
        // BDAT: a last line without CRLF is a line too.
        const bdat = async (m: Buffer) => {
          c.write(`MAIL FROM:<s@client.test>\r\nRCPT TO:<${ALICE}>\r\nBDAT ${m.length} LAST\r\n`);
          c.write(m);
          return (await c.replies(3)).map(codes)[2];
        };
        assert.equal(await bdat(nLines(10, 'tail')), '552 5.3.4');
        assert.equal(await bdat(nLines(9, 'tail')), '250 2.0.0');
      } finally {
        c.close();
      }
      const py = await smtplib({ port: ts.ports.mx, from: 'py@client.test', to: [ALICE], msg: nLines(12) });
      assert.equal(py.error?.type, 'SMTPDataError', JSON.stringify(py));
      assert.equal(py.error?.code, 552);
      assert.equal((await mailbox(ts, ALICE, 2)).length, 2);
      const d = decisions(ts, 'eod.lineLimit');
      assert.equal(d.length, 4);
      assert.ok(d.every((l) => l.feature === 'S3' && l.code === 552 && l.enhanced === '5.3.4'));
    });
  });

  test('warn mode: mail.maxMessageSize and eod.maxMessageSize decide and log, but the message passes', async () => {
    await withServer({ limits: { maxMessageSize: 1000 }, policy: { warn: ['mail.maxMessageSize', 'eod.maxMessageSize'] } }, async (ts) => {
      const py = await smtplib({ port: ts.ports.mx, from: 'py@client.test', to: [ALICE], msg: message(2000, 'warned') });
      assert.equal(py.error, undefined, JSON.stringify(py));
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(splitDelivered(files[0]).message.length, 2000);
      assert.deepEqual(decisions(ts, 'mail.maxMessageSize').map((d) => d.warn), [true]);
      assert.deepEqual(decisions(ts, 'eod.maxMessageSize').map((d) => d.warn), [true]);
    });
  });
});
