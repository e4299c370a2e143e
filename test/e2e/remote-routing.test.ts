// Q2/Q3/Q1 routing end to end: what DNS says about a destination (null MX,
// nonexistent domain, an MX host without an address, a failing lookup), a route
// to a channel with a relay host (no MX lookup), local domains delivered over
// LMTP (channels.local overridden, and a route to a unix-socket channel), and a
// second Rampart as the receiving MX (with STARTTLS on the way).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSink } from '../delivery/support.js';
import { startPeer } from '../helpers/smtp-peer.js';
import { startTestServer } from '../helpers/server.js';
import { splitDelivered } from '../protocol/support.js';
import { events, mxTo, noticesIn, sendLan, startRelay } from './remote-support.js';
import { until } from '../helpers/until.js';

const ALICE = 'alice@example.test';

test('Q2 DNS outcomes: null MX fails 5.1.10, NXDOMAIN 5.1.2, an MX host with no address 5.4.4 (one notice); a failing lookup defers 4.4.3 and the queue goes on', { timeout: 60_000 }, async () => {
  const sink = await startSink();
  const ts = await startRelay(
    { channels: { smtp: { port: sink.port } } },
    {
      records: {
        'nullmx.test': [{ type: 'MX', data: { preference: 0, exchange: '.' } }],
        'noaddr.test': [{ type: 'MX', data: { preference: 10, exchange: 'mx.noaddr.test' } }],
        ...mxTo('fine.test'),
      },
      servfail: ['broken.test'],
    },
  );
  try {
    const id = await sendLan(ts.ports.mx, { from: ALICE, to: ['a@nullmx.test', 'b@nowhere.test', 'c@noaddr.test', 'd@broken.test'], data: 'Subject: dns\r\n\r\nbody' });
    await ts.delivered();
    await until('the notice', () => ts.maildir(ALICE).length === 1);
    const failed = Object.fromEntries(events(ts, 'failed', id).map((l) => [l.rcpt, [l.status, l.reason]]));
    assert.deepEqual(failed['a@nullmx.test'], ['5.1.10', 'domain nullmx.test accepts no mail (null MX, RFC 7505)']);
    assert.deepEqual(failed['b@nowhere.test'], ['5.1.2', 'domain nowhere.test does not exist (NXDOMAIN)']);
    assert.equal(failed['c@noaddr.test'][0], '5.4.4');
    assert.match(String(failed['c@noaddr.test'][1]), /host mx\.noaddr\.test has no address/);
    const deferred = events(ts, 'deferred', id);
    assert.deepEqual(deferred.map((l) => [l.rcpt, l.status]), [['d@broken.test', '4.4.3']]);
    assert.match(String(deferred[0].reason), /DNS lookup of the MX records of broken\.test failed: ESERVFAIL/);

    const [n] = await noticesIn(ts, ALICE);
    assert.deepEqual(
      n.perRecipient.map((r) => [r['final-recipient'], r.action, r.status, r['remote-mta'], r['diagnostic-code']]),
      [
        ['rfc822; a@nullmx.test', 'failed', '5.1.10', undefined, 'X-Rampart; domain nullmx.test accepts no mail (null MX, RFC 7505)'],
        ['rfc822; b@nowhere.test', 'failed', '5.1.2', undefined, 'X-Rampart; domain nowhere.test does not exist (NXDOMAIN)'],
        ['rfc822; c@noaddr.test', 'failed', '5.4.4', undefined, n.perRecipient[2]['diagnostic-code']],
      ],
      'our own reasons, no Remote-MTA: no peer answered',
    );
    assert.equal(ts.server.scheduler.size, 1, 'the deferred recipient waits');
    // The queue is not stuck behind it.
    await sendLan(ts.ports.mx, { from: ALICE, to: ['e@fine.test'], data: 'Subject: next\r\n\r\nbody' });
    await until('the next message', () => sink.messages.length === 1);
    assert.deepEqual(sink.messages[0].rcpts, ['e@fine.test']);
  } finally {
    await ts.stop();
    await sink.stop();
  }
});

test('Q2 an MX that is this server (its bound listener port) is a mail loop: failed 5.4.6, nothing sent to ourselves', { timeout: 60_000 }, async () => {
  const ts = await startRelay({}, { records: mxTo('loop.test') });
  try {
    // The listener was configured with port 0: only the bound port can tell the transport it is ours.
    // The channel port is set to it afterwards (the scheduler hands each delivery its channel).
    const port = ts.ports.mx;
    const cfg = ts.server.config();
    ts.server.scheduler.setConfig({ ...cfg, channels: { ...cfg.channels, smtp: { ...cfg.channels.smtp, port } } });
    const id = await sendLan(ts.ports.mx, { from: ALICE, to: ['x@loop.test'], data: 'Subject: loop\r\n\r\nbody' });
    await ts.delivered();
    const failed = events(ts, 'failed', id);
    assert.deepEqual(failed.map((l) => [l.rcpt, l.status]), [['x@loop.test', '5.4.6']]);
    assert.match(String(failed[0].reason), new RegExp(`mail for loop\\.test loops back to myself: mx\\.loop\\.test \\[127\\.0\\.0\\.1\\]:${port} is one of our listeners`));
    assert.deepEqual(ts.logs.filter((l) => l.event === 'queued').map((l) => l.queueId), [id], 'no looped copy came in');
    assert.deepEqual(ts.logs.filter((l) => l.event === 'connection').map((l) => l.helo), ['lan.client.test'], 'we never connected to ourselves');
  } finally {
    await ts.stop();
  }
});

test('Q3 a route to a channel with relayHost "[127.0.0.1]:port": every domain it names goes there, with no MX lookup', { timeout: 60_000 }, async () => {
  const smarthost = await startSink();
  const ts = await startRelay({ channels: { outbound: { relayHost: `[127.0.0.1]:${smarthost.port}` } }, routes: { 'far.test': 'outbound', '.far.test': 'outbound' } }, { records: {} });
  try {
    const id = await sendLan(ts.ports.mx, { from: ALICE, to: ['x@far.test', 'y@sub.far.test'], data: 'Subject: smarthost\r\n\r\nbody' });
    await until('delivered', () => smarthost.messages.length === 1);
    await ts.delivered();
    assert.deepEqual(smarthost.messages[0].rcpts, ['x@far.test', 'y@sub.far.test'], 'one hand-over: the relay host is the destination of both domains');
    assert.deepEqual(events(ts, 'delivered', id).map((l) => [l.rcpt, l.channel, l.relay]), [
      ['x@far.test', 'outbound', '127.0.0.1'],
      ['y@sub.far.test', 'outbound', '127.0.0.1'],
    ]);
    assert.deepEqual(ts.dns!.queries.filter((q) => q.name.endsWith('far.test')), [], 'no DNS lookup for the recipient domains');
  } finally {
    await ts.stop();
    await smarthost.stop();
  }
});

test('Q1 LMTP: channels.local over LMTP (TCP) answers per recipient after the data (RFC 2033): one delivered, one deferred alone; nothing in Maildir', { timeout: 60_000 }, async () => {
  let full = true;
  const store = await startPeer({
    lmtp: true,
    ehlo: ['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES'],
    dataDone: (rcpts) => rcpts.map((r) => (r.startsWith('bob@') && full ? '452 4.2.2 <bob@example.test>: mailbox full' : `250 2.0.0 <${r}> saved`)),
  });
  const ts = await startRelay({ channels: { local: { transport: 'lmtp', relayHost: `[127.0.0.1]:${store.port}` } }, delivery: { retryMs: [500] } }, { records: {} });
  try {
    const id = await sendLan(ts.ports.mx, { from: 'sender@remote.test', to: [ALICE, 'bob@example.test'], data: 'Subject: to the store\r\n\r\nbody' });
    await until('first attempt', () => events(ts, 'deferred', id).length === 1);
    const first = store.sessions.flatMap((s) => s.messages);
    assert.equal(first.length, 1);
    assert.deepEqual(first[0].rcpts, [ALICE, 'bob@example.test'], 'one LMTP transaction');
    assert.ok(store.sessions[0].commands[0].startsWith('LHLO '), 'LHLO, not EHLO');
    assert.deepEqual(events(ts, 'delivered', id).map((l) => [l.rcpt, l.channel, l.status]), [[ALICE, 'local', '2.0.0']]);
    assert.deepEqual(events(ts, 'deferred', id).map((l) => [l.rcpt, l.status, l.reason]), [['bob@example.test', '4.2.2', '452 4.2.2 <bob@example.test>: mailbox full']]);
    full = false;
    await until('the retry', () => events(ts, 'delivered', id).length === 2, 10_000);
    const all = store.sessions.flatMap((s) => s.messages.map((m) => m.rcpts));
    assert.deepEqual(all, [[ALICE, 'bob@example.test'], ['bob@example.test']], 'alice is not delivered twice');
    assert.deepEqual(ts.maildir(ALICE), [], 'the local channel no longer writes Maildir');
    assert.match(first[0].data.toString('latin1'), /^Received: from lan\.client\.test /);
  } finally {
    await ts.stop();
    await store.stop();
  }
});

test('Q1/Q3 a local domain routed to an LMTP channel on a unix socket (Dovecot style): smtp-server in LMTP mode receives it', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-lmtp-'));
  const path = join(dir, 'lmtp.sock');
  const store = await startSink({ lmtp: true }, { path });
  const ts = await startRelay({ channels: { store: { transport: 'lmtp', relayHost: `unix:${path}` } }, routes: { 'store.test': 'store' } }, { records: {} });
  try {
    ts.server.directory.addDomain('store.test');
    await ts.server.directory.addMailbox('carol@store.test');
    const id = await sendLan(ts.ports.mx, { from: 'sender@remote.test', to: ['carol@store.test', ALICE], data: 'Subject: two channels\r\n\r\nbody' });
    await until('lmtp delivery', () => store.messages.length === 1);
    await ts.delivered();
    assert.deepEqual(store.messages[0].rcpts, ['carol@store.test']);
    assert.deepEqual(events(ts, 'delivered', id).map((l) => [l.rcpt, l.channel]).sort(), [[ALICE, 'local'], ['carol@store.test', 'store']]);
    assert.equal(ts.maildir(ALICE).length, 1, 'alice still goes to Maildir through local');
    assert.deepEqual(ts.maildir('carol@store.test'), []);
  } finally {
    await ts.stop();
    await store.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Q2 a second Rampart as the receiving MX: delivered into its Maildir over STARTTLS, both trace headers present', { timeout: 60_000 }, async () => {
  const far = await startTestServer({ hostname: 'mx.far.test', timeouts: { shutdownMs: 1500 } });
  const ts = await startRelay({ hostname: 'out.rampart.test', channels: { smtp: { port: far.ports.mx } } }, { records: mxTo('far.test') });
  try {
    far.server.directory.addDomain('far.test');
    await far.server.directory.addMailbox('dan@far.test');
    // (A sender outside example.test: the far server has that domain too, and would call it spoofed.)
    const id = await sendLan(ts.ports.mx, { from: 'pc@lan.test', to: ['dan@far.test'], data: 'From: pc@lan.test\r\nSubject: across\r\n\r\nbody' });
    await until('delivered at the far end', () => far.maildir('dan@far.test').length === 1);
    await ts.delivered();
    assert.deepEqual(events(ts, 'delivered', id).map((l) => [l.rcpt, l.relay]), [['dan@far.test', 'mx.far.test']]);
    const d = splitDelivered(far.maildir('dan@far.test')[0]);
    assert.equal(d.returnPath, 'pc@lan.test');
    const text = far.maildir('dan@far.test')[0];
    assert.match(text, /\r\nReceived: from out\.rampart\.test \([^)]*127\.0\.0\.1[^)]*\)\r\n\tby mx\.far\.test [^\r]*with ESMTPS/, 'the far end saw our EHLO name, over TLS');
    assert.match(text, /\r\nReceived: from lan\.client\.test [\s\S]*by out\.rampart\.test/, 'our own trace header travels along');
  } finally {
    await ts.stop();
    await far.stop();
  }
});
