// H1 end to end: the sender domain must be local or resolvable, asked of a real
// DNS server on loopback. Raw socket for every answer class, python3 smtplib and
// swaks for a refusal and a delivery, warn mode, and the decision log line.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDns } from '../../src/bench/loopback-dns.js';
import { hygieneDns, startWithDns, ehlo, decisions, message, smtplib, swaks, swaksReplies, mailbox, USERS, type TestServer } from './support.js';
import { codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;
let dns: TestDns;

before(async () => {
  dns = await hygieneDns();
});
after(() => dns.stop());

describe('H1 sender domain must be local or resolvable', { timeout: 60_000 }, () => {
  let ts: TestServer;
  before(async () => {
    // relay.spoofing anyone: an unauthenticated sender in a local domain is R6's business, not H1's.
    ts = await startWithDns(dns, { policy: { senderDomainResolvable: true }, relay: { spoofing: 'anyone' } });
  });
  after(() => ts.stop());

  const cases: Array<[string, string]> = [
    ['<u@mx.test>', '250 2.1.0'],
    ['<u@a-only.test>', '250 2.1.0'],
    ['<u@example.test>', '250 2.1.0'], // local domain
    ['<>', '250 2.1.0'], // null sender
    ['<u@nope.test>', '550 5.1.8'],
    ['<u@txt-only.test>', '550 5.1.8'],
    ['<u@nullmx.test>', '550 5.7.27'],
    ['<u@broken.test>', '451 4.4.3'],
    ['<u@[192.0.2.1]>', '550 5.1.8'],
  ];

  test('H1 raw socket: every answer class gets its basic and enhanced code at MAIL', async () => {
    const c = await ehlo(ts.ports.mx);
    try {
      for (const [from, want] of cases) {
        const r = await c.cmd(`MAIL FROM:${from}`);
        assert.equal(codes(r), want, `MAIL FROM:${from}: ${r.text}`);
        if (r.code === 250) assert.equal(codes(await c.cmd('RSET')), '250 2.0.0');
      }
      assert.match((await c.cmd('MAIL FROM:<u@nullmx.test>')).text, /does not accept mail/);
      // A refused MAIL leaves no transaction behind.
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '503 5.5.1');
    } finally {
      c.close();
    }
    const lines = decisions(ts, 'mail.senderDomainResolvable');
    const nx = lines.find((l) => l.from === 'u@nope.test');
    assert.ok(nx, 'decision logged');
    assert.equal(nx.feature, 'H1');
    assert.equal(nx.code, 550);
    assert.equal(nx.enhanced, '5.1.8');
    assert.match(String(nx.reason), /NXDOMAIN/);
    assert.ok(lines.some((l) => l.enhanced === '4.4.3' && /SERVFAIL/.test(String(l.reason))));
  });

  test('H1 python3 smtplib: an unresolvable sender is refused with 550 5.1.8', async () => {
    const r = await smtplib({ port: ts.ports.mx, from: 'someone@nope.test', to: [ALICE], msg: Buffer.from(message('h1 smtplib')) });
    assert.equal(r.error?.type, 'SMTPSenderRefused', JSON.stringify(r));
    assert.equal(r.error?.code, 550);
    assert.match(r.error?.text ?? '', /^5\.1\.8 /);
  });

  test('H1 swaks: a resolvable sender is delivered; a null-MX sender is refused 550 5.7.27', async () => {
    const ok = await swaks(ts.ports.mx, ['--from', 'someone@mx.test', '--to', ALICE, '--header', 'Subject: h1 swaks']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.ok(swaksReplies(ok.stdout).some((l) => /^250 2\.0\.0 Ok: queued as /.test(l)));
    const files = await mailbox(ts, ALICE, 1);
    assert.ok(files.some((f) => f.includes('Subject: h1 swaks')));
    const bad = await swaks(ts.ports.mx, ['--from', 'someone@nullmx.test', '--to', ALICE]);
    assert.notEqual(bad.code, 0);
    assert.ok(swaksReplies(bad.stdout).some((l) => l.startsWith('550 5.7.27 ')), bad.stdout);
  });
});

test('H1 off: no DNS query, any sender domain passes', { timeout: 30_000 }, async () => {
  const ts = await startWithDns(dns, { policy: { senderDomainResolvable: false } });
  const c = await ehlo(ts.ports.mx);
  try {
    const before = dns.queries.length;
    assert.equal(codes(await c.cmd('MAIL FROM:<u@nope.test>')), '250 2.1.0');
    assert.equal(dns.queries.length, before);
  } finally {
    c.close();
    await ts.stop();
  }
});

test('H1 warn mode: decided and logged, but the sender passes', { timeout: 30_000 }, async () => {
  const ts = await startWithDns(dns, { policy: { senderDomainResolvable: true, warn: ['mail.senderDomainResolvable'] } });
  const c = await ehlo(ts.ports.mx);
  try {
    assert.equal(codes(await c.cmd('MAIL FROM:<u@nope.test>')), '250 2.1.0');
    const l = decisions(ts, 'mail.senderDomainResolvable').find((x) => x.from === 'u@nope.test');
    assert.ok(l);
    assert.equal(l.warn, true);
    assert.equal(l.enhanced, '5.1.8');
  } finally {
    c.close();
    await ts.stop();
  }
});

test('H1 a LAN client (loopback in relay.lanNetworks, the product default) is not checked', { timeout: 30_000 }, async () => {
  const ts = await startWithDns(dns, { policy: { senderDomainResolvable: true }, relay: { lanNetworks: ['127.0.0.1/32'] } });
  const c = await ehlo(ts.ports.mx);
  try {
    const before = dns.queries.length;
    assert.equal(codes(await c.cmd('MAIL FROM:<root@unqualified-host>')), '250 2.1.0');
    assert.equal(dns.queries.length, before, 'no DNS query');
  } finally {
    c.close();
    await ts.stop();
  }
});
