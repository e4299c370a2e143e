// R1 never an open relay: a battery of address tricks sent by an untrusted client
// (relay.lanNetworks excludes loopback, so 127.0.0.1 plays a client from the
// Internet), each refused with the right basic and enhanced code, nothing queued.
// Then the ways relaying is allowed: LAN clients, and authenticated clients with
// swaks and python3 smtplib over STARTTLS (587) and implicit TLS (465); the
// message is queued for the remote recipient and delivered to its MX (a sink on
// loopback, found through the in-process DNS server).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { start, smtplib, swaks, swaksReplies, USERS, type TestServer } from '../protocol/support.js';
import { readQueueFile } from '../../src/spool/queue-file.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';
import { startSink } from '../delivery/support.js';

const ALICE = USERS.alice;
const UNTRUSTED = { relay: { lanNetworks: ['192.0.2.0/24'] } };

const R = '554 5.7.1'; // relay refused
const U = '550 5.1.1'; // stays local: unknown local user
const S = '501 5.1.3'; // bad recipient syntax

// [what, RCPT argument (after "RCPT TO:"), expected "code enhanced", SMTPUTF8 in MAIL]
const TRICKS: Array<[string, string, string, boolean?]> = [
  ['plain remote domain', '<victim@remote.test>', R],
  ['mixed-case remote domain', '<victim@ReMoTe.TeSt>', R],
  ['postmaster at a remote domain', '<postmaster@remote.test>', R],
  ['%-hack (local part "victim%remote.test")', '<victim%remote.test@example.test>', U],
  ['double %-hack', '<victim%remote.test%example.test@example.test>', U],
  ['%-hack aimed at a local mailbox from a remote domain', '<alice%example.test@remote.test>', R],
  ['source route through us to remote', '<@example.test:victim@remote.test>', R],
  ['source route with two hops', '<@mx.rampart.test,@example.test:victim@remote.test>', R],
  ['source route with a literal hop', '<@[127.0.0.1]:victim@remote.test>', S],
  ['bang path in the local part', '<remote.test!victim@example.test>', U],
  ['bang path without a domain', '<remote.test!victim>', S],
  ['user@remote@local (double @)', '<victim@remote.test@example.test>', S],
  ['user@local@remote (double @)', '<alice@example.test@remote.test>', S],
  ['quoted "user@remote"@local', '<"victim@remote.test"@example.test>', U],
  ['quoted "user%remote"@local', '<"victim%remote.test"@example.test>', U],
  ['quoted whole address without a domain', '<"victim@remote.test">', S],
  ['trailing dot on the remote domain', '<victim@remote.test.>', S],
  ['trailing dot on our domain', '<alice@example.test.>', S],
  ['look-alike: our domain as a prefix of a remote one', '<alice@example.test.evil.test>', R],
  ['look-alike: our domain as a suffix without a dot', '<alice@evilexample.test>', R],
  ['look-alike: a subdomain of ours', '<alice@sub.example.test>', R],
  ['look-alike: hyphenated', '<alice@example-test.evil.test>', R],
  ['IPv4 domain literal (literals off)', '<victim@[192.0.2.1]>', R],
  ['our own loopback as a domain literal (literals off)', '<alice@[127.0.0.1]>', R],
  ['IPv6 domain literal', '<victim@[IPv6:2001:db8::1]>', R],
  ['IPv6 loopback literal', '<alice@[IPv6:::1]>', R],
  ['IPv4-mapped IPv6 literal', '<alice@[IPv6:::ffff:127.0.0.1]>', R],
  ['general address literal', '<victim@[x-relay:remote.test]>', R],
  ['literal containing our domain name', '<alice@[example.test]>', S],
  ['bare IPv4 as a domain name', '<victim@192.0.2.1>', R],
  ['localhost', '<victim@localhost>', R],
  ['comment after the domain', '<victim@remote.test(comment)>', S],
  ['comment before the local part', '<(comment)alice@example.test>', S],
  ['space inside the path', '<victim @remote.test>', S],
  ['space before >', '<victim@remote.test >', S],
  ['no angle brackets', 'victim@remote.test', S],
  ['second path as a parameter', '<alice@example.test> <victim@remote.test>', '501 5.5.4'],
  ['URL-encoded @', '<victim%40remote.test@example.test>', U],
  ['=40 encoded @', '<victim=40remote.test@example.test>', U],
  ['UTF-8 remote domain', '<victim@rémote.test>', R, true],
  ['UTF-8 domain without SMTPUTF8', '<victim@rémote.test>', '553 5.6.7'],
  ['punycode remote domain', '<victim@xn--rmote-bsa.test>', R],
  ['fullwidth @ in the local part', '<victim＠remote.test@example.test>', U, true],
  ['ideographic full stop instead of a dot', '<alice@example。test>', R, true],
  ['fullwidth letters look-alike of our domain', '<alice@ｅxample.test>', R, true],
  ['unicode dot-like character in the local part', '<alice․remote.test@example.test>', U, true],
];

async function tryRcpt(ts: TestServer, arg: string, utf8: boolean): Promise<string> {
  const c = await SmtpClient.connect(ts.ports.mx);
  try {
    assert.equal((await c.reply()).code, 220);
    assert.equal((await c.cmd('EHLO client.test')).code, 250);
    assert.equal(codes(await c.cmd(`MAIL FROM:<sender@client.test>${utf8 ? ' SMTPUTF8' : ''}`)), '250 2.1.0');
    const r = await c.cmd(`RCPT TO:${arg}`);
    // Nothing may have been accepted: DATA must find no valid recipient.
    assert.equal(codes(await c.cmd('DATA')), '554 5.5.1', `DATA after ${arg}`);
    await c.cmd('QUIT').catch(() => undefined);
    return codes(r);
  } finally {
    c.close();
  }
}

describe('R1 relay battery from an untrusted client', { timeout: 120_000 }, () => {
  test(`${TRICKS.length} address tricks are all refused; nothing is queued`, async () => {
    assert.ok(TRICKS.length >= 25);
    const ts = await start(UNTRUSTED);
    try {
      const got: string[] = [];
      for (const [what, arg, want, utf8] of TRICKS) {
        const r = await tryRcpt(ts, arg, utf8 ?? false);
        got.push(`${what}: ${arg} -> ${r}`);
        assert.equal(r, want, `${what}: RCPT TO:${arg}`);
        assert.match(r, /^5\d\d 5\.\d\.\d+$/);
      }
      assert.equal(ts.logs.filter((l) => l.event === 'queued').length, 0, 'nothing queued');
      const relayDecisions = ts.logs.filter((l) => l.event === 'decision' && l.check === 'rcpt.relay');
      assert.equal(relayDecisions.length, TRICKS.filter((t) => t[2] === R).length, 'every 554 comes from rcpt.relay');
      for (const d of relayDecisions) {
        assert.ok(d.feature === 'R1' || d.feature === 'R8', String(d.feature));
        assert.equal(d.code, 554);
        assert.equal(d.enhanced, '5.7.1');
      }
    } finally {
      await ts.stop();
    }
  });

  test('swaks and smtplib from an untrusted client: relay refused 554 5.7.1, local delivery still works', async () => {
    const ts = await start(UNTRUSTED);
    try {
      const r = await swaks(ts.ports.mx, ['--from', 'sender@client.test', '--to', 'victim@remote.test', '--body', 'relay?']);
      assert.notEqual(r.code, 0);
      assert.ok(swaksReplies(r.stdout).some((l) => /^554 5\.7\.1 /.test(l)), r.stdout);
      const py = await smtplib({ port: ts.ports.mx, from: 'sender@client.test', to: ['victim@remote.test', ALICE.address], msg: Buffer.from('Subject: mixed\r\n\r\nhi\r\n') });
      assert.equal(py.error, undefined, JSON.stringify(py));
      assert.equal(py.refused?.['victim@remote.test']?.[0], 554);
      assert.match(py.refused?.['victim@remote.test']?.[1] ?? '', /^5\.7\.1 /);
      const queued = ts.logs.filter((l) => l.event === 'queued');
      assert.equal(queued.length, 1);
      assert.deepEqual(queued[0].rcpts, [ALICE.address]);
    } finally {
      await ts.stop();
    }
  });

  test('R1 a LAN client may relay without AUTH (relay.lanNetworks includes 127.0.0.1)', async () => {
    const ts = await start({ relay: { lanNetworks: ['127.0.0.0/8'] }, delivery: { hold: true } });
    try {
      const r = await swaks(ts.ports.mx, ['--from', 'app@client.test', '--to', 'someone@remote.test', '--body', 'from the LAN']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const id = /queued as (\S+)/.exec(r.stdout)?.[1];
      assert.ok(id, r.stdout);
      const q = await readQueueFile(join(ts.dataDir, 'spool', 'queue', id), id);
      assert.deepEqual(q.envelope.rcpts.map((x) => x.address), ['someone@remote.test']);
      // Domain literals and address tricks do not become relay targets even for the LAN.
      const c = await SmtpClient.connect(ts.ports.mx);
      try {
        await c.reply();
        await c.cmd('EHLO lan.client.test');
        await c.cmd('MAIL FROM:<app@client.test>');
        assert.equal(codes(await c.cmd('RCPT TO:<x@[192.0.2.1]>')), '554 5.7.1');
        assert.equal(codes(await c.cmd('RCPT TO:<x@remote.test>')), '250 2.1.5');
      } finally {
        c.close();
      }
    } finally {
      await ts.stop();
    }
  });
});

describe('R1/R3 relay for authenticated users', { timeout: 120_000 }, () => {
  test('swaks: STARTTLS + AUTH PLAIN on submission and implicit TLS + AUTH LOGIN on submissions relay to a remote domain; queued', async () => {
    const ts = await start({ ...UNTRUSTED, delivery: { hold: true } });
    try {
      const runs = [
        ['587 STARTTLS PLAIN', ts.ports.submission, ['--tls', '--auth', 'PLAIN']],
        ['465 implicit TLS LOGIN', ts.ports.submissions, ['--tlsc', '--auth', 'LOGIN']],
      ] as const;
      for (const [what, port, tls] of runs) {
        const r = await swaks(port, [...tls, '--auth-user', ALICE.address, '--auth-password', ALICE.password, '--from', ALICE.address, '--to', 'friend@remote.test', '--body', what]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const replies = swaksReplies(r.stdout);
        assert.ok(replies.includes('235 2.7.0 Authentication successful'), what);
        assert.ok(replies.includes('250 2.1.5 Ok'), `${what}: RCPT accepted`);
        const id = /250 2\.0\.0 Ok: queued as (\S+)/.exec(r.stdout)?.[1];
        assert.ok(id, r.stdout);
        const q = await readQueueFile(join(ts.dataDir, 'spool', 'queue', id), id);
        assert.deepEqual(q.envelope.rcpts.map((x) => x.address), ['friend@remote.test']);
        assert.equal(q.envelope.client.authUser, ALICE.address);
      }
    } finally {
      await ts.stop();
    }
  });

  test('smtplib: STARTTLS + AUTH LOGIN and implicit TLS + AUTH PLAIN relay, delivered to the MX; without AUTH the same client is refused', async () => {
    const sink = await startSink();
    const ts = await start({ ...UNTRUSTED, channels: { smtp: { port: sink.port } } });
    ts.dns!.zone.records['remote.test'] = [{ type: 'MX', data: { preference: 10, exchange: 'mx.remote.test' } }];
    ts.dns!.zone.records['mx.remote.test'] = [{ type: 'A', data: '127.0.0.1' }];
    ts.dns!.zone.records['elsewhere.test'] = [{ type: 'A', data: '127.0.0.1' }]; // no MX: the implicit MX
    try {
      for (const [tls, mech, port] of [['starttls', 'LOGIN', ts.ports.submission], ['implicit', 'PLAIN', ts.ports.submissions]] as const) {
        const r = await smtplib({ port, tls, auth: { mech, user: ALICE.address, password: ALICE.password }, from: ALICE.address, to: ['friend@remote.test', 'Other@Elsewhere.Test'], msg: Buffer.from(`Subject: ${tls}\r\n\r\nrelay\r\n`) });
        assert.equal(r.error, undefined, JSON.stringify(r));
        assert.deepEqual(r.refused, {});
        assert.equal(r.auth?.[0], 235);
      }
      // mx with STARTTLS but no AUTH: relay refused.
      const anon = await smtplib({ port: ts.ports.mx, tls: 'starttls', from: 'x@client.test', to: ['friend@remote.test'], msg: Buffer.from('Subject: no\r\n\r\n.\r\n') });
      assert.equal(anon.error?.type, 'SMTPRecipientsRefused');
      assert.equal(anon.refused?.['friend@remote.test']?.[0], 554);
      // Relayed messages go to the smtp channel: one transaction per destination domain, at the sink.
      await ts.delivered();
      const queued = ts.logs.filter((l) => l.event === 'queued');
      assert.equal(queued.length, 2);
      for (const q of queued) {
        assert.deepEqual(q.rcpts, ['friend@remote.test', 'Other@elsewhere.test']);
        assert.ok(!existsSync(join(ts.dataDir, 'spool', 'queue', String(q.queueId))), `${q.queueId} finished`);
        const delivered = ts.logs.filter((l) => l.event === 'delivered' && l.queueId === q.queueId);
        assert.deepEqual(delivered.map((l) => [l.rcpt, l.channel, l.status, l.relay]).sort(), [
          ['Other@elsewhere.test', 'smtp', '2.0.0', 'elsewhere.test'],
          ['friend@remote.test', 'smtp', '2.0.0', 'mx.remote.test'],
        ]);
      }
      assert.deepEqual(sink.messages.map((m) => [m.mailFrom, m.rcpts.join()]).sort(), [
        [ALICE.address, 'Other@elsewhere.test'],
        [ALICE.address, 'Other@elsewhere.test'],
        [ALICE.address, 'friend@remote.test'],
        [ALICE.address, 'friend@remote.test'],
      ]);
      assert.ok(sink.messages.every((m) => /^Received: from /.test(m.data.toString('latin1')) && m.data.toString('latin1').includes('\r\n\r\nrelay\r\n')));
    } finally {
      await ts.stop();
      await sink.stop();
    }
  });
});
