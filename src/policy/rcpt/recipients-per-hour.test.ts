// H9 recipients per hour, with a fake clock and a real (embedded, in-memory)
// store: what counts, under which key, per-user overrides, the sliding hour, and
// a lost store answering 451 4.3.0 through the runner.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { recipientsPerHour, recipientRateSubject, recipientWindow } from './recipients-per-hour.js';
import { Directory } from '../../directory/store.js';
import { EmbeddedStore } from '../../state/embedded-store.js';
import type { SharedStore } from '../../state/store.js';
import { PolicyRunner } from '../runner.js';
import type { Decision } from '../../core/decision.js';
import type { Check, Stage } from '../types.js';
import { builtinChecks } from '../checks.js';
import { configWith, makeCtx, type CtxOptions } from '../hygiene-test-ctx.js';

const directory = Directory.open(':memory:');
before(() => {
  directory.addDomain('local.example');
  directory.limits.set('vip@local.example', { recipientsPerHour: 5 });
  directory.limits.set('partner.example', { recipientsPerHour: 4 });
});
after(() => directory.close());

function clock(start = Date.UTC(2030, 0, 1, 12, 0, 0)) {
  let t = start;
  const now = () => t;
  return { now, advance: (ms: number) => (t += ms) };
}

const limit3 = configWith({ limits: { recipientsPerHour: 3 } });

/** Runs the check for one recipient; returns the decision (undefined = accepted). */
async function rcpt(store: SharedStore, now: () => number, o: Partial<CtxOptions> & { rcpt: string }, config = limit3): Promise<Decision | undefined> {
  const { ctx } = makeCtx({ stage: 'rcpt', config, directory, deps: { store, now }, from: '<sender@client.example>', ip: '192.0.2.44', ...o });
  return (await recipientsPerHour.run(ctx)) as Decision | undefined;
}

function assert450(v: Decision | undefined) {
  assert.ok(v, 'expected 450 4.7.1');
  assert.equal(v.action, 'tempfail');
  assert.equal(v.code, 450);
  assert.equal(v.enhanced, '4.7.1');
  assert.equal(v.check, 'rcpt.recipientsPerHour');
  assert.equal(v.feature, 'H9');
}

test('H9 what counts, and under which key', () => {
  const subject = (o: Partial<CtxOptions> & { rcpt: string }) => recipientRateSubject(makeCtx({ stage: 'rcpt', config: limit3, directory, from: '<s@client.example>', ip: '192.0.2.44', ...o }).ctx);
  assert.deepEqual(subject({ rcpt: '<r@remote.example>' }), { key: 'sender:s@client.example|192.0.2.44', subject: 's@client.example' }, 'relayed: sender + IP');
  assert.equal(subject({ rcpt: '<r@local.example>' }), undefined, 'inbound to a local domain is not counted');
  assert.equal(subject({ rcpt: '<postmaster>' }), undefined, 'bare postmaster is local');
  assert.equal(subject({ rcpt: '<r@remote.example>', from: '<>' }), undefined, 'null sender is not counted');
  assert.deepEqual(subject({ rcpt: '<r@local.example>', authUser: 'Alice@Local.Example' }), { key: 'user:alice@local.example', subject: 'Alice@Local.Example' }, 'authenticated: every recipient, per user');
  assert.deepEqual(subject({ rcpt: '<r@[192.0.2.9]>' })?.key, 'sender:s@client.example|192.0.2.44', 'a domain literal is not local');
});

test('H9 past the limit: 450 4.7.1; other senders and IPs have their own window', async () => {
  const store = new EmbeddedStore(':memory:');
  const c = clock();
  for (let i = 0; i < 3; i++) assert.equal(await rcpt(store, c.now, { rcpt: `<r${i}@remote.example>` }), undefined);
  assert450(await rcpt(store, c.now, { rcpt: '<r3@remote.example>' }));
  assert450(await rcpt(store, c.now, { rcpt: '<r4@remote.example>' }));
  assert.equal(await rcpt(store, c.now, { rcpt: '<r5@remote.example>', ip: '192.0.2.45' }), undefined, 'same sender, other IP');
  assert.equal(await rcpt(store, c.now, { rcpt: '<r6@remote.example>', from: '<other@client.example>' }), undefined, 'other sender, same IP');
  assert.equal(await recipientWindow(store, c.now).total('sender:sender@client.example|192.0.2.44'), 3, 'refused recipients are not counted');
  await store.close();
});

test('H9 local inbound mail and the null sender never use the quota', async () => {
  const store = new EmbeddedStore(':memory:');
  const c = clock();
  for (let i = 0; i < 10; i++) assert.equal(await rcpt(store, c.now, { rcpt: `<r${i}@local.example>` }), undefined);
  for (let i = 0; i < 10; i++) assert.equal(await rcpt(store, c.now, { rcpt: `<r${i}@remote.example>`, from: '<>' }), undefined);
  assert.equal(await recipientWindow(store, c.now).total('sender:sender@client.example|192.0.2.44'), 0);
  await store.close();
});

test('H9 authenticated users: every recipient counts, per user, from any IP', async () => {
  const store = new EmbeddedStore(':memory:');
  const c = clock();
  const alice = { authUser: 'alice@local.example', from: '<alice@local.example>' };
  assert.equal(await rcpt(store, c.now, { ...alice, rcpt: '<bob@local.example>' }), undefined);
  assert.equal(await rcpt(store, c.now, { ...alice, rcpt: '<x@remote.example>', ip: '192.0.2.99' }), undefined);
  assert.equal(await rcpt(store, c.now, { ...alice, rcpt: '<y@remote.example>', from: '<alias@local.example>' }), undefined);
  assert450(await rcpt(store, c.now, { ...alice, rcpt: '<z@remote.example>' }));
  await store.close();
});

test('H9 per-user and per-domain overrides; most specific wins; works with the global limit off', async () => {
  const store = new EmbeddedStore(':memory:');
  const c = clock();
  const off = configWith();
  // vip has 5 although the global limit is 3
  for (let i = 0; i < 5; i++) assert.equal(await rcpt(store, c.now, { authUser: 'vip@local.example', rcpt: `<r${i}@remote.example>` }), undefined);
  assert450(await rcpt(store, c.now, { authUser: 'vip@local.example', rcpt: '<r5@remote.example>' }));
  // a sender domain override applies even with no global limit
  for (let i = 0; i < 4; i++) assert.equal(await rcpt(store, c.now, { from: '<a@partner.example>', rcpt: `<r${i}@remote.example>` }, off), undefined);
  assert450(await rcpt(store, c.now, { from: '<a@partner.example>', rcpt: '<r4@remote.example>' }, off));
  // no limit anywhere: nothing is counted at all
  for (let i = 0; i < 10; i++) assert.equal(await rcpt(store, c.now, { rcpt: `<r${i}@remote.example>` }, off), undefined);
  assert.equal(await recipientWindow(store, c.now).total('sender:sender@client.example|192.0.2.44'), 0);
  await store.close();
});

test('H9 a recipient repeated in the same transaction is counted once', async () => {
  const store = new EmbeddedStore(':memory:');
  const c = clock();
  for (let i = 0; i < 3; i++) assert.equal(await rcpt(store, c.now, { rcpt: `<r${i}@remote.example>` }), undefined);
  assert.equal(await rcpt(store, c.now, { rcpt: '<R1@remote.example>', rcpts: ['<r1@remote.example>'] }), undefined);
  await store.close();
});

test('H9 the hour slides: capacity returns minute by minute', async () => {
  const store = new EmbeddedStore(':memory:');
  const c = clock();
  assert.equal(await rcpt(store, c.now, { rcpt: '<a@remote.example>' }), undefined); // 12:00
  c.advance(30 * 60_000);
  assert.equal(await rcpt(store, c.now, { rcpt: '<b@remote.example>' }), undefined); // 12:30
  assert.equal(await rcpt(store, c.now, { rcpt: '<c@remote.example>' }), undefined);
  assert450(await rcpt(store, c.now, { rcpt: '<d@remote.example>' }));
  c.advance(29 * 60_000); // 12:59: the 12:00 recipient is still inside the hour
  assert450(await rcpt(store, c.now, { rcpt: '<d@remote.example>' }));
  c.advance(60_000); // 13:00: it has left the window
  assert.equal(await rcpt(store, c.now, { rcpt: '<d@remote.example>' }), undefined);
  assert450(await rcpt(store, c.now, { rcpt: '<e@remote.example>' }));
  c.advance(30 * 60_000); // 13:30: the two from 12:30 have left
  assert.equal(await rcpt(store, c.now, { rcpt: '<e@remote.example>' }), undefined);
  assert.equal(await rcpt(store, c.now, { rcpt: '<f@remote.example>' }), undefined);
  assert450(await rcpt(store, c.now, { rcpt: '<g@remote.example>' }));
  await store.close();
});

test('H9 a lost store answers 451 4.3.0 through the runner, never lets the recipient through', async () => {
  const store = new EmbeddedStore(':memory:');
  await store.close(); // every call now throws
  const stages = Object.fromEntries(Object.keys(builtinChecks).map((k) => [k, k === 'rcpt' ? [recipientsPerHour] : []])) as unknown as Record<Stage, Check[]>;
  const runner = new PolicyRunner(stages);
  const { ctx } = makeCtx({ stage: 'rcpt', config: limit3, directory, deps: { store }, from: '<s@client.example>', rcpt: '<r@remote.example>' });
  const d = await runner.run(ctx);
  assert.ok(d);
  assert.equal(d.code, 451);
  assert.equal(d.enhanced, '4.3.0');
  assert.equal(d.check, 'rcpt.recipientsPerHour');
});
