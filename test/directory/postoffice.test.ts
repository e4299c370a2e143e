// R5 postoffices over SMTP: an authenticated sender must use an address from the
// postoffice of the mailbox it authenticated as (553 5.7.1), with raw commands and
// python3 smtplib on loopback.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { start, listeners, smtplib, mailbox, USERS, type TestServer } from '../protocol/support.js';
import { ehloClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/**
 * R6 (mail.spoofing, default "authenticated") would also refuse local addresses that
 * are not alice's own; it is set to "anyone" here so these tests see R5 alone, except
 * where a test says otherwise. H1 is off: no DNS for made-up sender domains.
 */
async function withTenants(relay: Record<string, unknown> = {}): Promise<TestServer> {
  const ts = await start({
    listeners: listeners({ submission: { allowInsecureAuth: true } }),
    relay: { spoofing: 'anyone', ...relay },
    policy: { senderDomainResolvable: false },
  });
  const dir = ts.server.directory;
  dir.addDomain('example.org');
  dir.addDomain('other.test');
  dir.postoffices.add('acme');
  dir.postoffices.add('other');
  dir.postoffices.assign('acme', 'example.test');
  dir.postoffices.assign('acme', 'example.org');
  dir.postoffices.assign('other', 'other.test');
  return ts;
}

async function authed(ts: TestServer) {
  const { c } = await ehloClient(ts.ports.submission);
  assert.equal(codes(await c.cmd(`AUTH PLAIN ${b64(`\0${ALICE.address}\0${ALICE.password}`)}`)), '235 2.7.0');
  return c;
}

describe('R5 authenticated senders must use an address from their postoffice', { timeout: 60_000 }, () => {
  test('MAIL FROM inside the postoffice 250, outside 553 5.7.1, null sender 250; the session goes on', async () => {
    const ts = await withTenants();
    try {
      const c = await authed(ts);
      const cases: Array<[string, string]> = [
        ['<alice@example.test>', '250 2.1.0'],
        ['<Alice@EXAMPLE.test>', '250 2.1.0'],
        ['<info@example.org>', '250 2.1.0'],
        ['<>', '250 2.1.0'],
        ['<x@other.test>', '553 5.7.1'],
        ['<alice@gmail.example>', '553 5.7.1'],
        ['<alice@sub.example.test>', '553 5.7.1'],
        ['<alice@[127.0.0.1]>', '553 5.7.1'],
      ];
      for (const [from, want] of cases) {
        const r = await c.cmd(`MAIL FROM:${from}`);
        assert.equal(codes(r), want, from);
        if (r.code === 553) assert.doesNotMatch(r.lines.join(' '), /acme|other\.test|postoffice/i, 'reply reveals no configuration');
        await c.cmd('RSET');
      }
      // Refused once, the client can still send with a proper address.
      assert.equal(codes(await c.cmd('MAIL FROM:<x@other.test>')), '553 5.7.1');
      assert.equal(codes(await c.cmd('MAIL FROM:<alice@example.org>')), '250 2.1.0');
      assert.equal(codes(await c.cmd('RCPT TO:<bob@example.test>')), '250 2.1.5');
      assert.equal((await c.cmd('DATA')).code, 354);
      assert.equal(codes(await c.cmd('Subject: from the second domain\r\n\r\nhi\r\n.')), '250 2.0.0');
      await c.cmd('QUIT');
      c.close();
      const got = await mailbox(ts, 'bob@example.test', 1);
      assert.equal(got.length, 1);
      assert.match(got[0], /^Return-Path: <alice@example\.org>\r\n/);
      const d = ts.logs.find((l) => l.event === 'decision' && l.check === 'mail.authenticatedSenderMustUsePostoffice');
      assert.ok(d, 'decision logged');
      assert.equal(d.feature, 'R5');
      assert.equal(d.code, 553);
      assert.equal(d.enhanced, '5.7.1');
      assert.match(String(d.reason), /alice@example\.test/);
    } finally {
      await ts.stop();
    }
  });

  test('a domain moved to another postoffice is refused at once; unauthenticated mx sessions are not checked', async () => {
    const ts = await withTenants();
    try {
      const c = await authed(ts);
      assert.equal(codes(await c.cmd('MAIL FROM:<info@example.org>')), '250 2.1.0');
      await c.cmd('RSET');
      ts.server.directory.postoffices.unassign('example.org');
      ts.server.directory.postoffices.assign('other', 'example.org');
      assert.equal(codes(await c.cmd('MAIL FROM:<info@example.org>')), '553 5.7.1', 'the directory is read per MAIL');
      c.close();
      const mx = await ehloClient(ts.ports.mx);
      assert.equal(codes(await mx.c.cmd('MAIL FROM:<x@other.test>')), '250 2.1.0');
      mx.c.close();
    } finally {
      await ts.stop();
    }
  });

  test('python3 smtplib over STARTTLS + AUTH: foreign sender refused with 553 5.7.1, own sender delivered', async () => {
    const ts = await withTenants();
    try {
      const msg = Buffer.from('Subject: py\r\n\r\nhello\r\n');
      const bad = await smtplib({ port: ts.ports.submission, tls: 'starttls', auth: { mech: 'PLAIN', user: ALICE.address, password: ALICE.password }, from: 'boss@other.test', to: ['bob@example.test'], msg });
      assert.equal(bad.auth?.[0], 235);
      assert.equal(bad.error?.type, 'SMTPSenderRefused');
      assert.equal(bad.error?.code, 553);
      assert.match(bad.error?.text ?? '', /^5\.7\.1 /);
      const good = await smtplib({ port: ts.ports.submission, tls: 'starttls', auth: { mech: 'LOGIN', user: ALICE.address, password: ALICE.password }, from: ALICE.address, to: ['bob@example.test'], msg });
      assert.equal(good.error, undefined, JSON.stringify(good.error));
      assert.deepEqual(good.refused, {});
      assert.equal((await mailbox(ts, 'bob@example.test', 1)).length, 1);
    } finally {
      await ts.stop();
    }
  });

  test('with the default R6 spoofing mode both apply: R5 decides first for foreign domains, R6 for addresses not owned', async () => {
    const ts = await withTenants({ spoofing: 'authenticated' });
    try {
      const c = await authed(ts);
      assert.equal(codes(await c.cmd('MAIL FROM:<alice@example.test>')), '250 2.1.0');
      await c.cmd('RSET');
      assert.equal(codes(await c.cmd('MAIL FROM:<x@other.test>')), '553 5.7.1');
      assert.equal(codes(await c.cmd('MAIL FROM:<info@example.org>')), '553 5.7.1');
      c.close();
      const checks = ts.logs.filter((l) => l.event === 'decision' && l.code === 553).map((l) => l.check);
      assert.deepEqual(checks, ['mail.authenticatedSenderMustUsePostoffice', 'mail.spoofing']);
    } finally {
      await ts.stop();
    }
  });

  test('relay.authenticatedSenderMustUsePostoffice: false lets an authenticated user use any sender', async () => {
    const ts = await withTenants({ authenticatedSenderMustUsePostoffice: false });
    try {
      const c = await authed(ts);
      assert.equal(codes(await c.cmd('MAIL FROM:<x@other.test>')), '250 2.1.0');
      await c.cmd('RSET');
      assert.equal(codes(await c.cmd('MAIL FROM:<x@gmail.example>')), '250 2.1.0');
      c.close();
    } finally {
      await ts.stop();
    }
  });
});
