// H5/H6 and our own trouble: a refusal the client did not cause - a full spool
// (spool.minFreeBytes, 452 4.3.1), a DNS outage (451 4.4.3) - is never counted as
// a failed command, never ends the session with 421 and never feeds the automatic
// deny list, however often it happens. The decision says who caused it (fault).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AbuseEvent } from '../../src/policy/abuse.js';
import type { DecisionEvent } from '../../src/policy/decision-events.js';
import { hygieneDns, startWithDns, ehlo, decisions, message, type TestServer } from './support.js';
import { codes } from '../helpers/smtp-client.js';
import { startTestServer } from '../helpers/server.js';

/** 25 transactions on one connection (MAIL, RCPT, DATA; RSET after a refusal); the replies, in order. */
async function transactions(ts: TestServer, from: string): Promise<string[]> {
  const c = await ehlo(ts.ports.mx);
  const seen: string[] = [];
  try {
    for (let i = 0; i < 25; i++) {
      const mail = await c.cmd(`MAIL FROM:<${from}>`);
      seen.push(codes(mail));
      if (mail.code !== 250) continue;
      assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
      const data = await c.cmd('DATA');
      seen.push(codes(data));
      if (data.code === 354) {
        c.write(message(`m${i}`) + '.\r\n');
        seen.push(codes(await c.reply()));
      } else assert.equal((await c.cmd('RSET')).code, 250);
    }
    const quit = await c.cmd('QUIT');
    seen.push(codes(quit));
  } finally {
    c.close();
  }
  return seen;
}

function watch(ts: TestServer): { abuse: AbuseEvent[]; events: DecisionEvent[] } {
  const abuse: AbuseEvent[] = [];
  const events: DecisionEvent[] = [];
  ts.server.abuse.subscribe((e) => void abuse.push(e));
  ts.server.decisions.subscribe((e) => void events.push(e));
  return { abuse, events };
}

test('H5/H6 full spool (data.spoolFreeSpace 452 4.3.1): 25 refused messages in one session, no 421, no deny entry', async () => {
  // The spool's file system always looks full: the reserve is larger than any disk.
  const ts = await startTestServer({ spool: { minFreeBytes: 1e15 }, limits: { maxFailedCommands: 20 } });
  const seen = watch(ts);
  try {
    const replies = await transactions(ts, 'sender@client.test');
    assert.equal(replies.filter((r) => r === '452 4.3.1').length, 25, replies.join(', '));
    assert.equal(replies.at(-1), '221 2.0.0', 'the session ended with QUIT, not 421');
    assert.ok(!replies.includes('421 4.7.0'));
    assert.equal(decisions(ts, 'session.maxFailedCommands').length, 0);
    const logged = decisions(ts, 'data.spoolFreeSpace');
    assert.equal(logged.length, 25);
    assert.deepEqual([logged[0].fault, logged[0].feature, logged[0].code, logged[0].enhanced], ['server', 'P5', 452, '4.3.1']);
    assert.deepEqual(seen.abuse, []);
    assert.equal(ts.server.access.lookup('127.0.0.1').deny, undefined, 'no deny entry');
    const published = seen.events.filter((e) => e.check === 'data.spoolFreeSpace');
    assert.equal(published.length, 25, 'every decision is published once');
    assert.equal(published[0].fault, 'server');
    const conn = ts.logs.find((l) => l.event === 'connection');
    assert.equal(conn?.failures, 0, 'H5 counted none of them');
  } finally {
    await ts.stop();
  }
});

test('H5/H6 DNS outage (mail.senderDomainResolvable 451 4.4.3): 25 refused senders in one session, no 421, no abuse event', async () => {
  const dns = await hygieneDns();
  const ts = await startWithDns(dns, { policy: { senderDomainResolvable: true }, limits: { maxFailedCommands: 20 } });
  const seen = watch(ts);
  try {
    const replies = await transactions(ts, 'someone@broken.test');
    assert.equal(replies.filter((r) => r === '451 4.4.3').length, 25, replies.join(', '));
    assert.equal(replies.at(-1), '221 2.0.0');
    assert.equal(decisions(ts, 'session.maxFailedCommands').length, 0);
    assert.equal(decisions(ts, 'mail.senderDomainResolvable')[0].fault, 'server');
    assert.deepEqual(seen.abuse, []);
    assert.equal(ts.server.access.lookup('127.0.0.1').deny, undefined);
  } finally {
    await ts.stop();
    await dns.stop();
  }
});

test('H5 still counts what the client caused: refused recipients reach the limit and get 421 4.7.0', async () => {
  const ts = await startTestServer({ limits: { maxFailedCommands: 3 }, access: { autoDeny: { enabled: false } } });
  const seen = watch(ts);
  try {
    const c = await ehlo(ts.ports.mx);
    assert.equal((await c.cmd('MAIL FROM:<sender@client.test>')).code, 250);
    for (let i = 0; i < 3; i++) assert.equal(codes(await c.cmd(`RCPT TO:<nobody${i}@example.test>`)), '550 5.1.1');
    assert.equal(codes(await c.cmd('NOOP')), '421 4.7.0');
    await c.waitClosed();
    assert.deepEqual(
      seen.abuse.map((e) => [e.kind, e.feature]),
      [['failed-commands', 'H5']],
    );
    assert.equal(decisions(ts, 'rcpt.localRecipient')[0].fault, 'client');
  } finally {
    await ts.stop();
  }
});
