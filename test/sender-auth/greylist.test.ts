// A9 greylisting end to end with a fake clock: first sight 451 4.7.1, a retry before
// greylist.delayMs still 451, after it 250 and the message delivered; auto-allow after
// N passes; LAN, authenticated and DNSWL-listed clients never greylisted; the 451s
// never count for H5 (fault none); warn mode.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/scheduler/fake-clock.js';
import { ehloClient, codes } from '../helpers/smtp-client.js';
import { authDns, startAuth, decisions, smtplib, swaks, swaksReplies, mailbox, message, USERS, type AuthDns } from './support.js';

const ALICE = USERS.alice.address;
const BOB = USERS.bob.address;
const DELAY = 300_000;
let d: AuthDns;

before(async () => {
  d = await authDns();
});
after(() => d.dns.stop());

const noAuth = { spf: { mode: 'off' }, dkim: { verify: false }, dmarc: { enabled: false } };
const grey = (over: Record<string, unknown> = {}) => ({ senderAuth: noAuth, greylist: { enabled: true, delayMs: DELAY, ...over } });

function clock(): FakeClock {
  const c = new FakeClock();
  c.t = Date.now();
  return c;
}

describe('A9 greylisting', { timeout: 60_000 }, () => {
  test('A9 smtplib first sight 451 4.7.1; early retry 451; after the delay swaks gets through and the message is delivered', async () => {
    const fake = clock();
    const ts = await startAuth(d, grey({ autoAllowAfter: 0 }), { clock: fake });
    try {
      const msg = Buffer.from(message({ from: 'list@client.test', to: ALICE, subject: 'greylisted' }));
      const first = await smtplib({ port: ts.ports.mx, from: 'list@client.test', to: [ALICE], msg });
      assert.equal(first.error?.type, 'SMTPRecipientsRefused', JSON.stringify(first));
      assert.equal(first.refused?.[ALICE]?.[0], 451);
      assert.match(first.refused?.[ALICE]?.[1] ?? '', /^4\.7\.1 Greylisted, please try again later$/);
      fake.advance(DELAY - 1000);
      const early = await smtplib({ port: ts.ports.mx, from: 'list@client.test', to: [ALICE], msg });
      assert.equal(early.refused?.[ALICE]?.[0], 451, 'one second too early');
      fake.advance(1000);
      const r = await swaks(ts.ports.mx, ['--from', 'list@client.test', '--to', ALICE, '--header', 'Subject: greylisted']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(swaksReplies(r.stdout).some((l) => /^250 2\.0\.0 Ok: queued as /.test(l)));
      assert.equal((await mailbox(ts, ALICE, 1)).length, 1);
      // Another recipient is a new triplet.
      const { c } = await ehloClient(ts.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<list@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${BOB}>`)), '451 4.7.1');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5', 'a passed triplet passes at once');
      c.close();
      const lines = decisions(ts, 'rcpt.greylist');
      assert.equal(lines.length, 3);
      assert.ok(lines.every((l) => l.code === 451 && l.enhanced === '4.7.1' && l.fault === 'none' && l.feature === 'A9'), JSON.stringify(lines));
    } finally {
      await ts.stop();
    }
  });

  test('A9 a client network with autoAllowAfter passed triplets is not greylisted any more', async () => {
    const fake = clock();
    const ts = await startAuth(d, grey({ autoAllowAfter: 1 }), { clock: fake });
    try {
      const { c } = await ehloClient(ts.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<a@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '451 4.7.1');
      fake.advance(DELAY);
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      assert.equal(codes(await c.cmd(`RCPT TO:<${BOB}>`)), '250 2.1.5', 'allowed after one pass');
      c.close();
    } finally {
      await ts.stop();
    }
  });

  test('A9 exempt: LAN, authenticated and DNSWL-listed clients', async () => {
    const lan = await startAuth(d, { ...grey(), relay: { lanNetworks: ['127.0.0.1/32'] } });
    try {
      const { c } = await ehloClient(lan.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<a@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      c.close();
    } finally {
      await lan.stop();
    }
    const wl = await startAuth(d, { ...grey(), dnsbl: { zones: ['wl.test=127.0.[0..255].[1..3]*-5'] } });
    try {
      const { c } = await ehloClient(wl.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<a@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      c.close();
      const r = await smtplib({ port: wl.ports.submission, tls: 'starttls', auth: { mech: 'PLAIN', user: ALICE, password: USERS.alice.password }, from: ALICE, to: [BOB], msg: Buffer.from(message({ from: ALICE, to: BOB })) });
      assert.equal(r.error, undefined, JSON.stringify(r));
      assert.equal(decisions(wl, 'rcpt.greylist').length, 0);
    } finally {
      await wl.stop();
    }
  });

  test('A9 greylisting 451s never count for H5, and warn mode lets the recipient through', async () => {
    const ts = await startAuth(d, { ...grey(), limits: { maxFailedCommands: 2 } });
    try {
      const { c } = await ehloClient(ts.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<a@client.test>')), '250 2.1.0');
      for (const r of [ALICE, BOB, 'team@example.test', 'postmaster@example.test']) assert.equal(codes(await c.cmd(`RCPT TO:<${r}>`)), '451 4.7.1', r);
      assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0');
      c.close();
    } finally {
      await ts.stop();
    }
    const warn = await startAuth(d, { ...grey(), policy: { warn: ['rcpt.greylist'] } });
    try {
      const { c } = await ehloClient(warn.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<a@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      c.close();
      const [line] = decisions(warn, 'rcpt.greylist');
      assert.deepEqual([line.code, line.enhanced, line.warn], [451, '4.7.1', true]);
    } finally {
      await warn.stop();
    }
  });
});
