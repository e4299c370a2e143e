// The ring buffer of recent decisions stays bounded in count and age, searches
// newest first with paging, and counts per minute over the last hour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentDecisions } from './recent-decisions.js';
import { compileDecisionFilter } from './decision-filter.js';
import type { DecisionEvent } from '../policy/decision-events.js';

function ev(time: number, over: Partial<DecisionEvent> = {}): DecisionEvent {
  return { time, session: 's1', client: '192.0.2.1', stage: 'rcpt', check: 'rcpt.relay', action: 'reject', code: 554, enhanced: '5.7.1', ...over };
}

test('bounded in count: the oldest go first; sequence numbers keep increasing', () => {
  let now = 1_000_000;
  const r = new RecentDecisions(5, 3_600_000, () => now);
  for (let i = 0; i < 12; i++) r.add(ev(now + i, { session: `s${i}` }));
  now += 20;
  const all = r.search(() => true, 100);
  assert.deepEqual(all.items.map((e) => e.session), ['s11', 's10', 's9', 's8', 's7']);
  assert.equal(all.more, false);
  assert.equal(r.lastSeq, 12);
});

test('bounded in age: older than maxAgeMs is never returned', () => {
  let now = 10_000_000;
  const r = new RecentDecisions(100, 60_000, () => now);
  r.add(ev(now, { session: 'old' }));
  now += 30_000;
  r.add(ev(now, { session: 'new' }));
  now += 45_000;
  assert.deepEqual(r.search(() => true, 10).items.map((e) => e.session), ['new']);
});

test('search: filter, limit, paging backwards by sequence', () => {
  const now = 5_000_000;
  const r = new RecentDecisions(100, 3_600_000, () => now);
  for (let i = 0; i < 10; i++) r.add(ev(now, { client: i % 2 ? '192.0.2.1' : '198.51.100.1', from: `u${i}@x.example` }));
  const f = compileDecisionFilter({ ip: '192.0.2.0/24' });
  const p1 = r.search(f, 3);
  assert.deepEqual(p1.items.map((e) => e.from), ['u9@x.example', 'u7@x.example', 'u5@x.example']);
  assert.equal(p1.more, true);
  const p2 = r.search(f, 3, p1.items[2].seq);
  assert.deepEqual(p2.items.map((e) => e.from), ['u3@x.example', 'u1@x.example']);
  assert.equal(p2.more, false);
  assert.equal(r.search(compileDecisionFilter({ sender: 'U3@X.EXAMPLE' }), 10).items.length, 1);
  assert.equal(r.search(compileDecisionFilter({ sender: '<>' }), 10).items.length, 0);
});

test('per minute: 60 minutes, oldest first; warn counted apart from the action; stale slots read zero', () => {
  let now = 60_000 * 1000 + 30_000;
  const r = new RecentDecisions(100, 3_600_000, () => now);
  r.add(ev(now));
  r.add(ev(now, { warn: true }));
  r.add(ev(now - 60_000, { action: 'accept' }));
  let pm = r.perMinute();
  assert.equal(pm.length, 60);
  assert.deepEqual(pm[59].counts, { accept: 0, tempfail: 0, reject: 1, drop: 0, mark: 0, warn: 1 });
  assert.equal(pm[58].counts.accept, 1);
  now += 60 * 60_000; // an hour later: the same slots, other minutes
  pm = r.perMinute();
  assert.equal(pm.reduce((n, m) => n + Object.values(m.counts).reduce((a, b) => a + b, 0), 0), 0);
});
