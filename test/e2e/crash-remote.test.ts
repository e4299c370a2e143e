// Q2 durable per-recipient state for REMOTE delivery: a real server process is
// killed with SIGKILL while it delivers multi-recipient messages over SMTP to a
// peer on loopback (the scripted peer, which records every recipient it took
// after the data), then restarted. Counted per (message, recipient): nothing
// acknowledged is lost; a recipient whose delivery the journal recorded before
// the kill is never sent again; only one the peer took but we had not yet
// recorded (the window between the peer's 250 and our journal record) may
// arrive twice; none arrives three times.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessServer } from '../helpers/process-server.js';
import { startPeer, type ScriptedPeer } from '../helpers/smtp-peer.js';
import { replayJournal } from '../../src/spool/journal-records.js';
import { mxTo, sendLan } from './remote-support.js';
import { until } from '../helpers/until.js';

const MESSAGES = 12;
const DOMAINS = 8;
const PER_DOMAIN = 5;

const rcptsOf = (): string[] => Array.from({ length: DOMAINS * PER_DOMAIN }, (_, i) => `u${i % PER_DOMAIN}@d${Math.floor(i / PER_DOMAIN)}.test`);

/** Copies the peer took, per "subject address". */
function taken(peer: ScriptedPeer): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of peer.sessions) {
    for (const m of s.messages) {
      const subject = /\r\nSubject: (crash-\d+)\r\n/.exec(m.data.toString('latin1'))![1];
      for (const r of m.rcpts) out.set(`${subject} ${r}`, (out.get(`${subject} ${r}`) ?? 0) + 1);
    }
  }
  return out;
}

test('Q2 SIGKILL during multi-recipient remote delivery, restart: each recipient once (at most twice in the window), none lost', { timeout: 180_000 }, async (t) => {
  // A slow peer (every reply 3 ms late) and two connections keep the run long enough to be cut in the middle.
  const peer = await startPeer({ delayMs: 3 });
  const cfg = (hold: boolean) => ({
    relay: { lanNetworks: ['127.0.0.1/32'] },
    delivery: { hold, concurrency: 4 },
    channels: { smtp: { port: peer.port, concurrency: 1, maxConnections: 2 } },
  });
  const ps = await ProcessServer.create(cfg(true));
  try {
    for (let d = 0; d < DOMAINS; d++) Object.assign(ps.dns.zone.records, mxTo(`d${d}.test`));
    await ps.start();
    const ids: string[] = [];
    for (let m = 0; m < MESSAGES; m++) {
      ids.push(await sendLan(ps.port, { from: 'pc@lan.test', to: rcptsOf(), data: `From: pc@lan.test\r\nSubject: crash-${m}\r\n\r\nmessage ${m}` }));
    }
    const acknowledged = MESSAGES * DOMAINS * PER_DOMAIN;

    ps.writeConfig(cfg(false));
    ps.child!.kill('SIGHUP'); // release: reload with delivery.hold false
    const count = () => [...taken(peer).values()].reduce((a, b) => a + b, 0);
    await until('first deliveries', () => count() >= acknowledged / 6, 60_000);
    await ps.signal('SIGKILL');

    const before = taken(peer);
    const deliveredBefore = [...before.values()].reduce((a, b) => a + b, 0);
    const journal = replayJournal(readFileSync(join(ps.dir, 'data/spool/journal'), 'utf8')).states;
    const recorded = new Set<string>();
    ids.forEach((id, m) => {
      for (const l of journal.get(id)?.legs.values() ?? []) if (l.outcome === 'delivered') recorded.add(`crash-${m} ${l.addr}`);
    });
    const finishedBefore = ids.filter((id) => !existsSync(join(ps.dir, 'data/spool/queue', id))).length;

    await ps.start();
    await until('queue drained', () => readdirSync(join(ps.dir, 'data/spool/queue')).length === 0, 120_000);
    const after = taken(peer);
    let lost = 0;
    let duplicated = 0;
    let delivered = 0;
    ids.forEach((_, m) => {
      for (const r of rcptsOf()) {
        const key = `crash-${m} ${r}`;
        const n = after.get(key) ?? 0;
        if (n === 0) lost++;
        else delivered++;
        if (n > 1) duplicated++;
        assert.ok(n <= 2, `${key}: ${n} copies`);
        if (recorded.has(key)) assert.equal(n, 1, `${key} was recorded before the kill and sent again`);
        if (n === 2) assert.equal(before.get(key), 1, `${key}: a second copy only for a delivery the peer took before the kill`);
      }
    });
    t.diagnostic(
      `acknowledged ${acknowledged}; taken by the peer before the kill ${deliveredBefore} (${recorded.size} recorded in the journal, ${finishedBefore} messages finished); after restart delivered ${delivered}, duplicated ${duplicated}, lost ${lost}`,
    );
    assert.ok(deliveredBefore > 0 && deliveredBefore < acknowledged, `the kill fell in the middle (${deliveredBefore} of ${acknowledged})`);
    assert.equal(lost, 0);
    assert.equal(delivered, acknowledged);
    assert.equal(await ps.signal('SIGTERM'), 0);
  } finally {
    ps.cleanup();
    await peer.stop();
  }
});
