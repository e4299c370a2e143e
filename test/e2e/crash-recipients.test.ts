// Q2 durable per-recipient state: a real server process is killed with SIGKILL
// in the middle of multi-recipient deliveries and restarted. Every recipient of
// every acknowledged message is delivered; one whose delivery was recorded in
// the journal before the kill is never delivered again; only one delivered but
// not yet recorded when the process died (the window between the mailbox's fsync
// and the journal's) may get a second copy; none gets three.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { ProcessServer } from '../helpers/process-server.js';
import { Directory } from '../../src/directory/store.js';
import { replayJournal } from '../../src/spool/journal-records.js';
import { until } from '../helpers/until.js';

const MESSAGES = 12;
const RCPTS = 40;


/** Copies per (subject, mailbox) found in every Maildir. */
function copies(ps: ProcessServer): Map<string, number> {
  const out = new Map<string, number>();
  for (let u = 0; u < RCPTS; u++) {
    const d = join(ps.dir, 'data/mail/example.test', `u${u}`, 'Maildir/new');
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) {
      const subject = /\r\nSubject: (crash-\d+)\r\n/.exec(readFileSync(join(d, f), 'latin1'))![1];
      const key = `${subject} u${u}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

test('Q2 SIGKILL during multi-recipient delivery, restart: each recipient once (at most twice in the window), none lost', { timeout: 180_000 }, async (t) => {
  // One delivery at a time on the local channel makes the run long enough to be cut in the middle.
  const ps = await ProcessServer.create({ delivery: { hold: true, concurrency: 4 }, channels: { local: { maxConnections: 1 } } });
  try {
    const dir = Directory.open(join(ps.dir, 'data/directory.sqlite'));
    for (let u = 0; u < RCPTS; u++) await dir.addMailbox(`u${u}@example.test`);
    dir.close();
    await ps.start();
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: ps.port, secure: false, ignoreTLS: true, name: 'nm.client.test', pool: true });
    const ids: string[] = [];
    for (let m = 0; m < MESSAGES; m++) {
      const info = await transport.sendMail({
        envelope: { from: 'sender@remote.test', to: Array.from({ length: RCPTS }, (_, u) => `u${u}@example.test`) },
        raw: `From: sender@remote.test\r\nSubject: crash-${m}\r\n\r\nmessage ${m}\r\n`,
      });
      assert.equal(info.accepted.length, RCPTS);
      ids.push(/queued as (\S+)/.exec(info.response)![1]);
    }
    transport.close();
    const acknowledged = MESSAGES * RCPTS;

    ps.writeConfig({ delivery: { hold: false, concurrency: 4 }, channels: { local: { maxConnections: 1 } } });
    ps.child!.kill('SIGHUP'); // release: reload with delivery.hold false
    // Kill once a fair part, but not all, has been delivered.
    const delivered = () => ps.output.split('"event":"delivered"').length - 1;
    await until('first deliveries', () => delivered() >= acknowledged / 6, 60_000);
    await ps.signal('SIGKILL');

    const before = copies(ps);
    const deliveredBefore = [...before.values()].reduce((a, b) => a + b, 0);
    const journal = replayJournal(readFileSync(join(ps.dir, 'data/spool/journal'), 'utf8')).states;
    const recorded = new Set<string>();
    ids.forEach((id, m) => {
      for (const l of journal.get(id)?.legs.values() ?? []) if (l.outcome === 'delivered') recorded.add(`crash-${m} ${l.addr.split('@')[0]}`);
    });
    // Messages finished before the kill have no journal records (their removal is the record).
    const finishedBefore = ids.filter((id) => !existsSync(join(ps.dir, 'data/spool/queue', id))).length;

    await ps.start();
    await until('queue drained', () => readdirSync(join(ps.dir, 'data/spool/queue')).length === 0, 120_000);
    const after = copies(ps);
    let lost = 0;
    let duplicated = 0;
    for (let m = 0; m < MESSAGES; m++) {
      for (let u = 0; u < RCPTS; u++) {
        const key = `crash-${m} u${u}`;
        const n = after.get(key) ?? 0;
        if (n === 0) lost++;
        if (n > 1) duplicated++;
        assert.ok(n <= 2, `${key}: ${n} copies`);
        if (recorded.has(key)) assert.equal(n, 1, `${key} was recorded before the kill and delivered again`);
        if (n === 2) assert.equal(before.get(key), 1, `${key}: a second copy only for a delivery cut short before its record`);
      }
    }
    t.diagnostic(`acknowledged ${acknowledged}; delivered before the kill ${deliveredBefore} (${recorded.size} recorded in the journal, ${finishedBefore} messages finished); after restart delivered ${acknowledged - lost}, duplicated ${duplicated}, lost ${lost}`);
    assert.ok(deliveredBefore > 0 && deliveredBefore < acknowledged, `the kill fell in the middle (${deliveredBefore} of ${acknowledged})`);
    assert.equal(lost, 0);
    assert.equal(await ps.signal('SIGTERM'), 0);
  } finally {
    ps.cleanup();
  }
});
