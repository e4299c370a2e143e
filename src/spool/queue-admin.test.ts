import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from './spool.js';
import { purgeQueue, scanQueue, showMessage } from './queue-admin.js';
import { compileFilter } from './queue-filter.js';
import { clearHold, isHeld, readHold, setHold } from './hold.js';
import type { SpoolEnvelope } from '../core/submission.js';

async function spoolWith(messages: Array<{ from: string; rcpts: string[]; ip?: string; at?: number }>) {
  const root = mkdtempSync(join(tmpdir(), 'rampart-qadmin-'));
  const spool = new Spool(root);
  await spool.open();
  const ids: string[] = [];
  for (const [i, m] of messages.entries()) {
    const env: SpoolEnvelope = {
      mailFrom: m.from,
      rcpts: m.rcpts.map((address) => ({ address })),
      params: { smtputf8: false },
      client: { ip: m.ip ?? '192.0.2.1', helo: 'c.example', listener: 'mx' },
      sessionId: `s${i}`,
      receivedAt: m.at ?? 1_700_000_000_000 + i,
    };
    const sink = await spool.begin(env);
    await sink.write(Buffer.from(`Subject: m${i}\r\nFrom: <${m.from}>\r\n\r\nbody ${i}\r\n`));
    await sink.commit();
    ids.push(sink.id);
  }
  return { root, spool, ids, done: () => rmSync(root, { recursive: true, force: true }) };
}

test('R10 scanQueue lists envelopes oldest first and applies the filter', async () => {
  const s = await spoolWith([
    { from: 'spam@evil.example', rcpts: ['v1@victim.example', 'v2@victim.example'], ip: '198.51.100.9' },
    { from: 'friend@good.example', rcpts: ['alice@example.test'] },
    { from: '', rcpts: ['bob@example.test'] },
  ]);
  try {
    const all = await scanQueue(s.root);
    assert.equal(all.total, 3);
    assert.deepEqual(all.entries.map((e) => e.id), s.ids);
    assert.deepEqual(all.entries[0], {
      id: s.ids[0],
      mailFrom: 'spam@evil.example',
      rcpts: ['v1@victim.example', 'v2@victim.example'],
      clientIp: '198.51.100.9',
      helo: 'c.example',
      authUser: undefined,
      listener: 'mx',
      receivedAt: 1_700_000_000_000,
      size: 'Subject: m0\r\nFrom: <spam@evil.example>\r\n\r\nbody 0\r\n'.length,
    });
    const evil = await scanQueue(s.root, compileFilter({ sender: '*@evil.example' }));
    assert.deepEqual(evil.entries.map((e) => e.id), [s.ids[0]]);
    assert.equal(evil.total, 3);
    assert.deepEqual((await scanQueue(s.root, compileFilter({ sender: '<>' }))).entries.map((e) => e.id), [s.ids[2]]);
  } finally {
    s.done();
  }
});

test('R10 scanQueue pages: ids after the cursor, up to the limit of matches, and whether more follow', async () => {
  const s = await spoolWith([
    { from: 'a@x.example', rcpts: ['r@example.test'] },
    { from: 'b@y.example', rcpts: ['r@example.test'] },
    { from: 'c@x.example', rcpts: ['r@example.test'] },
    { from: 'd@x.example', rcpts: ['r@example.test'] },
  ]);
  try {
    const x = compileFilter({ sender: '*@x.example' });
    const p1 = await scanQueue(s.root, x, 'queued', { limit: 2 });
    assert.deepEqual(p1.entries.map((e) => e.id), [s.ids[0], s.ids[2]]);
    assert.equal(p1.more, true);
    const p2 = await scanQueue(s.root, x, 'queued', { after: s.ids[2], limit: 2 });
    assert.deepEqual(p2.entries.map((e) => e.id), [s.ids[3]]);
    assert.equal(p2.more, false);
    assert.equal(p2.total, 4);
  } finally {
    s.done();
  }
});

test('R10 an unreadable queue file is reported, never matched; missing queue folder is empty', async () => {
  const s = await spoolWith([{ from: 'a@x.example', rcpts: ['alice@example.test'] }]);
  try {
    writeFileSync(join(s.root, 'queue', 'ZZZZZZZZZZZZZAAAAAA'), 'garbage');
    writeFileSync(join(s.root, 'queue', 'not-a-queue-file'), 'ignored');
    const r = await scanQueue(s.root);
    assert.equal(r.entries.length, 1);
    assert.deepEqual(r.unreadable.map((u) => u.id), ['ZZZZZZZZZZZZZAAAAAA']);
    const empty = mkdtempSync(join(tmpdir(), 'rampart-qadmin-empty-'));
    assert.deepEqual(await scanQueue(empty), { entries: [], unreadable: [], total: 0, more: false });
    rmSync(empty, { recursive: true });
  } finally {
    s.done();
  }
});

test('R10 purgeQueue: dry run removes nothing; purge moves matches to spool/purged/; --delete unlinks', async () => {
  const s = await spoolWith([
    { from: 'spam@evil.example', rcpts: ['v@victim.example'] },
    { from: 'friend@good.example', rcpts: ['alice@example.test'] },
    { from: 'spam2@evil.example', rcpts: ['v@victim.example'] },
    { from: 'other@evil.example', rcpts: ['w@victim.example'] },
  ]);
  try {
    const f = compileFilter({ sender: 'spam*@evil.example' });
    const dry = await purgeQueue(s.root, f, { dryRun: true });
    assert.deepEqual(dry.purged.map((e) => e.id), [s.ids[0], s.ids[2]]);
    assert.equal(readdirSync(join(s.root, 'queue')).length, 4);
    assert.equal(existsSync(join(s.root, 'purged')), false);

    const real = await purgeQueue(s.root, f);
    assert.deepEqual(real.purged.map((e) => e.id), [s.ids[0], s.ids[2]]);
    assert.equal(real.purgedDir, join(s.root, 'purged'));
    assert.deepEqual(readdirSync(join(s.root, 'queue')).sort(), [s.ids[1], s.ids[3]]);
    assert.deepEqual(readdirSync(join(s.root, 'purged')).sort(), [s.ids[0], s.ids[2]]);

    const shown = await showMessage(s.root, s.ids[0].toLowerCase());
    assert.equal(shown?.state, 'purged', 'show finds purged messages too');

    const del = await purgeQueue(s.root, compileFilter({ rcptDomain: 'victim.example' }), { del: true });
    assert.deepEqual(del.purged.map((e) => e.id), [s.ids[3]]);
    assert.equal(del.purgedDir, undefined);
    assert.deepEqual(readdirSync(join(s.root, 'queue')), [s.ids[1]]);
    assert.equal(existsSync(join(s.root, 'purged', s.ids[3])), false);
  } finally {
    s.done();
  }
});

test('R10 purge tolerates a file delivered (removed) between scan and rename', async () => {
  const s = await spoolWith([{ from: 'spam@evil.example', rcpts: ['v@victim.example'] }]);
  try {
    // Simulate the race: a filter that removes the file while it is being matched.
    const f = compileFilter({ sender: '*' });
    const racing = (e: SpoolEnvelope) => {
      const ok = f(e);
      rmSync(join(s.root, 'queue', s.ids[0]), { force: true });
      return ok;
    };
    const r = await purgeQueue(s.root, racing);
    assert.deepEqual(r.purged, []);
    assert.deepEqual(r.vanished, [s.ids[0]]);
  } finally {
    s.done();
  }
});

test('R10/Q6 showMessage: envelope and header section, from queue/ or failed/; bad id throws', async () => {
  const s = await spoolWith([{ from: 'a@x.example', rcpts: ['alice@example.test', 'bob@example.test'] }, { from: 'b@x.example', rcpts: ['bob@example.test'] }]);
  try {
    const m = await showMessage(s.root, s.ids[0]);
    assert.ok(m);
    assert.equal(m.state, 'queued');
    assert.equal(m.envelope.mailFrom, 'a@x.example');
    assert.deepEqual(m.entry.rcpts, ['alice@example.test', 'bob@example.test']);
    assert.equal(m.headers, 'Subject: m0\r\nFrom: <a@x.example>\r\n');
    mkdirSync(join(s.root, 'failed'));
    renameSync(join(s.root, 'queue', s.ids[1]), join(s.root, 'failed', s.ids[1]));
    assert.equal((await showMessage(s.root, s.ids[1]))?.state, 'failed');
    assert.equal(await showMessage(s.root, '0000000000000000000'.slice(0, 13) + 'ABCDEF'), undefined);
    await assert.rejects(showMessage(s.root, '../queue/x'), /not a queue id/);
  } finally {
    s.done();
  }
});

test('R10 hold flag file: set, read, renew, clear; a hand-made file holds too', () => {
  const root = mkdtempSync(join(tmpdir(), 'rampart-hold-'));
  try {
    assert.equal(isHeld(root), false);
    assert.equal(readHold(root), undefined);
    assert.deepEqual(setHold(root, 'open relay clean-up', 1234), { since: 1234, reason: 'open relay clean-up' });
    assert.equal(isHeld(root), true);
    assert.deepEqual(readHold(root), { since: 1234, reason: 'open relay clean-up' });
    assert.equal(clearHold(root), true);
    assert.equal(clearHold(root), false);
    writeFileSync(join(root, 'HOLD'), '');
    assert.deepEqual(readHold(root), { since: 0 });
    assert.deepEqual(readdirSync(root), ['HOLD'], 'no temporary files left behind');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
