// A7 scoring end to end: SPF, DKIM, DMARC, DNSBL and the H2 PTR mark add up;
// score.reject refuses at end of data (550 5.7.1), score.quarantine accepts and
// marks; every weight can be zero; a DNS list that did not answer and could move the
// total across score.reject gives 451 4.7.1 (our fault); warn mode.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ehloClient, codes } from '../helpers/smtp-client.js';
import { authDns, startAuth, decisions, fields, swaks, swaksReplies, mailbox, message, USERS, type AuthDns } from './support.js';

const ALICE = USERS.alice.address;
let d: AuthDns;

before(async () => {
  d = await authDns();
});
after(() => d.dns.stop());

async function send(port: number, from: string, subject: string): Promise<string> {
  const { c } = await ehloClient(port, 'client.test');
  try {
    assert.equal(codes(await c.cmd(`MAIL FROM:<${from}>`)), '250 2.1.0');
    assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
    assert.equal(codes(await c.cmd('DATA')), '354 -');
    c.write(message({ from, to: ALICE, subject }) + '.\r\n');
    return codes(await c.reply());
  } finally {
    c.close();
  }
}

// plain.test: SPF fail (+3), no DMARC record (+0), not signed (+0); bl.test lists the client.
const listed = { zones: ['bl.test*4'] };

describe('A7 scoring', { timeout: 60_000 }, () => {
  test('A7 score.reject: SPF fail + a DNSBL listing reach it: 550 5.7.1 at end of data, the contributions in the log', async () => {
    const ts = await startAuth(d, { dnsbl: listed, score: { reject: 6 } });
    try {
      assert.equal(await send(ts.ports.mx, 'a@plain.test', 'spammy'), '550 5.7.1');
      const [line] = decisions(ts, 'eod.score').filter((l) => l.action === 'reject');
      assert.deepEqual([line.code, line.enhanced, line.feature, line.fault], [550, '5.7.1', 'A7', 'client']);
      assert.match(String(line.reason), /^score 7: mail\.spf=3 eod\.dkim=0 eod\.dmarc=0 connect\.dnsbl=4$/);
      assert.equal((await mailbox(ts, ALICE)).length, 0);
    } finally {
      await ts.stop();
    }
  });

  test('A7 swaks: score.quarantine accepts, delivered into the Junk folder with X-Rampart-Score, X-Rampart-DNSBL and Authentication-Results; the H2 mark counts', async () => {
    const ts = await startAuth(d, { dnsbl: listed, policy: { ptr: 'mark', ptrMarkScore: 2 } });
    try {
      const r = await swaks(ts.ports.mx, ['--from', 'a@plain.test', '--to', ALICE, '--header', 'From: a@plain.test', '--header', 'Subject: quarantine by score']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(swaksReplies(r.stdout).some((l) => /^250 2\.0\.0 Ok: queued as /.test(l)));
      const [file] = await mailbox(ts, ALICE, 1, 5000, 'Junk');
      assert.equal(ts.maildir(ALICE).length, 0, 'not in the inbox');
      assert.deepEqual(fields(file, 'X-Rampart-Score'), ['9 quarantine (mail.ptr=2 mail.spf=3 connect.dnsbl=4)']);
      assert.deepEqual(fields(file, 'X-Rampart-DNSBL'), ['bl.test=127.0.0.3(+4)']);
      assert.equal(fields(file, 'X-Rampart-PTR').length, 1);
      assert.match(fields(file, 'Authentication-Results')[0], /spf=fail .*dkim=none .*dmarc=none/);
      // Each contribution logged once, by its check name.
      for (const check of ['mail.ptr', 'mail.spf', 'eod.dkim', 'eod.dmarc', 'connect.dnsbl']) assert.equal(decisions(ts, check).filter((l) => l.action === 'mark').length, 1, check);
    } finally {
      await ts.stop();
    }
  });

  test('A7 score.quarantineFolder empty: a quarantined message goes to the inbox, marked; a sender\'s own "quarantine" field files nothing', async () => {
    const ts = await startAuth(d, { dnsbl: listed, policy: { ptr: 'mark', ptrMarkScore: 2 }, score: { quarantineFolder: '' } });
    try {
      assert.equal(await send(ts.ports.mx, 'a@plain.test', 'quarantine to the inbox'), '250 2.0.0');
      const [file] = await mailbox(ts, ALICE, 1);
      assert.match(fields(file, 'X-Rampart-Score')[0], /^9 quarantine /);
      assert.equal(ts.maildir(ALICE, 'Junk').length, 0);
    } finally {
      await ts.stop();
    }
    const plain = await startAuth(d, {});
    try {
      const r = await swaks(plain.ports.mx, ['--from', 'a@plain.test', '--to', ALICE, '--header', 'From: a@plain.test', '--header', 'X-Rampart-Score: 99 quarantine (forged)', '--header', 'Subject: forged mark']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const files = await mailbox(plain, ALICE, 1);
      assert.equal(files.length, 1, 'our verdict (accept) decides, not the field the sender wrote');
      assert.match(fields(files[0], 'X-Rampart-Score')[0], /^-?[0-9.]+ accept/);
      assert.equal(plain.maildir(ALICE, 'Junk').length, 0);
    } finally {
      await plain.stop();
    }
  });

  test('A7 every weight zero: the same message scores 0 and is accepted', async () => {
    const zero = { spf: { fail: 0, softfail: 0, none: 0, permerror: 0 }, dkim: { fail: 0, permerror: 0 }, dmarc: { fail: 0 }, dnsbl: 0 };
    const ts = await startAuth(d, { dnsbl: listed, score: { reject: 1, quarantine: 0.5, weights: zero } });
    try {
      assert.equal(await send(ts.ports.mx, 'a@plain.test', 'weightless'), '250 2.0.0');
      const [file] = await mailbox(ts, ALICE, 1);
      assert.deepEqual(fields(file, 'X-Rampart-Score'), ['0 accept']);
    } finally {
      await ts.stop();
    }
  });

  test('A7 a DNS list that did not answer and could reach score.reject: 451 4.7.1, our fault', async () => {
    const ts = await startAuth(d, { dnsbl: { zones: ['broken.test*5'] }, score: { reject: 6 } });
    try {
      assert.equal(await send(ts.ports.mx, 'a@plain.test', 'unsure'), '451 4.7.1');
      const [line] = decisions(ts, 'eod.score').filter((l) => l.action === 'tempfail');
      assert.equal(line.fault, 'server');
      assert.match(String(line.reason), /score 3 \(3\.\.8 with the DNS lists that did not answer\), reject at 6/);
    } finally {
      await ts.stop();
    }
  });

  test('A7 warn mode: eod.score logs the 550 and the message is delivered, marked', async () => {
    const ts = await startAuth(d, { dnsbl: listed, score: { reject: 6 }, policy: { warn: ['eod.score'] } });
    try {
      assert.equal(await send(ts.ports.mx, 'a@plain.test', 'warned'), '250 2.0.0');
      const [line] = decisions(ts, 'eod.score').filter((l) => l.action === 'reject');
      assert.deepEqual([line.code, line.enhanced, line.warn], [550, '5.7.1', true]);
      const [file] = await mailbox(ts, ALICE, 1);
      assert.deepEqual(fields(file, 'X-Rampart-Score'), ['7 reject (mail.spf=3 connect.dnsbl=4)']);
    } finally {
      await ts.stop();
    }
  });
});
