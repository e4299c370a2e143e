// The end-of-data stage sees the message as it will be stored: the parsed header
// block, a stream of the stored octets (from memory for a small message, read
// back from the spool file for a large one), and addHeader(): fields added there
// are stored durably with the message (queue file prepend) and every reader -
// the queue file API, openMessage(), Maildir delivery - emits them first, the
// newest on top. An eod check that refuses leaves nothing queued.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reject } from '../../src/core/decision.js';
import { registerCheck } from '../../src/policy/registry.js';
import type { Check } from '../../src/policy/types.js';
import { readQueueFile } from '../../src/spool/queue-file.js';
import { openMessage } from '../../src/spool/open-message.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mailbox } from './support.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';

interface Seen {
  subject?: string;
  octets: number;
  sha: string;
  size: number;
}
const seen: Seen[] = [];

const content: Check = {
  name: 'eod.testContent',
  feature: 'H2',
  async run(ctx) {
    const m = ctx.message!;
    const headers = await m.headers();
    const subject = headers.find((h) => h.name.toLowerCase() === 'subject')?.value;
    const hash = createHash('sha256');
    let octets = 0;
    for await (const chunk of m.stream()) {
      hash.update(chunk as Buffer);
      octets += (chunk as Buffer).length;
    }
    seen.push({ subject, octets, sha: hash.digest('hex'), size: m.size });
    if (subject === 'refuse me') return reject('eod.testContent', 550, '5.7.1', 'Message content refused', 'test');
    m.addHeader('Authentication-Results', `mx.rampart.test; none (received ${headers[0].name})`);
    return undefined;
  },
};
const score: Check = {
  name: 'eod.testScore',
  feature: 'H2',
  run(ctx) {
    ctx.message!.addHeader('X-Rampart-Score', '0.0');
    return undefined;
  },
};

let ts: TestServer;
before(async () => {
  registerCheck({ name: 'eod.testContent', stage: 'eod', feature: 'H2', config: ['policy.warn'], kind: 'check', summary: 'test: reads and marks' });
  registerCheck({ name: 'eod.testScore', stage: 'eod', feature: 'H2', config: ['policy.warn'], kind: 'check', summary: 'test: adds a score' });
  ts = await startTestServer({ delivery: { hold: true } }, { checks: [content, score] });
});
after(() => ts.stop());

async function send(subject: string, bodyOctets: number): Promise<{ reply: string; id?: string }> {
  const c = await SmtpClient.connect(ts.ports.mx);
  try {
    assert.equal((await c.reply()).code, 220);
    assert.equal((await c.cmd('EHLO client.test')).code, 250);
    assert.equal((await c.cmd('MAIL FROM:<sender@client.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    const line = 'y'.repeat(70) + '\r\n';
    c.write(`Subject: ${subject}\r\nFrom: <sender@client.test>\r\n\r\n${line.repeat(Math.ceil(bodyOctets / line.length))}.\r\n`);
    const r = await c.reply(10000);
    return { reply: codes(r), id: /queued as (\S+)/.exec(r.lines.join(' '))?.[1] };
  } finally {
    c.close();
  }
}

for (const [label, octets] of [['small (in memory)', 2000], ['large (read back from the spool file)', 300_000]] as const) {
  test(`eod stage, ${label}: headers, the stored octets as a stream, added fields stored first (newest on top)`, async () => {
    const subject = `eod ${octets}`;
    const { reply, id } = await send(subject, octets);
    assert.equal(reply, '250 2.0.0', JSON.stringify(ts.logs.filter((l) => l.event === 'decision' || Number(l.level) >= 50)));
    const s = seen.find((x) => x.subject === subject)!;
    assert.ok(s, 'the check saw the Subject header');
    assert.equal(s.octets, s.size, 'the stream yields exactly the stored octets');
    const path = join(ts.dataDir, 'spool', 'queue', id!);
    const q = await readQueueFile(path, id!);
    assert.equal(q.prepend.toString('latin1'), 'X-Rampart-Score: 0.0\r\nAuthentication-Results: mx.rampart.test; none (received Received)\r\n');
    assert.equal(q.size, s.size);
    const stored = readFileSync(path).subarray(q.bodyOffset, q.bodyOffset + q.size);
    assert.equal(createHash('sha256').update(stored).digest('hex'), s.sha, 'the check streamed what is stored');
    assert.match(stored.toString('latin1'), /^Received: from client\.test/);
    const whole: Buffer[] = [];
    for await (const chunk of openMessage({ path, ...q })) whole.push(chunk as Buffer);
    assert.ok(Buffer.concat(whole).equals(Buffer.concat([q.prepend, stored])), 'openMessage: prepend, then the stored octets');
    assert.match(readFileSync(path, 'latin1'), /RQ2T \d{12} \d{12}\n$/, 'the trailer ends the file');
  });
}

test('eod stage: delivery writes the added fields on top, under Return-Path and Delivered-To', async () => {
  const { reply } = await send('delivered', 100);
  assert.equal(reply, '250 2.0.0');
  ts.server.scheduler.setConfig({ ...ts.server.config(), delivery: { ...ts.server.config().delivery, hold: false } });
  const msgs = await mailbox(ts, 'alice@example.test', 3, 10000);
  const mine = msgs.find((m) => m.includes('Subject: delivered'))!;
  assert.match(mine, /^Return-Path: <sender@client\.test>\r\nDelivered-To: alice@example\.test\r\nX-Rampart-Score: 0\.0\r\nAuthentication-Results: mx\.rampart\.test; none \(received Received\)\r\nReceived: from client\.test/);
});

test('eod stage: a refusal there is final: 550 5.7.1 and nothing is queued', async () => {
  const before = readdirSync(join(ts.dataDir, 'spool', 'queue')).length;
  const { reply } = await send('refuse me', 100);
  assert.equal(reply, '550 5.7.1');
  assert.equal(readdirSync(join(ts.dataDir, 'spool', 'queue')).length, before);
  assert.deepEqual(readdirSync(join(ts.dataDir, 'spool', 'incoming')), []);
  const d = ts.logs.find((l) => l.event === 'decision' && l.check === 'eod.testContent');
  assert.deepEqual([d?.stage, d?.code, d?.fault], ['eod', 550, 'client']);
});
