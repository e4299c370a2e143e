// H2 end to end. The test client connects from 127.0.0.1, which is LAN in the
// product's default relay.lanNetworks; these servers set lanNetworks to a TEST-NET
// range: 127.0.0.1 is then an ordinary outside client, and its PTR record
// (1.0.0.127.in-addr.arpa) comes from the test DNS server, where each test adds
// or removes it. The default LAN case is tested too: no lookup at all.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDns } from '../../src/bench/loopback-dns.js';
import { hygieneDns, startWithDns, ehlo, decisions, message, smtplib, swaks, swaksReplies, mailbox, splitDelivered, reverseName, USERS } from './support.js';
import { codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;
const LOOPBACK_PTR = reverseName('127.0.0.1');
const OUTSIDE = { relay: { lanNetworks: ['192.0.2.0/24'] } };
let dns: TestDns;

before(async () => {
  dns = await hygieneDns();
});
after(() => dns.stop());

function setPtr(state: 'present' | 'absent' | 'servfail') {
  delete dns.zone.records[LOOPBACK_PTR];
  dns.zone.servfail = (dns.zone.servfail ?? []).filter((n) => n !== LOOPBACK_PTR);
  if (state === 'present') dns.zone.records[LOOPBACK_PTR] = [{ type: 'PTR', data: 'localhost' }];
  if (state === 'servfail') dns.zone.servfail.push(LOOPBACK_PTR);
}

describe('H2 PTR check, reject mode', { timeout: 60_000 }, () => {
  test('H2 no PTR: 550 5.7.25 at MAIL; DNS failure 451 4.7.25; with a PTR the mail goes through', async () => {
    const ts = await startWithDns(dns, { ...OUTSIDE, policy: { ptr: 'reject' } });
    try {
      setPtr('absent');
      let c = await ehlo(ts.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<u@client.test>')), '550 5.7.25');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '503 5.5.1');
      c.close();

      setPtr('servfail');
      c = await ehlo(ts.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<u@client.test>')), '451 4.7.25');
      // A failure is not remembered: once DNS answers, the same session passes.
      setPtr('present');
      assert.equal(codes(await c.cmd('MAIL FROM:<u@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      assert.equal(codes(await c.cmd('DATA')), '354 -');
      c.write(message('h2 with ptr') + '.\r\n');
      assert.equal(codes(await c.reply()), '250 2.0.0');
      c.close();

      const lines = decisions(ts, 'mail.ptr');
      assert.ok(lines.some((l) => l.code === 550 && l.enhanced === '5.7.25' && l.feature === 'H2' && l.client === '127.0.0.1'));
      assert.ok(lines.some((l) => l.code === 451 && l.enhanced === '4.7.25'));
    } finally {
      setPtr('absent');
      await ts.stop();
    }
  });

  test('H2 python3 smtplib: refused sender 550 5.7.25; an authenticated client is never checked', async () => {
    const ts = await startWithDns(dns, { ...OUTSIDE, policy: { ptr: 'reject' } });
    try {
      setPtr('absent');
      const refused = await smtplib({ port: ts.ports.mx, from: 'u@client.test', to: [ALICE], msg: Buffer.from(message('h2 refused')) });
      assert.equal(refused.error?.type, 'SMTPSenderRefused', JSON.stringify(refused));
      assert.equal(refused.error?.code, 550);
      assert.match(refused.error?.text ?? '', /^5\.7\.25 /);
      const before = dns.queries.filter((q) => q.name === LOOPBACK_PTR).length;
      const authed = await smtplib({ port: ts.ports.submission, tls: 'starttls', auth: { mech: 'PLAIN', user: ALICE, password: USERS.alice.password }, from: ALICE, to: [USERS.bob.address], msg: Buffer.from(message('h2 authenticated')) });
      assert.equal(authed.error, undefined, JSON.stringify(authed));
      assert.equal(dns.queries.filter((q) => q.name === LOOPBACK_PTR).length, before, 'no PTR query for an authenticated client');
    } finally {
      await ts.stop();
    }
  });

  test('H2 a LAN client (loopback in relay.lanNetworks) is never checked', async () => {
    const ts = await startWithDns(dns, { relay: { lanNetworks: ['127.0.0.1/32', '::1/128'] }, policy: { ptr: 'reject' } });
    try {
      setPtr('absent');
      const before = dns.queries.length;
      const c = await ehlo(ts.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<u@client.test>')), '250 2.1.0');
      c.close();
      assert.equal(dns.queries.length, before, 'no DNS query at all');
    } finally {
      await ts.stop();
    }
  });
});

describe('H2 PTR check, mark mode', { timeout: 60_000 }, () => {
  test('H2 swaks: no PTR, the message is delivered with X-Rampart-PTR right after Received; the mark is logged with its score', async () => {
    const ts = await startWithDns(dns, { ...OUTSIDE, policy: { ptr: 'mark', ptrMarkScore: 3 } });
    try {
      setPtr('absent');
      const r = await swaks(ts.ports.mx, ['--from', 'u@client.test', '--to', ALICE, '--header', 'Subject: h2 mark']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(swaksReplies(r.stdout).some((l) => /^250 2\.0\.0 Ok: queued as /.test(l)));
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      const d = splitDelivered(files[0]);
      const rest = d.message.toString('latin1');
      assert.ok(rest.startsWith('X-Rampart-PTR: none (client 127.0.0.1 has no PTR record)\r\n'), rest.slice(0, 200));
      assert.equal(rest.split('X-Rampart-PTR:').length, 2, 'exactly one mark header');
      const mark = decisions(ts, 'mail.ptr').find((l) => l.action === 'mark');
      assert.ok(mark, 'mark logged');
      assert.equal(mark.score, 3);
      assert.equal(mark.feature, 'H2');
    } finally {
      await ts.stop();
    }
  });

  test('H2 mark mode: with a PTR record no header; a refused MAIL leaves no mark for the next transaction', async () => {
    const ts = await startWithDns(dns, { ...OUTSIDE, policy: { ptr: 'mark', senderDomainResolvable: true } });
    try {
      setPtr('present');
      const c = await ehlo(ts.ports.mx);
      assert.equal(codes(await c.cmd('MAIL FROM:<u@mx.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      assert.equal(codes(await c.cmd('DATA')), '354 -');
      c.write(message('h2 with ptr mark mode') + '.\r\n');
      assert.equal(codes(await c.reply()), '250 2.0.0');
      c.close();
      setPtr('absent');
      // New connection (the PTR answer is remembered per connection): marked, then refused by H1.
      const c2 = await ehlo(ts.ports.mx);
      assert.equal(codes(await c2.cmd('MAIL FROM:<u@nope.test>')), '550 5.1.8');
      assert.equal(codes(await c2.cmd('MAIL FROM:<u@mx.test>')), '250 2.1.0');
      assert.equal(codes(await c2.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      assert.equal(codes(await c2.cmd('DATA')), '354 -');
      c2.write(message('h2 second') + '.\r\n');
      assert.equal(codes(await c2.reply()), '250 2.0.0');
      c2.close();
      const files = await mailbox(ts, ALICE, 2);
      const first = files.find((f) => f.includes('h2 with ptr mark mode'))!;
      const second = files.find((f) => f.includes('Subject: h2 second'))!;
      assert.ok(!first.includes('X-Rampart-PTR'), 'no header when the PTR exists');
      assert.equal(second.split('X-Rampart-PTR: none').length, 2, 'one header, not one per MAIL attempt');
    } finally {
      await ts.stop();
    }
  });
});
