// /metrics after a scripted sequence of real SMTP sessions, DNS queries, API calls
// and a few decisions published by hand (warn mode, a mark): each counter moves by
// exactly the expected amount.
// Scraped over HTTP from an address in admin.metricsNetworks (no token).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAdminTestServer, type AdminTestServer } from '../helpers/admin.js';
import { startDns, type TestDns } from '../../src/bench/loopback-dns.js';
import { parseMetrics, value, type Samples } from '../helpers/prometheus.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';
import { API_PREFIX } from '../../src/admin/routes.js';
import { listeners } from '../protocol/support.js';
import { until } from '../helpers/until.js';

let ts: AdminTestServer;
let dns: TestDns;

before(async () => {
  dns = await startDns({ records: { 'mail.ok.example': [{ type: 'MX', data: { preference: 10, exchange: 'mx.ok.example' } }] }, servfail: ['broken.example'] });
  ts = await startAdminTestServer({
    admin: { port: 0, metricsNetworks: ['127.0.0.1/32'] },
    dns: { servers: [dns.server], timeoutMs: 1000, tries: 1 },
    limits: { maxFailedCommands: 2, maxConnectionsPerIp: 2 },
    access: { autoDeny: { threshold: 1 } },
  });
});
after(async () => {
  await ts?.stop();
  await dns?.stop();
});

async function scrape(): Promise<Samples> {
  const r = await ts.call('GET', '/metrics', undefined, null);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseMetrics(r.text);
}


async function session(fn: (c: SmtpClient) => Promise<void>): Promise<void> {
  const c = await SmtpClient.connect(ts.ports.mx);
  try {
    await fn(c);
  } finally {
    c.socket.destroy();
  }
}

test('counters move by exactly the scripted amounts', async () => {
  const t0 = await scrape();
  const delta = (t1: Samples, name: string, labels: Record<string, string> = {}) => value(t1, name, labels) - value(t0, name, labels);

  // Two sessions that end with QUIT, one of them with a message.
  await session(async (c) => {
    assert.equal((await c.reply()).code, 220);
    assert.equal((await c.cmd('QUIT')).code, 221);
  });
  await session(async (c) => {
    await c.reply();
    await c.cmd('EHLO client.test');
    assert.equal((await c.cmd('MAIL FROM:<sender@client.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    assert.equal((await c.cmd('Subject: metrics\r\n\r\nhello\r\n.')).code, 250);
    await c.cmd('QUIT');
  });
  // P4: two idle sessions fill maxConnectionsPerIp; the third connection is refused.
  const idle = [await SmtpClient.connect(ts.ports.mx), await SmtpClient.connect(ts.ports.mx)];
  for (const c of idle) await c.reply();
  await session(async (c) => assert.equal(codes(await c.reply()), '421 4.7.0'));
  const during = await scrape();
  assert.equal(delta(during, 'rampart_sessions_open', { listener: 'mx' }), 2, 'the two idle sessions are open');
  for (const c of idle) c.socket.destroy();
  await until('sessions closed', async () => value(await scrape(), 'rampart_sessions_open', { listener: 'mx' }) === value(t0, 'rampart_sessions_open', { listener: 'mx' }));

  // DNS through the resolver the policy checks use: one answer, one NXDOMAIN, one SERVFAIL.
  assert.equal((await ts.server.dns.mx('mail.ok.example')).kind, 'ok');
  assert.equal((await ts.server.dns.a('missing.example')).kind, 'nxdomain');
  assert.equal((await ts.server.dns.a('broken.example')).kind, 'error');

  // Decisions published by hand, as finalize() publishes them: two rejects, one warn-mode refusal, one mark.
  const base = { time: Date.now(), session: 's', client: '192.0.2.1', listener: 'mx' };
  ts.server.decisions.publish({ ...base, stage: 'rcpt', check: 'rcpt.relay', feature: 'R1', action: 'reject', code: 554, enhanced: '5.7.1' });
  ts.server.decisions.publish({ ...base, stage: 'rcpt', check: 'rcpt.relay', feature: 'R1', action: 'reject', code: 554, enhanced: '5.7.1' });
  ts.server.decisions.publish({ ...base, stage: 'mail', check: 'mail.ptr', feature: 'H2', action: 'reject', code: 550, enhanced: '5.7.25', warn: true });
  ts.server.decisions.publish({ ...base, stage: 'mail', check: 'mail.ptr', feature: 'H2', action: 'mark', score: 1 });

  // A manual deny entry through the API refuses the next connection; its decision (connect.denyList, from finalize()) counts a hit.
  assert.equal((await ts.call('POST', `${API_PREFIX}/access/deny`, { network: '127.0.0.1', reason: 'metrics' })).status, 201);
  await session(async (c) => assert.equal(codes(await c.reply()), '554 5.7.1'));
  const withDeny = await scrape();
  assert.equal(value(withDeny, 'rampart_access_entries', { kind: 'deny', source: 'manual' }), 1);
  assert.equal((await ts.call('DELETE', `${API_PREFIX}/access/deny/127.0.0.1`)).status, 200);

  // H5: two refused commands end the session (an abuse event); H6 (threshold 1) denies the client.
  await session(async (c) => {
    await c.reply();
    await c.cmd('BOGUS1');
    await c.cmd('BOGUS2');
    assert.equal(codes(await c.cmd('NOOP')), '421 4.7.0');
  });
  await until('automatic deny', async () => ts.server.access.size('deny') === 1);
  await until('sessions closed', async () => value(await scrape(), 'rampart_sessions_open', { listener: 'mx' }) === 0);

  const t1 = await scrape();
  // 2 QUIT sessions + 2 idle + the denied one + the H5 one were accepted; one refused by the limit
  // (counted from its connect.maxConnections decision, the same event as its log line).
  assert.equal(delta(t1, 'rampart_connections_total', { listener: 'mx', outcome: 'accepted' }), 6);
  assert.equal(delta(t1, 'rampart_connections_total', { listener: 'mx', outcome: 'refused_limit' }), 1);
  assert.equal(delta(t1, 'rampart_decisions_total', { stage: 'connect', check: 'connect.maxConnections', action: 'drop', code: '421', warn: 'false' }), 1);
  assert.equal(delta(t1, 'rampart_decisions_total', { stage: 'session', check: 'session.maxFailedCommands', action: 'drop', code: '421', warn: 'false' }), 1);
  assert.equal(delta(t1, 'rampart_connections_total', { listener: 'submission', outcome: 'accepted' }), 0);
  assert.equal(value(t1, 'rampart_sessions_open', { listener: 'mx' }), 0);
  assert.equal(delta(t1, 'rampart_spool_commits_total'), 1);
  assert.equal(delta(t1, 'rampart_spool_message_bytes_count'), 1);
  assert.ok(delta(t1, 'rampart_spool_message_bytes_sum') > 30, 'the message with its Received header');
  assert.equal(delta(t1, 'rampart_dns_queries_total', { type: 'mx', result: 'ok' }), 1);
  assert.equal(delta(t1, 'rampart_dns_queries_total', { type: 'a', result: 'nxdomain' }), 1);
  assert.equal(delta(t1, 'rampart_dns_queries_total', { type: 'a', result: 'error' }), 1);
  assert.equal(delta(t1, 'rampart_dns_query_duration_seconds_count', { type: 'a' }), 2);
  assert.equal(delta(t1, 'rampart_decisions_total', { stage: 'rcpt', check: 'rcpt.relay', action: 'reject', code: '554', warn: 'false' }), 2);
  assert.equal(delta(t1, 'rampart_decisions_total', { stage: 'mail', check: 'mail.ptr', action: 'reject', code: '550', warn: 'true' }), 1);
  assert.equal(delta(t1, 'rampart_decisions_total', { stage: 'mail', check: 'mail.ptr', action: 'mark', code: '', warn: 'false' }), 1);
  assert.equal(delta(t1, 'rampart_decisions_total', { stage: 'connect', check: 'connect.denyList', action: 'drop', code: '554', warn: 'false' }), 1);
  assert.equal(delta(t1, 'rampart_deny_list_hits_total', { source: 'manual' }), 1);
  assert.equal(delta(t1, 'rampart_access_entries_added_total', { kind: 'deny', source: 'manual' }), 1);
  assert.equal(delta(t1, 'rampart_abuse_events_total', { kind: 'failed-commands', feature: 'H5' }), 1);
  assert.equal(delta(t1, 'rampart_access_entries_added_total', { kind: 'deny', source: 'auto' }), 1);
  assert.equal(value(t1, 'rampart_access_entries', { kind: 'deny', source: 'auto' }), 1);
  assert.equal(value(t1, 'rampart_access_entries', { kind: 'deny', source: 'manual' }), 0);
  // Node runtime metrics (prom-client defaults).
  for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'process_resident_memory_bytes']) assert.ok(t1.has(name), name);
  // No label carries an address, a sender or a recipient.
  for (const k of t1.keys()) assert.doesNotMatch(k, /127\.0\.0\.1|192\.0\.2\.1|@/, k);
});

test('/metrics needs a token from outside admin.metricsNetworks; a wrong token is refused even from inside', async () => {
  assert.equal((await ts.call('GET', '/metrics', undefined, 'rmp_wrong')).status, 401);
  assert.equal((await ts.call('GET', '/metrics', undefined, ts.readOnly)).status, 200);
  const closed = await startAdminTestServer();
  try {
    assert.equal((await closed.call('GET', '/metrics', undefined, null)).status, 401);
    const r = await closed.call('GET', '/metrics', undefined, closed.readOnly);
    assert.equal(r.status, 200);
    assert.ok(parseMetrics(r.text).has('nodejs_eventloop_lag_seconds'));
  } finally {
    await closed.stop();
  }
});

test('connections the listener guards refuse are counted from their decisions: proxy_refused (R1), and no refused_limit for a warn-mode P4 limit', async () => {
  const other = await startAdminTestServer({
    admin: { port: 0, metricsNetworks: ['127.0.0.1/32'] },
    listeners: listeners({ mx: { proxyProtocol: { trusted: ['127.0.0.1'], timeoutMs: 400 } } }),
    limits: { maxConnectionsPerIp: 1 },
    policy: { warn: ['connect.maxConnections'] },
  });
  try {
    const get = async () => {
      const r = await other.call('GET', '/metrics', undefined, null);
      assert.equal(r.status, 200, r.text);
      return parseMetrics(r.text);
    };
    // R1: a trusted proxy that sends no valid header is closed without a word.
    const bad = await SmtpClient.connect(other.ports.mx);
    try {
      bad.write('HELLO not a proxy header\r\n');
      await bad.waitClosed(3000);
      assert.equal(bad.pending, '');
    } finally {
      bad.close();
    }
    // P4 in warn mode: the second connection from 127.0.0.1 is over maxConnectionsPerIp, logged, and served.
    const first = await SmtpClient.connect(other.ports.submission);
    const second = await SmtpClient.connect(other.ports.submission);
    try {
      assert.equal((await first.reply()).code, 220);
      assert.equal((await second.reply()).code, 220);
    } finally {
      first.close();
      second.close();
    }
    const m = await get();
    assert.equal(value(m, 'rampart_connections_total', { listener: 'mx', outcome: 'proxy_refused' }), 1);
    assert.equal(value(m, 'rampart_connections_total', { listener: 'mx', outcome: 'accepted' }), 0);
    assert.equal(value(m, 'rampart_decisions_total', { stage: 'connect', check: 'connect.proxyProtocol', action: 'drop', code: '421', warn: 'false' }), 1);
    assert.equal(value(m, 'rampart_connections_total', { listener: 'submission', outcome: 'refused_limit' }), 0);
    assert.equal(value(m, 'rampart_connections_total', { listener: 'submission', outcome: 'accepted' }), 2);
    assert.equal(value(m, 'rampart_decisions_total', { stage: 'connect', check: 'connect.maxConnections', action: 'drop', code: '421', warn: 'true' }), 1);
    assert.equal(other.logs.filter((l) => l.event === 'decision' && l.check === 'connect.proxyProtocol').length, 1, 'one decision, one log line, one count');
  } finally {
    await other.stop();
  }
});
