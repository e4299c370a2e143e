// Q1/Q2 end to end: real clients (nodemailer, python3 smtplib) submit with DSN
// parameters (RFC 3461 NOTIFY, ORCPT, RET, ENVID); local failures after
// acceptance, delays and give-up (fake clock) come back to the sender's mailbox as
// notices, parsed with mailsplit/libmime and checked field by field (RFC 3464).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { startTestServer, USERS, type TestServer } from '../helpers/server.js';
import { python } from '../protocol/support.js';
import { FakeClock } from '../../src/scheduler/fake-clock.js';
import { setHold, clearHold } from '../../src/spool/hold.js';
import { dsnOfMaildirFile, parseDsn, type ParsedDsn } from '../helpers/dsn.js';
import { until } from '../helpers/until.js';


/** The notices (null sender) in a mailbox, parsed; other messages are skipped. */
async function noticesIn(ts: TestServer, address: string): Promise<ParsedDsn[]> {
  const files = ts.maildir(address).filter((f) => f.startsWith('Return-Path: <>\r\n'));
  return Promise.all(files.map((f) => parseDsn(dsnOfMaildirFile(f).dsn)));
}

test('Q2 nodemailer with DSN options: a mailbox removed after acceptance is bounced (5.1.1), SUCCESS reported for the rest', { timeout: 60_000 }, async () => {
  const ts = await startTestServer({ timeouts: { shutdownMs: 1500 } });
  try {
    const spoolRoot = join(ts.dataDir, 'spool');
    setHold(spoolRoot, 'test');
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: ts.ports.submission, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: USERS.alice.address, pass: USERS.alice.password }, name: 'nm.client.test' });
    const info = await t.sendMail({
      envelope: { from: USERS.alice.address, to: ['team@example.test', USERS.bob.address] },
      raw: 'From: Alice <alice@example.test>\r\nTo: team@example.test, bob@example.test\r\nSubject: dsn via nodemailer\r\nMessage-ID: <nm-dsn@example.test>\r\n\r\nhello\r\n',
      dsn: { id: 'nm-42', return: 'headers', notify: ['success', 'failure'], recipient: USERS.alice.address },
    });
    t.close();
    assert.deepEqual(info.accepted.sort(), ['bob@example.test', 'team@example.test']);
    ts.server.directory.removeMailbox(USERS.bob.address); // gone after the 250
    clearHold(spoolRoot);
    await until('notices', () => ts.maildir(USERS.alice.address).length >= 3);
    await ts.delivered();
    const files = ts.maildir(USERS.alice.address);
    assert.equal(files.length, 3, 'the copy through team, a failure notice, a success notice');
    const notices = await noticesIn(ts, USERS.alice.address);
    const failure = notices.find((n) => n.header.subject === 'Undelivered Mail Returned to Sender')!;
    const success = notices.find((n) => n.header.subject === 'Successful Mail Delivery Report')!;
    for (const n of [failure, success]) {
      assert.equal(n.type, 'multipart/report');
      assert.equal(n.params['report-type'], 'delivery-status');
      assert.equal(n.perMessage['reporting-mta'], 'dns; mx.rampart.test');
      assert.equal(n.perMessage['original-envelope-id'], 'nm-42');
      assert.match(n.perMessage['arrival-date'], /^\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/);
      assert.equal(n.parts[2].type, 'text/rfc822-headers', 'RET=HDRS');
      assert.match(n.parts[2].body.toString('latin1'), /^Received: .*\r\n(?:.*\r\n)*Subject: dsn via nodemailer\r\n/);
      assert.doesNotMatch(n.parts[2].body.toString('latin1'), /hello/, 'headers only');
    }
    assert.deepEqual(failure.perRecipient.map((r) => [r['original-recipient'], r['final-recipient'], r.action, r.status, r['diagnostic-code']]).sort(), [
      ['rfc822; alice@example.test', 'rfc822; bob@example.test', 'failed', '5.1.1', 'X-Rampart; alias target bob@example.test is not a local mailbox or alias'],
      ['rfc822; alice@example.test', 'rfc822; bob@example.test', 'failed', '5.1.1', 'X-Rampart; no such local mailbox: bob@example.test'],
    ]);
    assert.deepEqual(success.perRecipient.map((r) => [r['final-recipient'], r.action, r.status]), [['rfc822; alice@example.test', 'delivered', '2.0.0']]);
  } finally {
    await ts.stop();
  }
});

const PY_DSN = String.raw`
import json, os, smtplib, ssl
a = json.load(open(os.environ['ARGS_FILE']))
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
out = {}
try:
    s = smtplib.SMTP('127.0.0.1', a['port'], local_hostname='py.client.test', timeout=10)
    s.ehlo()
    s.starttls(context=ctx)
    s.ehlo()
    out['dsn'] = s.has_extn('dsn')
    s.login(a['user'], a['password'])
    refused = s.sendmail(a['from'], a['to'], a['msg'].encode('utf-8'), mail_options=a['mailOptions'], rcpt_options=a['rcptOptions'])
    out['refused'] = {k: [v[0], v[1].decode()] for k, v in refused.items()}
    s.quit()
except Exception as e:
    out['error'] = type(e).__name__ + ': ' + str(e)
print(json.dumps(out))
`;

test('Q2 smtplib with RET=FULL, ENVID, NOTIFY=DELAY,FAILURE, ORCPT: one delay warning, then the whole message back at giveUpMs (fake clock)', { timeout: 60_000 }, async () => {
  const clock = new FakeClock();
  clock.t = Date.now();
  const ts = await startTestServer({ timeouts: { shutdownMs: 1500 }, delivery: { retryMs: [60_000], delayWarningMs: 120_000, giveUpMs: 300_000 } }, { clock });
  try {
    const box = join(ts.dataDir, 'mail/example.test/bob');
    mkdirSync(box, { recursive: true });
    writeFileSync(join(box, 'Maildir'), 'a file where the folder should be'); // bob's delivery fails, temporarily
    const msg = 'From: alice@example.test\r\nTo: bob@example.test\r\nSubject: full return\r\n\r\nthe body comes back too\r\n';
    const r = await python<{ dsn?: boolean; refused?: object; error?: string }>(PY_DSN, {
      port: ts.ports.submission,
      user: USERS.alice.address,
      password: USERS.alice.password,
      from: USERS.alice.address,
      to: [USERS.bob.address],
      msg,
      mailOptions: ['RET=FULL', 'ENVID=py+2B1'],
      rcptOptions: ['NOTIFY=DELAY,FAILURE', 'ORCPT=rfc822;orig+2Bbob@example.test'],
    });
    assert.equal(r.error, undefined);
    assert.equal(r.dsn, true, 'DSN advertised');
    assert.deepEqual(r.refused, {});
    await ts.delivered();
    // The session stamps arrival with the real clock: bring the fake one level with it (ages count from there).
    clock.t = Math.max(clock.t, Date.now());
    const step = async (ms: number) => {
      clock.advance(ms + 1000);
      await ts.delivered();
    };
    await step(60_000);
    assert.equal((await noticesIn(ts, USERS.alice.address)).length, 0, 'no warning before delayWarningMs');
    await step(60_000);
    let notices = await noticesIn(ts, USERS.alice.address);
    assert.equal(notices.length, 1);
    const delay = notices[0];
    assert.equal(delay.header.subject, 'Delayed Mail (still being retried)');
    assert.equal(delay.perMessage['original-envelope-id'], 'py+1');
    assert.deepEqual([delay.perRecipient[0]['original-recipient'], delay.perRecipient[0]['final-recipient'], delay.perRecipient[0].action, delay.perRecipient[0].status], ['rfc822; orig+bob@example.test', 'rfc822; bob@example.test', 'delayed', '4.3.0']);
    assert.ok(delay.perRecipient[0]['will-retry-until']);
    assert.equal(delay.parts[2].type, 'message/rfc822', 'RET=FULL');
    for (let i = 0; i < 3; i++) await step(60_000);
    notices = await noticesIn(ts, USERS.alice.address);
    assert.equal(notices.length, 2, 'one warning, then the failure');
    const failure = notices.find((n) => n.header.subject === 'Undelivered Mail Returned to Sender')!;
    assert.deepEqual([failure.perRecipient[0].action, failure.perRecipient[0].status], ['failed', '4.4.7']);
    assert.match(failure.perRecipient[0]['diagnostic-code'], /^X-Rampart; maildir delivery to bob@example\.test failed: .*\(gave up after 6 attempts over 5 minutes\)$/);
    assert.equal(failure.parts[2].type, 'message/rfc822');
    assert.match(failure.parts[2].body.toString('latin1'), /\r\nSubject: full return\r\n\r\nthe body comes back too\r\n$/);
    assert.equal(ts.server.scheduler.size, 0);
    rmSync(join(box, 'Maildir'));
  } finally {
    await ts.stop();
  }
});
