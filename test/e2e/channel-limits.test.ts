// S3 channel limits and Q4 alternate channels end to end: a LAN client sends
// through Rampart, each channel relays to its own sink on loopback, and the
// sinks count what they receive. A message over an alternate* limit leaves by
// the alternate channel (logged once, recorded, shown by `rampart queue list`);
// a message whose recipients route to different channels is split; a message
// no channel takes is refused at RCPT (452 4.5.3, rcpt.channelRecipientLimit)
// or at end of data (552 5.3.4, eod.channelLimits).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSink, type Sink } from '../delivery/support.js';
import { SmtpClient, type Reply } from '../helpers/smtp-client.js';
import { runCli } from '../helpers/cli.js';
import { FakeClock } from '../../src/scheduler/fake-clock.js';
import { events, sendLan, startRelay } from './remote-support.js';
import { until } from '../helpers/until.js';

const ALICE = 'alice@example.test';
const relay = (s: Sink) => `[127.0.0.1]:${s.port}`;

/** 1 KiB blocks; tcp_out hands mail over 4 blocks, 40 lines or 2 recipients to tcp_big; strict has no alternate. */
function channels(out: Sink, big: Sink, other: Sink) {
  return {
    limits: { blockSize: 1024 },
    channels: {
      tcp_out: { relayHost: relay(out), alternateChannel: 'tcp_big', alternateBlockLimit: 4, alternateLineLimit: 40, alternateRecipientLimit: 2 },
      tcp_big: { relayHost: relay(big), concurrency: 2, blockLimit: 20, retryMs: [60_000] },
      tcp_other: { relayHost: relay(other) },
      strict: { relayHost: relay(other), blockLimit: 4, lineLimit: 40, recipientLimit: 2 },
    },
    routes: { 'out.test': 'tcp_out', 'other.test': 'tcp_other', 'strict.test': 'strict' },
  };
}

const body = (lines: number, width = 70) => Array.from({ length: lines }, (_, i) => `${String(i).padStart(4, '0')} ${'x'.repeat(width)}`).join('\r\n');

test('Q4 a message over alternateBlockLimit / alternateLineLimit / alternateRecipientLimit leaves by the alternate channel; others by the normal one; logged once', { timeout: 60_000 }, async () => {
  const [out, big, other] = await Promise.all([startSink(), startSink(), startSink()]);
  const ts = await startRelay(channels(out, big, other), { records: {} });
  try {
    const small = await sendLan(ts.ports.mx, { from: ALICE, to: ['a@out.test'], data: `Subject: small\r\n\r\n${body(5)}` });
    const large = await sendLan(ts.ports.mx, { from: ALICE, to: ['b@out.test'], data: `Subject: large\r\n\r\n${body(100)}` }); // about 7.5 KiB
    const tall = await sendLan(ts.ports.mx, { from: ALICE, to: ['c@out.test'], data: `Subject: tall\r\n\r\n${body(60, 1)}` }); // 60 short lines, 1 block
    const wide = await sendLan(ts.ports.mx, { from: ALICE, to: ['d@out.test', 'e@out.test', 'f@out.test'], data: 'Subject: wide\r\n\r\nhi' });
    await ts.delivered();
    await until('every message', () => out.messages.length + big.messages.length === 4);
    assert.deepEqual(out.messages.map((m) => m.rcpts), [['a@out.test']]);
    assert.deepEqual(big.messages.map((m) => m.rcpts.join(',')).sort(), ['b@out.test', 'c@out.test', 'd@out.test,e@out.test,f@out.test']);
    assert.equal(other.messages.length, 0);

    const choice = (id: string) => events(ts, 'channel', id);
    assert.equal(choice(small).length, 1);
    assert.deepEqual([choice(small)[0].routed, choice(small)[0].channel], ['tcp_out', 'tcp_out']);
    for (const [id, re] of [
      [large, /^alternate: blocks \d+ > 4$/],
      [tall, /^alternate: lines \d+ > 40$/],
      [wide, /^alternate: recipients 3 > 2$/],
    ] as const) {
      assert.equal(choice(id).length, 1, 'the choice is logged once per message');
      assert.equal(choice(id)[0].channel, 'tcp_big');
      assert.match(String(choice(id)[0].reason), re);
      assert.deepEqual(events(ts, 'relayed', id).concat(events(ts, 'delivered', id)).map((l) => l.channel).filter((c) => c !== 'tcp_big'), [], 'recorded under the alternate channel');
    }
  } finally {
    await ts.stop();
    await Promise.all([out.stop(), big.stop(), other.stop()]);
  }
});

test('Q4 a 3-recipient message split across channels: the normal recipients to one sink, the other domain to its own', { timeout: 60_000 }, async () => {
  const [out, big, other] = await Promise.all([startSink(), startSink(), startSink()]);
  const ts = await startRelay(channels(out, big, other), { records: {} });
  try {
    await sendLan(ts.ports.mx, { from: ALICE, to: ['x@out.test', 'y@out.test', 'z@other.test'], data: 'Subject: split\r\n\r\nhi' });
    await sendLan(ts.ports.mx, { from: ALICE, to: ['x@out.test', 'z@other.test', 'y@out.test'], data: `Subject: split big\r\n\r\n${body(100)}` });
    await ts.delivered();
    await until('every copy', () => out.messages.length + big.messages.length + other.messages.length === 4);
    assert.deepEqual(out.messages.map((m) => m.rcpts), [['x@out.test', 'y@out.test']], 'small: the two out.test recipients in one transaction');
    assert.deepEqual(big.messages.map((m) => m.rcpts), [['x@out.test', 'y@out.test']], 'big: the out.test recipients by the alternate');
    assert.deepEqual(other.messages.map((m) => m.rcpts), [['z@other.test'], ['z@other.test']], 'the other channel has no limits: both copies');
    assert.match(big.messages[0].data.toString('latin1'), /Subject: split big/);
  } finally {
    await ts.stop();
    await Promise.all([out.stop(), big.stop(), other.stop()]);
  }
});

async function transaction(port: number, rcpts: string[], data: string): Promise<{ rcpt: Reply[]; eod?: Reply }> {
  const c = await SmtpClient.connect(port);
  try {
    await c.reply();
    await c.cmd('EHLO lan.client.test');
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
    const rcpt: Reply[] = [];
    for (const r of rcpts) rcpt.push(await c.cmd(`RCPT TO:<${r}>`));
    if (!rcpt.some((r) => r.code === 250)) return { rcpt };
    assert.equal((await c.cmd('DATA')).code, 354);
    const eod = await c.cmd(`${data}\r\n.`);
    await c.cmd('QUIT');
    return { rcpt, eod };
  } finally {
    c.close();
  }
}

test('S3 no alternate: recipients past recipientLimit get 452 4.5.3 at RCPT; over blockLimit or lineLimit 552 5.3.4 at end of data; the alternate\'s own blockLimit refuses too', { timeout: 60_000 }, async () => {
  const [out, big, other] = await Promise.all([startSink(), startSink(), startSink()]);
  const ts = await startRelay(channels(out, big, other), { records: {} });
  try {
    const wide = await transaction(ts.ports.mx, ['a@strict.test', 'b@strict.test', 'c@strict.test', 'd@other.test'], 'Subject: wide\r\n\r\nhi');
    assert.deepEqual(wide.rcpt.map((r) => [r.code, r.enhanced]), [[250, '2.1.5'], [250, '2.1.5'], [452, '4.5.3'], [250, '2.1.5']]);
    assert.match(wide.rcpt[2].text, /Too many recipients/);
    assert.equal(wide.eod?.code, 250, 'the accepted recipients are queued');

    const large = await transaction(ts.ports.mx, ['a@strict.test'], `Subject: large\r\n\r\n${body(100)}`);
    assert.deepEqual([large.eod?.code, large.eod?.enhanced], [552, '5.3.4']);
    const tall = await transaction(ts.ports.mx, ['a@strict.test'], `Subject: tall\r\n\r\n${body(60, 1)}`);
    assert.deepEqual([tall.eod?.code, tall.eod?.enhanced], [552, '5.3.4']);
    assert.match(tall.eod!.text, /too many lines/);
    const huge = await transaction(ts.ports.mx, ['a@out.test'], `Subject: huge\r\n\r\n${body(300)}`); // ~22 blocks: over tcp_big's 20
    assert.deepEqual([huge.eod?.code, huge.eod?.enhanced], [552, '5.3.4']);

    const refusals = ts.logs.filter((l) => l.event === 'decision' && String(l.check).includes('hannel'));
    assert.deepEqual(refusals.map((l) => l.check), ['rcpt.channelRecipientLimit', 'eod.channelLimits', 'eod.channelLimits', 'eod.channelLimits']);
    assert.match(String(refusals[1].reason), /^channel strict: blocks \d+ > 4 \(channels\.strict\.blockLimit\)$/);
    assert.match(String(refusals[3].reason), /^channel tcp_big: blocks \d+ > 20 \(channels\.tcp_big\.blockLimit\)$/);
    await ts.delivered();
    await until('the accepted message', () => other.messages.length === 2);
    assert.deepEqual(other.messages.flatMap((m) => m.rcpts).sort(), ['a@strict.test', 'b@strict.test', 'd@other.test'], 'strict and tcp_other share one sink: one transaction each');
  } finally {
    await ts.stop();
    await Promise.all([out.stop(), big.stop(), other.stop()]);
  }
});

test('Q4 the choice is recorded once and shown by rampart queue list (text and --json); the retry goes by the alternate', { timeout: 60_000 }, async () => {
  let refuse = true;
  const [out, other] = await Promise.all([startSink(), startSink()]);
  const big = await startSink({
    onRcptTo(_a, _s, cb) {
      if (refuse) return cb(Object.assign(new Error('try later'), { responseCode: 451 }));
      cb();
    },
  });
  const clock = new FakeClock();
  const settings = channels(out, big, other);
  const ts = await startRelay(settings, { records: {} }, clock);
  try {
    const id = await sendLan(ts.ports.mx, { from: ALICE, to: ['b@out.test', 'z@other.test'], data: `Subject: large\r\n\r\n${body(100)}` });
    await ts.delivered();
    await until('the other copy', () => other.messages.length === 1);
    const cfg = join(ts.dataDir, 'rampart.json');
    writeFileSync(cfg, JSON.stringify({ dataDir: ts.dataDir, listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 25 }], ...settings }));
    const text = await runCli(['queue', 'list'], { config: cfg });
    assert.equal(text.code, 0, text.stderr);
    const line = text.stdout.split('\n').find((l) => l.includes('b@out.test'))!;
    assert.match(line, /^    b@out\.test  tcp_big \(alternate: blocks \d+ > 4\)  deferred \(.*451.*\)$/);
    assert.match(text.stdout, /    z@other\.test  tcp_other  delivered/);
    const json = JSON.parse((await runCli(['queue', 'list', '--json'], { config: cfg })).stdout);
    const b = json.messages[0].recipients[0];
    assert.deepEqual([b.address, b.channel, b.state], ['b@out.test', 'tcp_big', 'deferred']);
    assert.match(b.channelReason, /^alternate: blocks \d+ > 4$/);

    // A reload that raises the alternate limit does not move the message half-way: the recorded choice holds.
    const cur = ts.server.config();
    ts.server.scheduler.setConfig({ ...cur, channels: { ...cur.channels, tcp_out: { ...cur.channels.tcp_out, alternateBlockLimit: 1000 } } });
    refuse = false;
    clock.advance(60_000);
    await until('the retry', () => big.messages.length === 1);
    await ts.delivered();
    assert.deepEqual(big.messages[0].rcpts, ['b@out.test']);
    assert.equal(out.messages.length, 0);
    assert.equal(events(ts, 'channel', id).length, 1, 'logged once, not again at the retry');
  } finally {
    await ts.stop();
    await Promise.all([out.stop(), big.stop(), other.stop()]);
  }
});

test('Q4 the alternate channel uses its own concurrency and its own retry schedule, not the normal channel\'s', { timeout: 60_000 }, async () => {
  let refuse = true;
  const [out, other] = await Promise.all([startSink(), startSink()]);
  // A slow sink: five large messages at once would use five connections if nothing bounded them.
  const big = await startSink(
    {
      onRcptTo(_a, _s, cb) {
        if (refuse) return cb(Object.assign(new Error('try later'), { responseCode: 451 }));
        cb();
      },
    },
    {},
    { dataDelayMs: 300 },
  );
  const clock = new FakeClock();
  const settings = channels(out, big, other);
  // tcp_out keeps the default schedule (first retry after 60 s); tcp_big waits 10 minutes.
  settings.channels.tcp_big = { ...settings.channels.tcp_big, retryMs: [600_000] };
  const ts = await startRelay(settings, { records: {} }, clock);
  try {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await sendLan(ts.ports.mx, { from: ALICE, to: [`u${i}@out.test`], data: `Subject: large ${i}\r\n\r\n${body(100)}` }));
    await ts.delivered();
    await until('every first attempt deferred', () => ids.every((id) => events(ts, 'deferred', id).length === 1));
    assert.equal(big.messages.length, 0);

    refuse = false;
    clock.advance(60_000); // the normal channel's first retry time
    await ts.delivered();
    assert.equal(big.messages.length, 0, 'no retry at tcp_out\'s 60 s: tcp_big waits 10 minutes');
    assert.equal(out.messages.length, 0);

    clock.advance(540_000);
    await until('every retry', () => big.messages.length === 5);
    await ts.delivered();
    assert.equal(big.maxConcurrent, 2, 'channels.tcp_big.concurrency 2 (the normal channel allows 20)');
    assert.equal(out.messages.length, 0);
  } finally {
    await ts.stop();
    await Promise.all([out.stop(), big.stop(), other.stop()]);
  }
});
