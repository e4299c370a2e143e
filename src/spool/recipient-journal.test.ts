// The recipient journal: replay rules (latest record wins, a final leg is never
// reopened, notices mark legs, torn lines skipped), durability of record(),
// compaction at open and while running, and reads by another process meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecipientJournal, readJournal } from './recipient-journal.js';
import { replayJournal, type LegRecord } from './journal-records.js';

const leg = (id: string, outcome: LegRecord['outcome'], over: Partial<LegRecord> = {}): LegRecord => ({ t: 'leg', id, rcpt: 0, addr: 'a@x.test', ch: 'smtp', outcome, status: outcome === 'deferred' ? '4.4.1' : '2.0.0', diag: outcome, at: 1, ...over });

test('Q2 replay: the latest record wins, a final leg never becomes pending again, notices mark legs, torn lines are skipped', () => {
  const lines = [
    leg('A', 'deferred', { tries: 1, next: 10 }),
    leg('A', 'deferred', { tries: 2, next: 20 }),
    leg('A', 'delivered'),
    leg('A', 'deferred', { tries: 3, next: 30 }), // late and stale: ignored
    { t: 'notice', id: 'A', kind: 'success', legs: [[0, 'a@x.test']], dsn: 'D1', at: 2 },
  ].map((r) => JSON.stringify(r));
  const { states, skipped } = replayJournal(lines.join('\n') + '\n{"t":"leg","id":"B","rc');
  assert.equal(skipped, 1);
  const a = states.get('A')!.legs.get('0 a@x.test')!;
  assert.equal(a.outcome, 'delivered');
  assert.equal(a.tries, 2);
  assert.deepEqual([...a.notified], ['success']);
  assert.equal(states.has('B'), false);
});

test('Q2 record() is on disk when it resolves; open() keeps live messages only; a growing file is compacted while running', async () => {
  const root = mkdtempSync(join(tmpdir(), 'rampart-journal-'));
  try {
    const { journal: j } = await RecipientJournal.open(root, [], { compactMinBytes: 2000 });
    await Promise.all([j.record([leg('A', 'deferred', { tries: 1, next: 5 })]), j.record([leg('B', 'deferred', { tries: 1, next: 5 })])]);
    assert.deepEqual([...(await readJournal(root)).keys()].sort(), ['A', 'B'], 'another reader sees both');
    for (let i = 2; i < 40; i++) await j.record([leg('A', 'deferred', { tries: i, next: i })]);
    assert.ok(readFileSync(join(root, 'journal'), 'utf8').length < 2000, 'compacted: only the latest record of each leg stays');
    j.forget('A');
    for (let i = 2; i < 40; i++) await j.record([leg('B', 'deferred', { tries: i, next: i })]);
    await j.record([leg('B', 'delivered')]);
    assert.ok(!readFileSync(join(root, 'journal'), 'utf8').includes('"id":"A"'), 'a forgotten message leaves at the next compaction');
    await j.close();
    const { journal: k } = await RecipientJournal.open(root, ['A']);
    assert.equal(k.get('B'), undefined, 'B is not queued any more');
    assert.equal(readFileSync(join(root, 'journal'), 'utf8'), '');
    await k.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
