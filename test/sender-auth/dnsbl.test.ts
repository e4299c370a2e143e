// A6 DNS block and allow lists end to end: the threshold refuses at connect (554
// 5.7.1 and close) or at RCPT (554 5.7.1 per recipient), naming no zone to the
// client and the zone and reply in the log; an allow list with a negative weight;
// one lookup per connection, cached in the shared store across connections; a list
// that does not answer gives 451 4.7.1 (our fault; 421 at connect) only when it could decide; a
// listing under the threshold feeds the score; warn mode; clients never looked up.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpClient, ehloClient, codes } from '../helpers/smtp-client.js';
import { authDns, startAuth, decisions, fields, smtplib, mailbox, message, USERS, type AuthDns } from './support.js';

const ALICE = USERS.alice.address;
const BOB = USERS.bob.address;
let d: AuthDns;

before(async () => {
  d = await authDns();
});
after(() => d.dns.stop());

const noAuth = { spf: { mode: 'off' }, dkim: { verify: false }, dmarc: { enabled: false } };

describe('A6 DNSBL', { timeout: 60_000 }, () => {
  test('A6 refuseAt connect: 554 5.7.1 instead of the greeting, then closed; the log names zone and reply', async () => {
    const ts = await startAuth(d, { senderAuth: noAuth, dnsbl: { zones: ['zen.test*3'], threshold: 3, refuseAt: 'connect' } });
    try {
      const c = await SmtpClient.connect(ts.ports.mx);
      const r = await c.reply();
      assert.equal(codes(r), '554 5.7.1');
      assert.doesNotMatch(r.text, /zen|127\.0\.0\.2/, 'no zone or reply told to the client');
      await c.waitClosed();
      const [line] = decisions(ts, 'connect.dnsbl');
      assert.deepEqual([line.action, line.code, line.enhanced, line.feature, line.stage, line.fault], ['drop', 554, '5.7.1', 'A6', 'connect', 'client']);
      assert.match(String(line.reason), /127\.0\.0\.1 DNSBL score 3 >= 3: zen\.test=127\.0\.0\.2\(\+3\)/);
      assert.ok(ts.logs.some((l) => l.event === 'dnsbl' && l.listed === 'zen.test=127.0.0.2(+3)'));
    } finally {
      await ts.stop();
    }
  });

  test('A6 smtplib, refuseAt rcpt (default): every recipient 554 5.7.1, logged with sender and recipient', async () => {
    const ts = await startAuth(d, { senderAuth: noAuth, dnsbl: { zones: ['zen.test=127.0.0.[2..11]*3', 'bl.test*1'], threshold: 3 } });
    try {
      const r = await smtplib({ port: ts.ports.mx, from: 'a@client.test', to: [ALICE, BOB], msg: Buffer.from(message({ to: ALICE })) });
      assert.equal(r.error?.type, 'SMTPRecipientsRefused', JSON.stringify(r));
      for (const who of [ALICE, BOB]) {
        assert.equal(r.refused?.[who]?.[0], 554);
        assert.match(r.refused?.[who]?.[1] ?? '', /^5\.7\.1 Service unavailable: your address has a poor reputation$/);
      }
      const lines = decisions(ts, 'rcpt.dnsbl');
      assert.deepEqual(lines.map((l) => [l.code, l.enhanced, l.from, l.rcpt]), [[554, '5.7.1', 'a@client.test', ALICE], [554, '5.7.1', 'a@client.test', BOB]]);
      assert.match(String(lines[0].reason), /score 4 >= 3: zen\.test=127\.0\.0\.2\(\+3\) bl\.test=127\.0\.0\.3\(\+1\)/);
    } finally {
      await ts.stop();
    }
  });

  test('A6 an allow list with a negative weight keeps a listed client under the threshold', async () => {
    const ts = await startAuth(d, { senderAuth: noAuth, dnsbl: { zones: ['zen.test*3', 'wl.test=127.0.[0..255].[1..3]*-5'], threshold: 3 } });
    try {
      const { c } = await ehloClient(ts.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<a@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      c.close();
    } finally {
      await ts.stop();
    }
  });

  test('A6 one lookup per connection, and the next connection is answered from the shared store', async () => {
    const ts = await startAuth(d, { senderAuth: noAuth, dnsbl: { zones: ['bl.test*1'] } });
    try {
      const before = d.queries('.bl.test');
      for (let conn = 0; conn < 2; conn++) {
        const { c } = await ehloClient(ts.ports.mx);
        for (let i = 0; i < 3; i++) {
          assert.equal(codes(await c.cmd('MAIL FROM:<a@client.test>')), '250 2.1.0');
          assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
          assert.equal(codes(await c.cmd('DATA')), '354 -');
          c.write(message({ to: ALICE, subject: `m${conn}${i}` }) + '.\r\n');
          assert.equal(codes(await c.reply()), '250 2.0.0');
        }
        c.close();
      }
      assert.equal(d.queries('.bl.test') - before, 1, 'one DNS query for two connections and six messages');
      const files = await mailbox(ts, ALICE, 6);
      assert.equal(files.length, 6);
      for (const f of files) {
        assert.deepEqual(fields(f, 'X-Rampart-DNSBL'), ['bl.test=127.0.0.3(+1)'], 'under the threshold: a mark for the recipient');
        assert.deepEqual(fields(f, 'X-Rampart-Score'), ['1 accept (connect.dnsbl=1)']);
      }
    } finally {
      await ts.stop();
    }
  });

  test('A6 a list that answers SERVFAIL: 451 4.7.1 (fault server) when it could reach the threshold (421 4.7.1 at connect), nothing when it could not', async () => {
    const ts = await startAuth(d, { senderAuth: noAuth, dnsbl: { zones: ['bl.test*1', 'broken.test*5'], threshold: 3 }, limits: { maxFailedCommands: 2 } });
    try {
      const { c } = await ehloClient(ts.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<a@client.test>')), '250 2.1.0');
      for (let i = 0; i < 3; i++) assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '451 4.7.1');
      assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0', 'not counted by H5');
      c.close();
      const lines = decisions(ts, 'rcpt.dnsbl');
      assert.ok(lines.length === 3 && lines.every((l) => l.fault === 'server'), JSON.stringify(lines));
      assert.match(String(lines[0].reason), /broken\.test: ESERVFAIL/);
    } finally {
      await ts.stop();
    }
    // At connect the same unsure answer cannot be a 451 greeting (RFC 5321 allows 220, 421 or 554): 421 4.7.1 and closed.
    const early = await startAuth(d, { senderAuth: noAuth, dnsbl: { zones: ['bl.test*1', 'broken.test*5'], threshold: 3, refuseAt: 'connect' } });
    try {
      const c = await SmtpClient.connect(early.ports.mx);
      assert.equal(codes(await c.reply()), '421 4.7.1');
      await c.waitClosed();
      const [line] = decisions(early, 'connect.dnsbl');
      assert.deepEqual([line.action, line.code, line.enhanced, line.fault], ['drop', 421, '4.7.1', 'server']);
    } finally {
      await early.stop();
    }
    const safe = await startAuth(d, { senderAuth: noAuth, dnsbl: { zones: ['broken.test*1'], threshold: 3 } });
    try {
      const { c } = await ehloClient(safe.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<a@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5', 'a listing there could not reach 3');
      c.close();
    } finally {
      await safe.stop();
    }
  });

  test('A6 warn mode: connect.dnsbl and rcpt.dnsbl log and let the client through', async () => {
    const ts = await startAuth(d, { senderAuth: noAuth, dnsbl: { zones: ['zen.test*3'], threshold: 3, refuseAt: 'connect' }, policy: { warn: ['connect.dnsbl'] } });
    try {
      const { c } = await ehloClient(ts.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<a@client.test>')), '250 2.1.0');
      c.close();
      const [line] = decisions(ts, 'connect.dnsbl');
      assert.deepEqual([line.code, line.enhanced, line.warn], [554, '5.7.1', true]);
    } finally {
      await ts.stop();
    }
    const rcpt = await startAuth(d, { senderAuth: noAuth, dnsbl: { zones: ['zen.test*3'], threshold: 3 }, policy: { warn: ['rcpt.dnsbl'] } });
    try {
      const { c } = await ehloClient(rcpt.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<a@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      c.close();
      const [line] = decisions(rcpt, 'rcpt.dnsbl');
      assert.deepEqual([line.code, line.enhanced, line.warn], [554, '5.7.1', true]);
    } finally {
      await rcpt.stop();
    }
  });

  test('A6 never looked up: the LAN, and listeners that require AUTH (submission)', async () => {
    const ts = await startAuth(d, { senderAuth: noAuth, dnsbl: { zones: ['zen.test*3'], threshold: 3, refuseAt: 'connect' } });
    try {
      const before = d.dns.queries.length;
      const r = await smtplib({ port: ts.ports.submission, tls: 'starttls', auth: { mech: 'PLAIN', user: ALICE, password: USERS.alice.password }, from: ALICE, to: [BOB], msg: Buffer.from(message({ from: ALICE, to: BOB })) });
      assert.equal(r.error, undefined, JSON.stringify(r));
      assert.equal(d.dns.queries.length, before);
    } finally {
      await ts.stop();
    }
    const lan = await startAuth(d, { senderAuth: noAuth, dnsbl: { zones: ['zen.test*3'], threshold: 3, refuseAt: 'connect' }, relay: { lanNetworks: ['127.0.0.1/32'] } });
    try {
      const before = d.dns.queries.length;
      const { c } = await ehloClient(lan.ports.mx);
      c.close();
      assert.equal(d.dns.queries.length, before);
    } finally {
      await lan.stop();
    }
  });
});
