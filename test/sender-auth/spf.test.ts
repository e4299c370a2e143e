// A1 SPF at MAIL end to end: reject mode (fail 550 5.7.23; a DNS failure 451 4.7.24,
// our fault, never a pass and never a hard refusal), mark mode (the result in
// Authentication-Results and the score), the HELO identity (once per connection),
// the null sender checked through HELO, warn mode, and clients that are never
// checked (authenticated, LAN): no DNS query at all.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ehloClient, codes } from '../helpers/smtp-client.js';
import { authDns, startAuth, decisions, fields, smtplib, mailbox, message, USERS, type AuthDns } from './support.js';

const ALICE = USERS.alice.address;
let d: AuthDns;

before(async () => {
  d = await authDns();
});
after(() => d.dns.stop());

describe('A1 SPF', { timeout: 60_000 }, () => {
  test('A1 reject mode: fail 550 5.7.23 at MAIL; pass goes on; DNS failure 451 4.7.24 (fault server, not counted by H5)', async () => {
    const ts = await startAuth(d, { senderAuth: { spf: { mode: 'reject' } }, limits: { maxFailedCommands: 2 } });
    try {
      const { c } = await ehloClient(ts.ports.mx, 'client.test');
      const fail = await c.cmd('MAIL FROM:<a@reject.test>');
      assert.equal(codes(fail), '550 5.7.23');
      assert.match(fail.text, /SPF check failed: reject\.test does not allow your address/);
      for (let i = 0; i < 3; i++) assert.equal(codes(await c.cmd('MAIL FROM:<a@slow.test>')), '451 4.7.24', `temperror ${i}`);
      assert.equal(codes(await c.cmd('MAIL FROM:<a@good.test>')), '250 2.1.0', 'the 451s were not counted: one client refusal so far');
      c.close();
      const lines = decisions(ts, 'mail.spf');
      assert.deepEqual(lines.map((l) => [l.code, l.enhanced, l.fault, l.feature]), [[550, '5.7.23', 'client', 'A1'], [451, '4.7.24', 'server', 'A1'], [451, '4.7.24', 'server', 'A1'], [451, '4.7.24', 'server', 'A1']]);
      assert.match(String(lines[0].reason), /SPF fail for a@reject\.test from 127\.0\.0\.1 \(v=spf1 ip4:192\.0\.2\.10 -all\)/);
    } finally {
      await ts.stop();
    }
  });

  test('A1 smtplib in mark mode: SPF fail is accepted, scored and reported; the HELO identity too', async () => {
    const ts = await startAuth(d, { senderAuth: { dmarc: { enabled: false } } });
    try {
      const r = await smtplib({ port: ts.ports.mx, from: 'a@reject.test', to: [ALICE], msg: Buffer.from(message({ from: 'a@reject.test', to: ALICE, subject: 'spf mark' })) });
      assert.equal(r.error, undefined, JSON.stringify(r));
      const [file] = await mailbox(ts, ALICE, 1);
      const [ar] = fields(file, 'Authentication-Results');
      assert.match(ar, /^mx\.rampart\.test; spf=fail \(mx\.rampart\.test: domain of a@reject\.test does not designate 127\.0\.0\.1 as permitted sender\) smtp\.mailfrom=a@reject\.test; spf=none .*smtp\.helo=py\.client\.test; dkim=none \(message not signed\)$/);
      assert.deepEqual(fields(file, 'X-Rampart-Score'), ['3 accept (mail.spf=3)']);
      const mark = decisions(ts, 'mail.spf');
      assert.equal(mark.length, 1, 'logged once');
      assert.deepEqual([mark[0].action, mark[0].score, mark[0].stage], ['mark', 3, 'eod']);
    } finally {
      await ts.stop();
    }
  });

  test('A1 the null sender is checked through HELO; the HELO identity is asked once per connection', async () => {
    const ts = await startAuth(d, { senderAuth: { spf: { mode: 'reject' }, dmarc: { enabled: false } } });
    try {
      const { c } = await ehloClient(ts.ports.mx, 'reject.test');
      assert.equal(codes(await c.cmd('MAIL FROM:<>')), '550 5.7.23', 'postmaster@reject.test is not allowed from here');
      c.close();
      const { c: c2 } = await ehloClient(ts.ports.mx, 'good.test');
      const before = d.queries('good.test');
      for (let i = 0; i < 3; i++) {
        assert.equal(codes(await c2.cmd('MAIL FROM:<>')), '250 2.1.0');
        assert.equal(codes(await c2.cmd('RSET')), '250 2.0.0');
      }
      assert.equal(d.queries('good.test') - before, 1, 'one TXT query for the HELO identity');
      c2.close();
    } finally {
      await ts.stop();
    }
  });

  test('A1 warn mode: mail.spf logs the 550 and lets the sender through', async () => {
    const ts = await startAuth(d, { senderAuth: { spf: { mode: 'reject' } }, policy: { warn: ['mail.spf'] } });
    try {
      const { c } = await ehloClient(ts.ports.mx, 'client.test');
      assert.equal(codes(await c.cmd('MAIL FROM:<a@reject.test>')), '250 2.1.0');
      c.close();
      const [line] = decisions(ts, 'mail.spf');
      assert.deepEqual([line.code, line.enhanced, line.warn], [550, '5.7.23', true]);
    } finally {
      await ts.stop();
    }
  });

  test('A1 authenticated and LAN clients are never checked: no DNS query', async () => {
    const ts = await startAuth(d, { senderAuth: { spf: { mode: 'reject' } } });
    try {
      const before = d.dns.queries.length;
      const r = await smtplib({ port: ts.ports.submission, tls: 'starttls', auth: { mech: 'PLAIN', user: ALICE, password: USERS.alice.password }, from: ALICE, to: [USERS.bob.address], msg: Buffer.from(message({ from: ALICE, to: USERS.bob.address })) });
      assert.equal(r.error, undefined, JSON.stringify(r));
      assert.equal(d.dns.queries.length, before);
    } finally {
      await ts.stop();
    }
    const lan = await startAuth(d, { senderAuth: { spf: { mode: 'reject' } }, relay: { lanNetworks: ['127.0.0.1/32'] } });
    try {
      const before = d.dns.queries.length;
      const { c } = await ehloClient(lan.ports.mx, 'client.test');
      assert.equal(codes(await c.cmd('MAIL FROM:<a@reject.test>')), '250 2.1.0');
      c.close();
      assert.equal(d.dns.queries.length, before);
    } finally {
      await lan.stop();
    }
  });
});
