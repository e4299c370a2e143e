// Q1/Q2 with the end-of-data stage: a header field an eod check adds is stored
// behind the message in the queue file (the RQ2 prepend), and every reader puts
// it on top - the SMTP transport (with SIZE= counting it), Maildir (with S=
// counting it), and the copy or header section a DSN returns. One LAN client
// message goes to a remote peer (one recipient accepted, one refused with 550,
// RET=FULL) and to a local mailbox; small (first attempt from memory) and large
// (read from the queue file). The notice the server queues itself is not counted
// as a committed message in the metrics.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { registerCheck } from '../../src/policy/registry.js';
import type { Check } from '../../src/policy/types.js';
import { startPeer } from '../helpers/smtp-peer.js';
import { startTestServer } from '../helpers/server.js';
import { LAN, mxTo, noticesIn, sendLan } from './remote-support.js';
import { until } from '../helpers/until.js';

const ALICE = 'alice@example.test';
const FIELD = 'X-Test-Scan: clean (eod)\r\n';

const scan: Check = {
  name: 'eod.testScan',
  feature: 'H2',
  run(ctx) {
    ctx.message!.addHeader('X-Test-Scan', 'clean (eod)');
    return undefined;
  },
};

before(() => registerCheck({ name: 'eod.testScan', stage: 'eod', feature: 'H2', config: ['policy.warn'], kind: 'check', summary: 'test: adds a header field at end of data' }));

for (const [label, bodyOctets] of [['small (first attempt from memory)', 2000], ['large (read from the queue file)', 300_000]] as const) {
  test(`Q2 eod-added field, ${label}: on top at the SMTP peer (SIZE= counts it), in Maildir (S= counts it) and in the DSN`, { timeout: 60_000 }, async () => {
    const peer = await startPeer({ rcpt: (a) => (a.startsWith('bad@') ? '550 5.1.1 <bad@peer.test>: no such user here' : '250 2.1.5 ok') });
    const ts = await startTestServer({ ...LAN, timeouts: { shutdownMs: 1500 }, channels: { smtp: { port: peer.port } } }, { zone: { records: mxTo('peer.test') }, checks: [scan] });
    try {
      const line = 'z'.repeat(70) + '\r\n';
      const body = line.repeat(Math.ceil(bodyOctets / line.length));
      const id = await sendLan(ts.ports.mx, {
        from: ALICE,
        mailParams: 'RET=FULL',
        to: ['ok@peer.test', ['bad@peer.test', 'NOTIFY=FAILURE'], 'bob@example.test'],
        data: `From: ${ALICE}\r\nSubject: eod field ${bodyOctets}\r\n\r\n${body}end`,
      });
      await until('the peer got the message', () => peer.sessions.some((s) => s.messages.length > 0));
      await ts.delivered();
      await until('the notice', () => ts.maildir(ALICE).length === 1);

      // SMTP: the added field first, then our Received header; SIZE= is the whole message.
      const [m] = peer.sessions.flatMap((s) => s.messages);
      assert.deepEqual(m.rcpts, ['ok@peer.test']);
      const sent = m.data.toString('latin1');
      assert.ok(sent.startsWith(`${FIELD}Received: from lan.client.test (`), sent.slice(0, 200));
      assert.ok(sent.endsWith(`${line}end\r\n`), 'the body follows intact');
      const mail = peer.sessions.flatMap((s) => s.commands).find((c) => c.startsWith('MAIL FROM:'))!;
      assert.match(mail, / SIZE=(\d+)/);
      assert.equal(Number(/ SIZE=(\d+)/.exec(mail)![1]), m.data.length, 'SIZE= counts the prepend');

      // Maildir: Return-Path and Delivered-To, then the added field; S= is the file's size.
      const newDir = join(ts.dataDir, 'mail/example.test/bob/Maildir/new');
      const [file] = readdirSync(newDir);
      const local = ts.maildir('bob@example.test')[0];
      assert.ok(local.startsWith(`Return-Path: <${ALICE}>\r\nDelivered-To: bob@example.test\r\n${FIELD}Received: from lan.client.test (`));
      assert.ok(local.endsWith(`\r\n\r\n${body}end\r\n`));
      assert.equal(Number(/,S=(\d+)/.exec(file)![1]), statSync(join(newDir, file)).size, 'S= counts the prepend');
      assert.equal(local.length - `Return-Path: <${ALICE}>\r\nDelivered-To: bob@example.test\r\n`.length, m.data.length, 'the same octets went both ways');

      // DSN: the returned copy (RET=FULL, under bounceSizeLimit) or its header section starts with the field.
      const [n] = await noticesIn(ts, ALICE);
      assert.deepEqual(n.perRecipient.map((r) => [r['final-recipient'], r.status]), [['rfc822; bad@peer.test', '5.1.1']]);
      assert.equal(n.perMessage['x-rampart-queue-id'], id);
      const returned = n.parts[2];
      if (bodyOctets < 50_000) {
        assert.equal(returned.type, 'message/rfc822');
        assert.equal(returned.body.toString('latin1'), sent, 'the whole message comes back, field on top');
      } else {
        assert.equal(returned.type, 'text/rfc822-headers', 'over bounceSizeLimit: the header section only');
        assert.ok(returned.body.toString('latin1').startsWith(`${FIELD}Received: from lan.client.test (`));
        assert.match(n.human, new RegExp(`The message was ${m.data.length} octets`), 'the size stated counts the prepend');
      }
      // The notice was queued by the server itself: the commit metrics count the client's message only.
      const commits = await ts.server.metrics.registry.getSingleMetric('rampart_spool_commits_total')!.get();
      assert.equal(commits.values[0]?.value, 1, 'one message answered 250');
    } finally {
      await ts.stop();
      await peer.stop();
    }
  });
}
