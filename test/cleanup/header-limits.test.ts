// S5 maximum header lines and S6 header size limit with real clients (python3
// smtplib, swaks, a raw socket for DATA and BDAT): codes, the Maildir bytes, the log.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { start, mailbox, splitDelivered, smtplib, swaks, swaksReplies, tempDir, listeners, USERS, sendData, sendBdat, decisions } from './support.js';
import { ehloClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;

/** `n` header lines (every third field folded once), then a body. */
function message(n: number, tag: string): Buffer {
  const lines: string[] = [];
  for (let i = 0; lines.length < n; i++) {
    lines.push(`X-Trace-${i}: ${tag} hop ${i}`);
    if (i % 3 === 2 && lines.length < n) lines.push(`\tfolded part of field ${i}`);
  }
  return Buffer.from(lines.join('\r\n') + '\r\n\r\nBody of ' + tag + '\r\n', 'latin1');
}

describe('S5 maximum header lines', { timeout: 60_000 }, () => {
  test('S5 smtplib: 150 header lines (folded lines counted) are accepted byte-exact; 151 get 552 5.6.0 and nothing is delivered', async () => {
    const ts = await start();
    try {
      const ok = message(150, 'ok');
      const r1 = await smtplib({ port: ts.ports.mx, from: 'sender@client.test', to: [ALICE], msg: ok });
      assert.equal(r1.error, undefined, JSON.stringify(r1.error));
      const r2 = await smtplib({ port: ts.ports.mx, from: 'sender@client.test', to: [ALICE], msg: message(151, 'too many') });
      assert.deepEqual([r2.error?.type, r2.error?.code], ['SMTPDataError', 552]);
      assert.match(r2.error!.text!, /^5\.6\.0 /);
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      assert.ok(splitDelivered(files[0]).message.equals(ok), 'our Received field is not counted and not changed');
      const d = decisions(ts, 'eod.maxHeaderLines');
      assert.equal(d.length, 1);
      assert.deepEqual([d[0].feature, d[0].code, d[0].enhanced, d[0].action], ['S5', 552, '5.6.0', 'reject']);
    } finally {
      await ts.stop();
    }
  });

  test('S5 raw DATA and BDAT: refused after the whole message was read; the session goes on', async () => {
    const ts = await start({ limits: { maxHeaderLines: 10 } });
    const { c } = await ehloClient(ts.ports.mx);
    try {
      const big = message(11, 'raw');
      assert.equal(codes(await sendData(c, ALICE, Buffer.concat([big, Buffer.from('z\r\n'.repeat(20000))]))), '552 5.6.0');
      assert.equal(codes(await sendBdat(c, ALICE, big, 37)), '552 5.6.0');
      assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0');
      assert.match((await sendData(c, ALICE, message(10, 'fits'))).lines[0], /^250 2\.0\.0 /);
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      assert.equal(decisions(ts, 'eod.maxHeaderLines').length, 2);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('S5 warn mode: the message passes, the decision is logged with warn', async () => {
    const ts = await start({ limits: { maxHeaderLines: 5 }, policy: { warn: ['eod.maxHeaderLines'] } });
    const { c } = await ehloClient(ts.ports.mx);
    try {
      const msg = message(8, 'warned');
      assert.equal(codes(await sendData(c, ALICE, msg)), '250 2.0.0');
      const files = await mailbox(ts, ALICE, 1);
      assert.ok(splitDelivered(files[0]).message.equals(msg));
      assert.equal(decisions(ts, 'eod.maxHeaderLines')[0]?.warn, true);
    } finally {
      c.close();
      await ts.stop();
    }
  });
});

describe('S6 header size limit', { timeout: 60_000 }, () => {
  const fields = ['From: Sender <sender@client.test>', `To: <${ALICE}>`, 'Subject: header limit', 'X-Long: ' + 'l'.repeat(150), 'X-After: short'];
  const body = '\r\nThe body stays.\r\nX-Not-A-Header: in the body\r\n';
  const msg = fields.join('\r\n') + '\r\n' + body;
  const upTo = (n: number) => fields.slice(0, n).map((f) => f + '\r\n').join('');

  test('S6 swaks: past the listener\'s headerLimit whole fields are dropped silently; blank line and body intact', async () => {
    const limit = upTo(3).length + 20; // X-Long does not fit, X-After would but goes too
    const ts = await start({ listeners: listeners({ mx: { headerLimit: limit } }) });
    const tmp = tempDir();
    try {
      const r = await swaks(ts.ports.mx, ['--from', 'sender@client.test', '--to', ALICE, '--data', tmp.file('m.eml', msg)]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(swaksReplies(r.stdout).some((l) => /^250 2\.0\.0 Ok: queued/.test(l)));
      const files = await mailbox(ts, ALICE, 1);
      // swaks ends --data with one more CRLF of its own.
      assert.equal(splitDelivered(files[0]).message.toString('latin1'), upTo(3) + body + '\r\n');
      assert.ok(ts.logs.some((l) => l.event === 'cleanup' && l.headerFieldsDropped === 2));
    } finally {
      tmp.cleanup();
      await ts.stop();
    }
  });

  test('S6 the global limits.headerLimit overrides the listener\'s; other listeners get it too', async () => {
    const global = upTo(4).length; // room for the first four fields
    const ts = await start({
      limits: { headerLimit: global },
      listeners: listeners({ mx: { headerLimit: 40 } }, [{ name: 'mx2', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0 }]),
    });
    try {
      for (const port of [ts.ports.mx, ts.ports.mx2]) {
        const r = await smtplib({ port, from: 'sender@client.test', to: [ALICE], msg: Buffer.from(msg, 'latin1') });
        assert.equal(r.error, undefined, JSON.stringify(r.error));
      }
      const files = await mailbox(ts, ALICE, 2);
      assert.deepEqual(files.map((f) => splitDelivered(f).message.toString('latin1')), [upTo(4) + body, upTo(4) + body]);
    } finally {
      await ts.stop();
    }
  });
});
