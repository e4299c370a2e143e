// Q2 end to end, through the whole server: a LAN client relays through Rampart,
// the scheduler routes to the smtp channel, the transport finds the MX through
// the in-process DNS server and delivers to a real peer on loopback
// (nodemailer's smtp-server, or the scripted peer for chosen replies). Per-recipient
// results, retries and give-up run on the fake clock; the notices that come back
// to the local sender are parsed with mailsplit/libmime, field by field (RFC 3464).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startSink } from '../delivery/support.js';
import { startPeer } from '../helpers/smtp-peer.js';
import { FakeClock } from '../../src/scheduler/fake-clock.js';
import { events, mxTo, noticesIn, sendLan, startRelay } from './remote-support.js';
import { until } from '../helpers/until.js';

const ALICE = 'alice@example.test';

test('Q2/R1 a LAN client relays through Rampart to the MX of a remote domain; the sink receives it intact', { timeout: 60_000 }, async () => {
  const sink = await startSink();
  const ts = await startRelay({ channels: { smtp: { port: sink.port } } }, { records: mxTo('remote.test') });
  try {
    const id = await sendLan(ts.ports.mx, {
      from: ALICE,
      to: ['friend@remote.test', 'Other@Remote.Test'],
      data: 'From: alice@example.test\r\nTo: friend@remote.test\r\nSubject: lan relay\r\n\r\nhello\r\n.a line that starts with a dot\r\nbye',
    });
    await until('delivered', () => sink.messages.length === 1);
    await ts.delivered();
    const m = sink.messages[0];
    assert.equal(m.mailFrom, ALICE);
    assert.deepEqual(m.rcpts, ['friend@remote.test', 'Other@remote.test'], 'one transaction for both: same destination (the domain was lower-cased at RCPT)');
    const text = m.data.toString('latin1');
    assert.match(text, /^Received: from lan\.client\.test \(/, 'our trace header first');
    assert.ok(text.endsWith('\r\nSubject: lan relay\r\n\r\nhello\r\n.a line that starts with a dot\r\nbye\r\n'), 'dot-stuffing undone by the peer: the body is intact');
    assert.deepEqual(
      events(ts, 'delivered', id).map((l) => [l.rcpt, l.channel, l.status, l.relay]),
      [
        ['friend@remote.test', 'smtp', '2.0.0', 'mx.remote.test'],
        ['Other@remote.test', 'smtp', '2.0.0', 'mx.remote.test'],
      ],
    );
    assert.deepEqual(readdirSync(join(ts.dataDir, 'spool', 'queue')), []);
    assert.ok(ts.dns!.queries.some((q) => q.name === 'remote.test' && q.type === 'MX'));
  } finally {
    await ts.stop();
    await sink.stop();
  }
});

test('Q2 per-recipient results from a real peer: 250 delivered, 450 retried alone after the retry time, 550 bounced with the peer\'s reply', { timeout: 60_000 }, async () => {
  let busy = true;
  const peer = await startPeer({
    rcpt: (a) => {
      if (a.startsWith('tmp@')) return busy ? '450 4.2.1 <tmp@peer.test>: mailbox busy, try later' : '250 2.1.5 ok';
      if (a.startsWith('bad@')) return '550 5.1.1 <bad@peer.test>: no such user here';
      return '250 2.1.5 ok';
    },
  });
  const clock = new FakeClock();
  clock.t = Date.now();
  const ts = await startRelay({ channels: { smtp: { port: peer.port } }, delivery: { retryMs: [60_000] } }, { records: mxTo('peer.test') }, clock);
  try {
    const id = await sendLan(ts.ports.mx, {
      from: ALICE,
      mailParams: 'RET=HDRS ENVID=e2e+2B1',
      to: ['ok@peer.test', 'tmp@peer.test', ['bad@peer.test', 'NOTIFY=FAILURE ORCPT=rfc822;orig-bad@example.test']],
      data: 'From: alice@example.test\r\nSubject: three answers\r\nMessage-ID: <three@example.test>\r\n\r\nbody',
    });
    await ts.delivered();
    await until('the notice', () => ts.maildir(ALICE).length === 1);
    assert.deepEqual(peer.sessions.flatMap((s) => s.messages.map((m) => m.rcpts)), [['ok@peer.test']], 'only the accepted recipient got the data');
    assert.deepEqual(events(ts, 'delivered', id).map((l) => [l.rcpt, l.status, l.relay]), [['ok@peer.test', '2.0.0', 'mx.peer.test']]);
    const deferred = events(ts, 'deferred', id);
    assert.deepEqual(deferred.map((l) => [l.rcpt, l.status, l.relay, l.reason]), [['tmp@peer.test', '4.2.1', 'mx.peer.test', '450 4.2.1 <tmp@peer.test>: mailbox busy, try later']]);
    assert.deepEqual(events(ts, 'failed', id).map((l) => [l.rcpt, l.status]), [['bad@peer.test', '5.1.1']]);

    const [n] = await noticesIn(ts, ALICE);
    assert.equal(n.type, 'multipart/report');
    assert.equal(n.params['report-type'], 'delivery-status');
    assert.equal(n.header.subject, 'Undelivered Mail Returned to Sender');
    assert.deepEqual(
      n.parts.map((p) => p.type),
      ['text/plain', 'message/delivery-status', 'text/rfc822-headers'],
    );
    assert.equal(n.perMessage['reporting-mta'], 'dns; mx.rampart.test');
    assert.equal(n.perMessage['original-envelope-id'], 'e2e+1', 'ENVID decoded from xtext');
    assert.equal(n.perMessage['x-rampart-queue-id'], id);
    assert.match(n.perMessage['arrival-date'], /^\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/);
    assert.equal(n.perRecipient.length, 1, 'the failed recipient only: the others are not failures');
    const r = n.perRecipient[0];
    assert.equal(r['final-recipient'], 'rfc822; bad@peer.test');
    assert.equal(r['original-recipient'], 'rfc822; orig-bad@example.test');
    assert.equal(r.action, 'failed');
    assert.equal(r.status, '5.1.1');
    assert.equal(r['remote-mta'], 'dns; mx.peer.test');
    assert.equal(r['diagnostic-code'], 'smtp; 550 5.1.1 <bad@peer.test>: no such user here');
    assert.match(r['last-attempt-date'], /^\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/);
    assert.match(n.parts[2].body.toString('latin1'), /\r\nSubject: three answers\r\nMessage-ID: <three@example\.test>\r\n$/);
    assert.ok(!n.parts[2].body.toString('latin1').includes('body'), 'RET=HDRS: no body returned');

    // The retry, on the fake clock: only the 4xx recipient goes again.
    busy = false;
    clock.t = Math.max(clock.t, Date.now());
    clock.advance(61_000);
    await ts.delivered();
    await until('the retry', () => peer.sessions.flatMap((s) => s.messages).length === 2);
    const all = peer.sessions.flatMap((s) => s.messages.map((m) => m.rcpts));
    assert.deepEqual(all, [['ok@peer.test'], ['tmp@peer.test']], 'the delivered recipient is never sent again');
    const rcptCommands = peer.sessions.flatMap((s) => s.commands.filter((c) => c.startsWith('RCPT')));
    assert.equal(rcptCommands.filter((c) => c.includes('bad@')).length, 1, 'the failed one is not retried');
    assert.deepEqual(events(ts, 'delivered', id).map((l) => l.rcpt), ['ok@peer.test', 'tmp@peer.test']);
    assert.equal(ts.server.scheduler.size, 0);
    assert.equal(ts.maildir(ALICE).length, 1, 'no further notice');
  } finally {
    await ts.stop();
    await peer.stop();
  }
});

test('Q2 giveUpMs (fake clock): a peer that keeps answering 450 gets one delay warning (NOTIFY=DELAY), then a 4.4.7 failure naming its reply', { timeout: 60_000 }, async () => {
  const peer = await startPeer({ rcpt: () => '450 4.2.0 <slow@peer.test>: greylisted, come back later' });
  const clock = new FakeClock();
  clock.t = Date.now();
  const ts = await startRelay(
    { channels: { smtp: { port: peer.port } }, delivery: { retryMs: [60_000], delayWarningMs: 120_000, giveUpMs: 300_000 } },
    { records: mxTo('peer.test') },
    clock,
  );
  try {
    const id = await sendLan(ts.ports.mx, { from: ALICE, to: [['slow@peer.test', 'NOTIFY=DELAY,FAILURE']], data: 'Subject: slow\r\n\r\nbody' });
    await ts.delivered();
    clock.t = Math.max(clock.t, Date.now());
    const step = async () => {
      clock.advance(61_000);
      await ts.delivered();
    };
    await step();
    assert.equal((await noticesIn(ts, ALICE)).length, 0, 'no warning before delayWarningMs');
    for (let i = 0; i < 5; i++) await step();
    await until('notices', () => ts.maildir(ALICE).length === 2);
    const notices = await noticesIn(ts, ALICE);
    const delay = notices.filter((n) => n.header.subject === 'Delayed Mail (still being retried)');
    assert.equal(delay.length, 1, 'one warning, however many retries follow');
    assert.deepEqual([delay[0].perRecipient[0].action, delay[0].perRecipient[0].status, delay[0].perRecipient[0]['remote-mta']], ['delayed', '4.2.0', 'dns; mx.peer.test']);
    assert.ok(delay[0].perRecipient[0]['will-retry-until']);
    const failure = notices.find((n) => n.header.subject === 'Undelivered Mail Returned to Sender')!;
    const r = failure.perRecipient[0];
    assert.deepEqual([r['final-recipient'], r.action, r.status, r['remote-mta']], ['rfc822; slow@peer.test', 'failed', '4.4.7', 'dns; mx.peer.test']);
    assert.match(r['diagnostic-code'], /^smtp; 450 4\.2\.0 <slow@peer\.test>: greylisted, come back later \(gave up after \d+ attempts over 5 minutes\)$/);
    assert.ok(events(ts, 'failed', id).some((l) => l.status === '4.4.7'));
    assert.equal(ts.server.scheduler.size, 0);
  } finally {
    await ts.stop();
    await peer.stop();
  }
});

test('Q2 NOTIFY=SUCCESS: a peer without DSN gets the message and the sender an "Action: relayed" notice; a peer with DSN gets NOTIFY passed on and we send none', { timeout: 60_000 }, async () => {
  const plain = await startSink(); // smtp-server hides DSN by default
  const dsnPeer = await startPeer({ ehlo: ['PIPELINING', '8BITMIME', 'DSN', 'ENHANCEDSTATUSCODES'] });
  const ts = await startRelay(
    { channels: { smtp: { port: plain.port }, dsnhop: { port: dsnPeer.port } }, routes: { 'dsn.test': 'dsnhop' } },
    { records: { ...mxTo('plain.test'), ...mxTo('dsn.test') } },
  );
  try {
    const id = await sendLan(ts.ports.mx, {
      from: ALICE,
      mailParams: 'ENVID=s1',
      to: [
        ['a@plain.test', 'NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@plain.test'],
        ['b@dsn.test', 'NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@dsn.test'],
      ],
      data: 'Subject: tell me\r\n\r\nbody',
    });
    await until('both delivered', () => plain.messages.length === 1 && dsnPeer.sessions.some((s) => s.messages.length === 1));
    await ts.delivered();
    await until('the notice', () => ts.maildir(ALICE).length === 1);
    assert.equal(plain.messages[0].rcptArgs[0], false, 'no DSN parameters to a peer without DSN');
    const commands = dsnPeer.sessions.flatMap((s) => s.commands);
    assert.ok(commands.includes('MAIL FROM:<alice@example.test> ENVID=s1') || commands.some((c) => /^MAIL FROM:<alice@example\.test> .*ENVID=s1/.test(c)), commands.join(' | '));
    assert.ok(commands.some((c) => /^RCPT TO:<b@dsn\.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@dsn\.test$/.test(c)), commands.join(' | '));
    assert.deepEqual(events(ts, 'relayed', id).map((l) => l.rcpt), ['a@plain.test']);
    assert.deepEqual(events(ts, 'delivered', id).map((l) => l.rcpt), ['b@dsn.test']);
    await ts.delivered();
    const notices = await noticesIn(ts, ALICE);
    assert.equal(notices.length, 1, 'one success notice, for the hop without DSN only');
    const n = notices[0];
    assert.equal(n.header.subject, 'Successful Mail Delivery Report');
    assert.equal(n.perMessage['original-envelope-id'], 's1');
    assert.equal(n.perRecipient.length, 1);
    const r = n.perRecipient[0];
    assert.deepEqual([r['final-recipient'], r['original-recipient'], r.action, r.status, r['remote-mta']], ['rfc822; a@plain.test', 'rfc822; a@plain.test', 'relayed', '2.0.0', 'dns; mx.plain.test']);
    assert.match(r['diagnostic-code'], /^smtp; 250 /);
  } finally {
    await ts.stop();
    await plain.stop();
    await dsnPeer.stop();
  }
});
