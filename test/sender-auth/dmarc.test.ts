// A2-A5 end to end with real clients: the case (p=reject, SPF not listing
// the client, no DKIM signature: 550 5.7.1 at end of data, nothing delivered), the
// quarantine case (accepted and delivered with Authentication-Results and the
// marks), p=none, a signed message that passes, a per-domain override, a DNS
// failure (451 4.7.1, our fault), a trusted ARC forwarder, a forged
// Authentication-Results removed, and warn mode.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ehloClient, codes } from '../helpers/smtp-client.js';
import { authDns, startAuth, decisions, fields, smtplib, swaks, swaksReplies, mailbox, splitDelivered, message, sign, seal, USERS, AUTHSERV, type AuthDns } from './support.js';

const ALICE = USERS.alice.address;
let d: AuthDns;

before(async () => {
  d = await authDns();
});
after(() => d.dns.stop());

const msg = (from: string, subject: string, extra = '') => message({ from, to: ALICE, subject, extraHeaders: extra });

/** Sends one message by hand; returns the reply to the end of data. */
async function send(port: number, from: string, data: string): Promise<string> {
  const { c } = await ehloClient(port, 'client.test');
  try {
    assert.equal(codes(await c.cmd(`MAIL FROM:<${from}>`)), '250 2.1.0');
    assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
    assert.equal(codes(await c.cmd('DATA')), '354 -');
    c.write(data + '.\r\n');
    return codes(await c.reply());
  } finally {
    c.close();
  }
}

describe('A3 DMARC end to end', { timeout: 60_000 }, () => {
  test('A3 smtplib: p=reject, client not in SPF, no DKIM: 550 5.7.1 at end of data, nothing delivered, one decision line', async () => {
    const ts = await startAuth(d);
    try {
      const r = await smtplib({ port: ts.ports.mx, from: 'billing@reject.test', to: [ALICE], msg: Buffer.from(msg('Bank <billing@reject.test>', 'pay now')) });
      assert.equal(r.error?.type, 'SMTPDataError', JSON.stringify(r));
      assert.equal(r.error?.code, 550);
      assert.match(r.error?.text ?? '', /^5\.7\.1 Message refused: the DMARC policy of reject\.test says to reject it/);
      assert.equal((await mailbox(ts, ALICE)).length, 0);
      const lines = decisions(ts, 'eod.dmarc');
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.deepEqual([lines[0].code, lines[0].enhanced, lines[0].feature, lines[0].fault, lines[0].stage], [550, '5.7.1', 'A3', 'client', 'eod']);
      assert.match(String(lines[0].reason), /DMARC fail for reject\.test \(p=reject/);
    } finally {
      await ts.stop();
    }
  });

  test('A3 swaks: p=quarantine is accepted and delivered into the Junk folder with Authentication-Results and X-Rampart-Score "quarantine"', async () => {
    const ts = await startAuth(d, { score: { quarantine: 100 } }); // the policy quarantines, not the score
    try {
      const r = await swaks(ts.ports.mx, ['--from', 'news@quarantine.test', '--to', ALICE, '--header', 'From: News <news@quarantine.test>', '--header', 'Subject: quarantined']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(swaksReplies(r.stdout).some((l) => /^250 2\.0\.0 Ok: queued as /.test(l)));
      const files = await mailbox(ts, ALICE, 1, 5000, 'Junk');
      assert.equal(files.length, 1);
      assert.equal(ts.maildir(ALICE).length, 0, 'not in the inbox');
      assert.ok(existsSync(join(ts.dataDir, 'mail', 'example.test', 'alice', 'Maildir', '.Junk', 'maildirfolder')), 'a Maildir++ folder');
      const ar = fields(files[0], 'Authentication-Results');
      assert.equal(ar.length, 1, 'one Authentication-Results');
      assert.match(ar[0], new RegExp(`^${AUTHSERV}; spf=fail .*smtp\\.mailfrom=news@quarantine\\.test; spf=none .*smtp\\.helo=swaks\\.client\\.test; dkim=none \\(message not signed\\); dmarc=fail \\(p=quarantine dis=quarantine\\) header\\.from=quarantine\\.test$`));
      assert.deepEqual(fields(files[0], 'X-Rampart-Score'), ['5 quarantine (mail.spf=3 eod.dmarc=2) by eod.dmarc']);
      const d0 = splitDelivered(files[0]);
      assert.match(d0.added, /^X-Rampart-Score: .*\r\nAuthentication-Results: /, 'score on top, then our A-R, then Received');
      const marks = ts.logs.filter((l) => l.event === 'decision' && l.action === 'mark');
      assert.deepEqual(marks.map((m) => [m.check, m.score]), [['mail.spf', 3], ['eod.dkim', 0], ['eod.dmarc', 2]]);
      assert.equal(decisions(ts, 'eod.dmarc').filter((l) => l.action !== 'mark').length, 0, 'quarantine is not a refusal');
    } finally {
      await ts.stop();
    }
  });

  test('A3 p=none marks only; a message signed by the domain passes DMARC from any address; a too-small key fails', async () => {
    const ts = await startAuth(d, { score: { quarantine: 100 } });
    try {
      assert.equal(await send(ts.ports.mx, 'a@none.test', msg('a@none.test', 'p none')), '250 2.0.0');
      const signed = await sign(msg('Good <billing@reject.test>', 'signed'), d.key, 'reject.test', 's1');
      assert.equal(await send(ts.ports.mx, 'billing@reject.test', signed), '250 2.0.0');
      const weak = await sign(msg('x@good.test', 'weak key'), d.weakKey, 'good.test', 'small');
      assert.equal(await send(ts.ports.mx, 'x@good.test', weak), '250 2.0.0', 'SPF aligns for good.test: DMARC passes anyway');
      const files = await mailbox(ts, ALICE, 3);
      const of = (s: string) => files.find((f) => f.includes(`Subject: ${s}`))!;
      assert.match(fields(of('p none'), 'Authentication-Results')[0], /dmarc=none|dmarc=fail \(p=none dis=none\)/);
      assert.match(fields(of('signed'), 'Authentication-Results')[0], /dkim=pass .*header\.d=reject\.test header\.s=s1 header\.a=ed25519-sha256 .*dmarc=pass \(p=reject\) header\.from=reject\.test/);
      assert.match(fields(of('weak key'), 'Authentication-Results')[0], /dkim=fail .*header\.d=good\.test header\.s=small/);
    } finally {
      await ts.stop();
    }
  });

  test('A2 a 1 MB signed message (streamed back from its spool file) verifies: dkim=pass, dmarc=pass, delivered whole', async () => {
    const ts = await startAuth(d);
    try {
      const body = `${'x'.repeat(74)}\r\n`.repeat(14_000);
      const signed = await sign(message({ from: 'Bank <billing@reject.test>', to: ALICE, subject: 'big signed', body }), d.key, 'reject.test', 's1');
      assert.equal(await send(ts.ports.mx, 'billing@reject.test', signed), '250 2.0.0');
      const [file] = await mailbox(ts, ALICE, 1);
      assert.ok(file.length > 1_000_000);
      assert.match(fields(file, 'Authentication-Results')[0], /dkim=pass .*header\.d=reject\.test .*dmarc=pass/);
      assert.ok(file.endsWith(signed.slice(-200)));
    } finally {
      await ts.stop();
    }
  });

  test('A3 per-domain override: senderAuth.dmarc.domains partner.test: mark lets p=reject through, marked', async () => {
    const ts = await startAuth(d, { senderAuth: { dmarc: { enabled: true, domains: { 'partner.test': 'mark' } } } });
    try {
      assert.equal(await send(ts.ports.mx, 'a@partner.test', msg('a@partner.test', 'partner')), '250 2.0.0');
      assert.equal(await send(ts.ports.mx, 'a@reject.test', msg('a@reject.test', 'not a partner')), '550 5.7.1');
      const [file] = await mailbox(ts, ALICE, 1, 5000, 'Junk'); // DMARC fail and SPF fail score 5: quarantined (A7)
      assert.match(fields(file, 'Authentication-Results')[0], /dmarc=fail \(p=reject dis=reject\) header\.from=partner\.test/);
    } finally {
      await ts.stop();
    }
  });

  test('A3 DMARC record SERVFAIL: 451 4.7.1 at end of data, fault server, never counted by H5', async () => {
    const ts = await startAuth(d, { limits: { maxFailedCommands: 2 } });
    try {
      const { c } = await ehloClient(ts.ports.mx, 'client.test');
      for (let i = 0; i < 3; i++) {
        assert.equal(codes(await c.cmd('MAIL FROM:<a@tempfail.test>')), '250 2.1.0');
        assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
        assert.equal(codes(await c.cmd('DATA')), '354 -');
        c.write(msg('a@tempfail.test', `try ${i}`) + '.\r\n');
        assert.equal(codes(await c.reply()), '451 4.7.1');
      }
      assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0', 'still connected: H5 counted none of them');
      c.close();
      const lines = decisions(ts, 'eod.dmarc');
      assert.equal(lines.length, 3);
      assert.ok(lines.every((l) => l.fault === 'server' && l.code === 451 && l.enhanced === '4.7.1'));
      assert.equal((await mailbox(ts, ALICE)).length, 0);
    } finally {
      await ts.stop();
    }
  });

  test('A4 a trusted ARC forwarder that saw dmarc=pass overrides the DMARC fail; an untrusted one does not', async () => {
    const original = await sign(msg('Bank <billing@reject.test>', 'via list'), d.key, 'reject.test', 's1');
    // The list changed the body: the bank's signature breaks; the list sealed what it had checked.
    const changed = original.replace('this is a test.', 'this is a test.\r\n-- \r\nlist footer');
    const sealed = await seal(changed, d.sealKey, 'list.test', 'arc', 'list.test; dkim=pass header.d=reject.test; dmarc=pass header.from=reject.test');
    const trusting = await startAuth(d, { senderAuth: { dmarc: { enabled: true }, arcTrustedSealers: ['list.test'] } });
    try {
      assert.equal(await send(trusting.ports.mx, 'bounce@list.test', sealed), '250 2.0.0');
      const [file] = await mailbox(trusting, ALICE, 1);
      const ar = fields(file, 'Authentication-Results')[0];
      assert.match(ar, /dkim=fail .*header\.d=reject\.test/);
      assert.match(ar, /dmarc=fail \(p=reject dis=none .*trusted list\.test.*\) header\.from=reject\.test/);
      assert.match(ar, /arc=pass \(i=1 sealed by list\.test\)/);
    } finally {
      await trusting.stop();
    }
    const other = await startAuth(d);
    try {
      assert.equal(await send(other.ports.mx, 'bounce@list.test', sealed), '550 5.7.1');
    } finally {
      await other.stop();
    }
  });

  test('A5 an incoming Authentication-Results claiming our authserv-id is removed; ours is the only one', async () => {
    const ts = await startAuth(d);
    try {
      const forged = `Authentication-Results: ${AUTHSERV}; dmarc=pass header.from=good.test\r\nAuthentication-Results: other.test; spf=pass\r\n`;
      assert.equal(await send(ts.ports.mx, 'a@good.test', forged + msg('a@good.test', 'forged ar')), '250 2.0.0');
      const [file] = await mailbox(ts, ALICE, 1);
      const ours = fields(file, 'Authentication-Results').filter((v) => v.startsWith(`${AUTHSERV};`));
      assert.equal(ours.length, 1, 'only the field we added');
      assert.match(ours[0], /spf=pass .*dmarc=pass \(p=reject\) header\.from=good\.test/);
      assert.ok(file.includes('Authentication-Results: other.test; spf=pass\r\n'), 'another ADMD\'s field stays');
      assert.ok(!file.includes(`${AUTHSERV}; dmarc=pass`), 'the forged field is gone');
    } finally {
      await ts.stop();
    }
  });

  test('A3 warn mode: eod.dmarc logs the refusal and lets the message through', async () => {
    const ts = await startAuth(d, { policy: { warn: ['eod.dmarc'] } });
    try {
      assert.equal(await send(ts.ports.mx, 'billing@reject.test', msg('billing@reject.test', 'warn only')), '250 2.0.0');
      const [line] = decisions(ts, 'eod.dmarc').filter((l) => l.action === 'reject');
      assert.deepEqual([line.code, line.enhanced, line.warn], [550, '5.7.1', true]);
      const [file] = await mailbox(ts, ALICE, 1, 5000, 'Junk'); // DMARC fail and SPF fail score 5: quarantined (A7)
      assert.match(fields(file, 'Authentication-Results')[0], /dmarc=fail \(p=reject dis=reject\)/);
    } finally {
      await ts.stop();
    }
  });

  test('A2 an authenticated submission is neither verified nor given Authentication-Results (our own mail)', async () => {
    const ts = await startAuth(d);
    try {
      const before = d.dns.queries.length;
      const r = await smtplib({ port: ts.ports.submission, tls: 'starttls', auth: { mech: 'PLAIN', user: ALICE, password: USERS.alice.password }, from: ALICE, to: [USERS.bob.address], msg: Buffer.from(message({ from: ALICE, to: USERS.bob.address, subject: 'own mail' })) });
      assert.equal(r.error, undefined, JSON.stringify(r));
      const [file] = await mailbox(ts, USERS.bob.address, 1);
      assert.deepEqual(fields(file, 'Authentication-Results'), []);
      assert.deepEqual(fields(file, 'X-Rampart-Score'), []);
      assert.equal(d.dns.queries.length, before, 'no DNS query at all');
    } finally {
      await ts.stop();
    }
  });
});

