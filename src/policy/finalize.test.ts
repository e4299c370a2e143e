// finalize(): the one place every decision passes. It publishes each decision
// and mark exactly once, applies warn mode, and reports abuse only for enforced
// decisions the client caused - never for our own trouble (fault 'server').

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { drop, localFailure, reportsAbuse, reject } from '../core/decision.js';
import { Directory } from '../directory/store.js';
import { configWith, makeCtx, silentLog } from './hygiene-test-ctx.js';
import { finalize, finalizeMark, decisionCounts } from './finalize.js';
import { DecisionEvents, type DecisionEvent } from './decision-events.js';
import { AbuseEvents, type AbuseEvent } from './abuse.js';

const directory = Directory.open(':memory:');
after(() => directory.close());

function scope(warn: string[] = []) {
  const events = new DecisionEvents();
  const abuse = new AbuseEvents();
  const published: DecisionEvent[] = [];
  const reported: AbuseEvent[] = [];
  events.subscribe((e) => published.push(e));
  abuse.subscribe((e) => void reported.push(e));
  const { ctx } = makeCtx({ stage: 'rcpt', config: configWith({ policy: { warn } }), directory, from: '<s@client.test>', rcpt: '<x@example.test>', deps: { events, abuse, log: silentLog } });
  return { ctx, published, reported };
}

test('finalize publishes one DecisionEvent per decision, with the fields the admin API needs', () => {
  const { ctx, published } = scope();
  const d = finalize(reject('rcpt.localRecipient', 550, '5.1.1', 'User unknown', 'no mailbox', 'R7'), ctx);
  assert.equal(d?.code, 550);
  assert.equal(published.length, 1);
  const e = published[0];
  assert.deepEqual([e.session, e.client, e.listener, e.stage, e.check, e.feature, e.action, e.code, e.enhanced, e.fault, e.from, e.rcpt, e.warn], ['test', '203.0.113.9', 'mx', 'rcpt', 'rcpt.localRecipient', 'R7', 'reject', 550, '5.1.1', 'client', 's@client.test', 'x@example.test', undefined]);
});

test('finalize: abuse is reported for an enforced client-caused decision, never for our fault nor in warn mode', () => {
  const abusive = reportsAbuse(drop('auth.disconnectBadAuthLimit', 421, '4.7.0', 'bye', 'limit', 'R4'), 'bad-auth');
  let s = scope();
  finalize(abusive, s.ctx);
  assert.deepEqual(s.reported.map((e) => [e.kind, e.feature, e.ip, e.trusted]), [['bad-auth', 'R4', '203.0.113.9', false]]);
  s = scope();
  finalize({ ...abusive, fault: 'server' }, s.ctx);
  assert.deepEqual(s.reported, [], 'our own trouble never feeds H6');
  s = scope(['auth.disconnectBadAuthLimit']);
  assert.equal(finalize(abusive, s.ctx), undefined, 'warn mode: not enforced');
  assert.deepEqual(s.reported, []);
  assert.equal(s.published[0].warn, true);
});

test('finalize: a malformed decision becomes 451 4.3.0, our fault', () => {
  const { ctx, published } = scope();
  const d = finalize({ ...reject('rcpt.localRecipient', 550, '4.1.1', 'x'), fault: 'client' }, ctx);
  assert.deepEqual([d?.code, d?.enhanced, d?.fault], [451, '4.3.0', 'server']);
  assert.equal(published[0].fault, 'server');
});

test('finalize: a localFailure is logged and counted like any decision, with fault server', () => {
  const { ctx, published } = scope();
  const before = decisionCounts.get('data.spoolFreeSpace tempfail') ?? 0;
  finalize(localFailure('data.spoolFreeSpace', 452, '4.3.1', 'Insufficient system storage', 'full', 'P5'), { ...ctx, stage: 'data' });
  assert.equal(decisionCounts.get('data.spoolFreeSpace tempfail'), before + 1);
  assert.equal(published[0].fault, 'server');
});

test('finalize at connect: a 4xx refusal is sent as 421 (the connection closes), a 5xx as 554; enhanced code, fault and reason kept', () => {
  const { ctx, published } = scope();
  const at = { ...ctx, stage: 'connect' as const };
  const dns = finalize(localFailure('connect.dnsbl', 451, '4.7.1', 'Try again later', 'broken.test: ESERVFAIL', 'A6'), at);
  assert.deepEqual([dns?.code, dns?.enhanced, dns?.action, dns?.fault, dns?.reason], [421, '4.7.1', 'drop', 'server', 'broken.test: ESERVFAIL']);
  const refused = finalize(reject('connect.denyList', 550, '5.7.1', 'Refused'), at);
  assert.deepEqual([refused?.code, refused?.enhanced, refused?.action], [554, '5.7.1', 'reject']);
  assert.equal(finalize(drop('connect.maxConnections', 421, '4.7.0', 'Too many'), at)?.code, 421, 'already a greeting code');
  assert.deepEqual(published.map((e) => e.code), [421, 554, 421], 'logged and published as sent');
  assert.equal(finalize(localFailure('rcpt.localRecipient', 451, '4.3.0', 'x'), ctx)?.code, 451, 'other stages keep their codes');
});

test('finalizeMark publishes the mark once, with its score', () => {
  const { ctx, published } = scope();
  finalizeMark({ check: 'mail.ptr', feature: 'H2', score: 1.5, header: { name: 'X-Rampart-PTR', value: 'none' } }, { ...ctx, stage: 'mail' });
  assert.deepEqual(published.map((e) => [e.check, e.action, e.score, e.stage]), [['mail.ptr', 'mark', 1.5, 'mail']]);
});
