// Session, message, spool and delivery metrics after scripted real SMTP sessions:
// closes by reason, commands by verb, octets received (exactly what the client
// wrote), DATA size and end-of-data latency, spool commit and fsync latency,
// delivery attempts and results by channel and class, and the queue's size.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAdminTestServer, type AdminTestServer } from '../helpers/admin.js';
import { parseMetrics, value, type Samples } from '../helpers/prometheus.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';
import { until } from '../helpers/until.js';

let ts: AdminTestServer;

before(async () => {
  ts = await startAdminTestServer({
    admin: { port: 0, metricsNetworks: ['127.0.0.1/32'] },
    relay: { lanNetworks: ['127.0.0.1/32'] },
    limits: { maxFailedCommands: 3 },
    // Remote mail goes to a closed port: a temporary failure, retried much later.
    channels: { smtp: { relayHost: '[127.0.0.1]:1', retryMs: [3600000] } },
  });
});
after(async () => {
  await ts?.stop();
});

async function scrape(): Promise<Samples> {
  const r = await ts.call('GET', '/metrics', undefined, null);
  assert.equal(r.status, 200, r.text);
  return parseMetrics(r.text);
}


/** A client that counts the octets it writes. */
async function client(): Promise<{ c: SmtpClient; sent: () => number }> {
  const c = await SmtpClient.connect(ts.ports.mx);
  let n = 0;
  const write = c.socket.write.bind(c.socket);
  c.socket.write = ((data: string | Uint8Array, ...rest: unknown[]) => {
    n += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    return (write as (...a: unknown[]) => boolean)(data, ...rest);
  }) as typeof c.socket.write;
  return { c, sent: () => n };
}

test('sessions, messages, spool and delivery move the counters by exactly the scripted amounts', async () => {
  const t0 = await scrape();
  const d = (t: Samples, name: string, labels: Record<string, string> = {}) => value(t, name, labels) - value(t0, name, labels);
  let bytes = 0;

  // A: one local message, then QUIT.
  const a = await client();
  await a.c.reply();
  await a.c.cmd('EHLO client.test');
  await a.c.cmd('MAIL FROM:<sender@client.test>');
  assert.equal((await a.c.cmd('RCPT TO:<alice@example.test>')).code, 250);
  assert.equal((await a.c.cmd('DATA')).code, 354);
  const content = 'Subject: metrics\r\n\r\nhello\r\n';
  assert.equal(codes(await a.c.cmd(`${content}.`)), '250 2.0.0');
  await a.c.cmd('QUIT');
  await a.c.waitClosed();
  bytes += a.sent();

  // B: a remote recipient from the LAN (relayed), to a host that refuses: deferred.
  const b = await client();
  await b.c.reply();
  await b.c.cmd('HELO client.test');
  await b.c.cmd('MAIL FROM:<sender@client.test>');
  assert.equal((await b.c.cmd('RCPT TO:<far@remote.example>')).code, 250);
  await b.c.cmd('DATA');
  assert.equal((await b.c.cmd('Subject: far\r\n\r\nx\r\n.')).code, 250);
  await b.c.cmd('QUIT');
  await b.c.waitClosed();
  bytes += b.sent();

  // C: NOOP and an unknown verb, then the client goes away.
  const c = await client();
  await c.c.reply();
  await c.c.cmd('NOOP');
  await c.c.cmd('BOGUS');
  c.c.socket.end();
  await c.c.waitClosed();
  bytes += c.sent();

  // E: three refused commands: H5 ends the session (a policy drop).
  const e = await client();
  await e.c.reply();
  for (const v of ['X1', 'X2', 'X3']) await e.c.cmd(v);
  assert.equal(codes(await e.c.reply()), '421 4.7.0');
  await e.c.waitClosed();
  bytes += e.sent();

  await until('the local delivery and the deferred remote attempt', async () => {
    const t = await scrape();
    return d(t, 'rampart_delivery_results_total', { channel: 'local', outcome: 'delivered', class: 'success' }) === 1 && d(t, 'rampart_delivery_results_total', { channel: 'smtp', outcome: 'deferred', class: 'transient' }) === 1;
  });
  await until('every session closed', async () => value(await scrape(), 'rampart_sessions_open', { listener: 'mx' }) === 0);
  const t1 = await scrape();

  assert.equal(d(t1, 'rampart_smtp_sessions_closed_total', { listener: 'mx', reason: 'quit' }), 2);
  assert.equal(d(t1, 'rampart_smtp_sessions_closed_total', { listener: 'mx', reason: 'client_disconnected' }), 1);
  assert.equal(d(t1, 'rampart_smtp_sessions_closed_total', { listener: 'mx', reason: 'policy_drop' }), 1);
  const verbs = { EHLO: 1, HELO: 1, MAIL: 2, RCPT: 2, DATA: 2, QUIT: 2, NOOP: 1, OTHER: 4 };
  for (const [verb, n] of Object.entries(verbs)) assert.equal(d(t1, 'rampart_smtp_commands_total', { listener: 'mx', verb }), n, verb);
  assert.equal(d(t1, 'rampart_smtp_received_bytes_total', { listener: 'mx' }), bytes, 'every octet the clients wrote');
  assert.equal(d(t1, 'rampart_smtp_session_duration_seconds_count', { listener: 'mx' }), 4);
  assert.equal(d(t1, 'rampart_smtp_data_bytes_count', { listener: 'mx' }), 2);
  assert.equal(d(t1, 'rampart_smtp_data_bytes_sum', { listener: 'mx' }), content.length + 'Subject: far\r\n\r\nx\r\n'.length);
  assert.equal(d(t1, 'rampart_smtp_eod_duration_seconds_count', { listener: 'mx', outcome: 'queued' }), 2);
  assert.equal(d(t1, 'rampart_smtp_eod_duration_seconds_count', { listener: 'mx', outcome: 'refused' }), 0);
  assert.equal(d(t1, 'rampart_spool_commit_duration_seconds_count'), 2);
  assert.equal(d(t1, 'rampart_spool_fsync_duration_seconds_count'), 2);
  assert.ok(d(t1, 'rampart_spool_commit_duration_seconds_sum') >= d(t1, 'rampart_spool_fsync_duration_seconds_sum'), 'the commit includes the fsync');
  assert.equal(d(t1, 'rampart_delivery_attempts_total', { channel: 'local' }), 1);
  assert.equal(d(t1, 'rampart_delivery_attempts_total', { channel: 'smtp' }), 1);
  assert.equal(d(t1, 'rampart_delivery_duration_seconds_count', { channel: 'smtp' }), 1);
  assert.equal(value(t1, 'rampart_queue_messages', { state: 'waiting' }), 1, 'the deferred message waits for its retry');
  assert.equal(value(t1, 'rampart_queue_messages', { state: 'running' }), 0);
  assert.equal(value(t1, 'rampart_queue_deferred_recipients', { channel: 'smtp' }), 1);
  assert.equal(value(t1, 'rampart_queue_channel_messages', { state: 'waiting', channel: 'smtp' }), 1, 'by state and channel');
  assert.equal(value(t1, 'rampart_queue_channel_messages', { state: 'waiting', channel: 'local' }), 0, 'the local copy is delivered');
  for (const k of t1.keys()) assert.doesNotMatch(k, /127\.0\.0\.1|@|remote\.example/, k);
});

test('a message refused at its end of data is measured as refused', async () => {
  const t0 = await scrape();
  const c = await SmtpClient.connect(ts.ports.mx);
  await c.reply();
  await c.cmd('EHLO client.test');
  await c.cmd('MAIL FROM:<sender@client.test>');
  await c.cmd('RCPT TO:<alice@example.test>');
  await c.cmd('DATA');
  assert.equal(codes(await c.cmd('Subject: x\r\n\r\nbare\nlf\r\n.')), '554 5.6.0');
  await c.cmd('QUIT');
  await c.waitClosed();
  await until('the session closed', async () => value(await scrape(), 'rampart_sessions_open', { listener: 'mx' }) === 0);
  const t1 = await scrape();
  assert.equal(value(t1, 'rampart_smtp_eod_duration_seconds_count', { listener: 'mx', outcome: 'refused' }) - value(t0, 'rampart_smtp_eod_duration_seconds_count', { listener: 'mx', outcome: 'refused' }), 1);
  assert.equal(value(t1, 'rampart_spool_commit_duration_seconds_count') - value(t0, 'rampart_spool_commit_duration_seconds_count'), 0);
});
