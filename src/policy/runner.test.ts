import { testDeps } from './test-deps.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { PolicyRunner } from './runner.js';
import { decisionCounts } from './finalize.js';
import { builtinChecks } from './checks.js';
import { registerCheck } from './registry.js';
import type { Check, CheckContext, Stage } from './types.js';
import { accept, reject, tempfail, drop, type Decision, type Verdict } from '../core/decision.js';
import { validateConfig } from '../config/load.js';
import { embeddedDefault } from '../config/embedded-default.js';
import { Directory } from '../directory/store.js';
import { createLogger } from '../log/logger.js';
import { parseMailbox, type Address } from '../core/address.js';

const directory = Directory.open(':memory:');

// The fake checks named in policy.warn below, registered through the plugin API (config validation knows only registered names).
registerCheck({ name: 'rcpt.warned', stage: 'rcpt', feature: 'R7', config: ['policy.warn'], kind: 'check', summary: 'test check' });
after(() => directory.close());

/** A pino logger writing JSON lines into an array. */
function memoryLog(): { log: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: createLogger('info', sink), lines };
}

function context(stage: Stage, opts: { warn?: string[]; rcpt?: string } = {}) {
  const config = validateConfig({ ...embeddedDefault(), policy: { warn: opts.warn ?? [] } }, 'test', '/tmp');
  const { log, lines } = memoryLog();
  const rcpt = opts.rcpt ? (parseMailbox(opts.rcpt, false) as Address) : undefined;
  const ctx: CheckContext = {
    stage,
    config,
    session: {
      id: 'sess1',
      listener: config.listeners[0],
      remoteAddress: '192.0.2.7',
      remotePort: 40000,
      localAddress: '127.0.0.1',
      localPort: 2525,
      esmtp: true,
      helo: 'client.example',
    },
    envelope: { mailFrom: parseMailbox('sender@example.org', false) as Address, mailParams: { smtputf8: false }, rcpts: [] },
    rcpt,
    deps: testDeps(directory, log),
  };
  return { ctx, lines };
}

const stages = (stage: Stage, checks: Check[]): Record<Stage, Check[]> => {
  const all: Record<Stage, Check[]> = { connect: [], helo: [], auth: [], mail: [], rcpt: [], data: [], eod: [] };
  all[stage] = checks;
  return all;
};

/** A fake check that records its calls. */
function fake(name: string, feature: string, verdict: (() => Verdict | Promise<Verdict>) | Verdict, calls: string[]): Check {
  return {
    name,
    feature,
    run() {
      calls.push(name);
      return typeof verdict === 'function' ? verdict() : verdict;
    },
  };
}

const decisions = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.event === 'decision');

test('DESIGN: no checks, or every check passing (undefined), ends the stage with no decision', async () => {
  const calls: string[] = [];
  const runner = new PolicyRunner(stages('mail', [fake('mail.a', 'H1', undefined, calls), fake('mail.b', 'H1', async () => undefined, calls)]));
  const { ctx, lines } = context('mail');
  assert.equal(await runner.run(ctx), undefined);
  assert.deepEqual(calls, ['mail.a', 'mail.b']);
  assert.equal(decisions(lines).length, 0);
  const { ctx: other } = context('helo');
  assert.equal(await runner.run(other), undefined, 'a stage without checks');
});

test('DESIGN: checks run in their fixed order and the first verdict wins', async () => {
  const calls: string[] = [];
  const first = reject('rcpt.first', 550, '5.1.1', 'User unknown', 'detail', 'R7');
  const runner = new PolicyRunner(
    stages('rcpt', [
      fake('rcpt.pass', 'R1', undefined, calls),
      fake('rcpt.first', 'R7', async () => first, calls),
      fake('rcpt.second', 'H7', tempfail('rcpt.second', 452, '4.5.3', 'Too many'), calls),
    ]),
  );
  const { ctx, lines } = context('rcpt', { rcpt: 'u@example.com' });
  const d = await runner.run(ctx);
  assert.ok(d);
  assert.equal(d.check, 'rcpt.first');
  assert.equal(d.code, 550);
  assert.equal(d.enhanced, '5.1.1');
  assert.equal(d.action, 'reject');
  assert.deepEqual(calls, ['rcpt.pass', 'rcpt.first'], 'later checks do not run');
  const logged = decisions(lines);
  assert.equal(logged.length, 1, 'one log line per decision');
  assert.equal(logged[0].stage, 'rcpt');
  assert.equal(logged[0].check, 'rcpt.first');
  assert.equal(logged[0].feature, 'R7');
  assert.equal(logged[0].code, 550);
  assert.equal(logged[0].enhanced, '5.1.1');
  assert.equal(logged[0].action, 'reject');
  assert.equal(logged[0].reason, 'detail');
  assert.equal(logged[0].session, 'sess1');
  assert.equal(logged[0].client, '192.0.2.7');
  assert.equal(logged[0].rcpt, 'u@example.com');
  assert.equal(logged[0].from, 'sender@example.org');
  assert.equal(logged[0].warn, undefined);
});

test('DESIGN: an accept verdict also ends the stage', async () => {
  const calls: string[] = [];
  const runner = new PolicyRunner(stages('connect', [fake('connect.allow', 'R2', accept('connect.allow', 250, '2.0.0', 'ok'), calls), fake('connect.deny', 'R2', reject('connect.deny', 554, '5.7.1', 'no'), calls)]));
  const { ctx } = context('connect');
  const d = await runner.run(ctx);
  assert.equal(d?.action, 'accept');
  assert.deepEqual(calls, ['connect.allow']);
});

test('DESIGN: the log line names the check feature when the verdict does not', async () => {
  // reject() without a feature argument leaves `feature: undefined` in the object.
  const runner = new PolicyRunner(stages('mail', [fake('mail.x', 'H1', reject('mail.x', 550, '5.1.8', 'Sender domain unknown'), [])]));
  const { ctx, lines } = context('mail');
  const d = await runner.run(ctx);
  assert.equal(d?.feature, 'H1');
  assert.equal(decisions(lines)[0].feature, 'H1');
});

const failures: Array<[string, () => Verdict | Promise<Verdict>, RegExp]> = [
  ['a check that throws synchronously', () => { throw new Error('boom sync'); }, /boom sync/],
  ['a check that rejects', async () => { throw new Error('boom async'); }, /boom async/],
  ['a check slower than the runner timeout', () => new Promise<Verdict>(() => {}), /timed out after 50 ms/],
  ['a check that answers after the timeout', () => new Promise<Verdict>((res) => setTimeout(() => res(undefined), 150)), /timed out after 50 ms/],
];

for (const [name, run, reason] of failures) {
  test(`DESIGN: ${name} answers 451 4.3.0 naming itself, and later checks do not run`, async () => {
    const calls: string[] = [];
    const runner = new PolicyRunner(stages('mail', [fake('mail.broken', 'H1', run, calls), fake('mail.after', 'H1', undefined, calls)]), 50);
    const { ctx, lines } = context('mail');
    const started = Date.now();
    const d = await runner.run(ctx);
    assert.ok(Date.now() - started < 1000, 'never hangs the session');
    assert.ok(d);
    assert.equal(d.action, 'tempfail');
    assert.equal(d.code, 451);
    assert.equal(d.enhanced, '4.3.0');
    assert.equal(d.check, 'mail.broken');
    assert.equal(d.feature, 'H1');
    assert.match(d.reason ?? '', reason);
    assert.ok(!reason.test(d.text), 'the client text reveals no detail');
    assert.deepEqual(calls, ['mail.broken']);
    const errors = lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].check, 'mail.broken');
    const logged = decisions(lines);
    assert.equal(logged.length, 1);
    assert.equal(logged[0].check, 'mail.broken');
    assert.equal(logged[0].code, 451);
    assert.equal(logged[0].enhanced, '4.3.0');
    assert.equal(logged[0].stage, 'mail');
  });
}

const malformed: Array<[string, Decision]> = [
  ['reject with 250', { action: 'reject', code: 250, enhanced: '2.0.0', text: 'x', check: 'data.bad', fault: 'client' }],
  ['accept with 550', { action: 'accept', code: 550, enhanced: '5.0.0', text: 'x', check: 'data.bad', fault: 'client' }],
  ['tempfail with 550', { action: 'tempfail', code: 550, enhanced: '5.0.0', text: 'x', check: 'data.bad', fault: 'client' }],
  ['drop with 250', { action: 'drop', code: 250, enhanced: '2.0.0', text: 'x', check: 'data.bad', fault: 'client' }],
  ['class mismatch', { action: 'reject', code: 550, enhanced: '4.1.1', text: 'x', check: 'data.bad', fault: 'client' }],
  ['malformed enhanced', { action: 'reject', code: 550, enhanced: '5.1', text: 'x', check: 'data.bad', fault: 'client' }],
  ['code out of range', { action: 'reject', code: 700, enhanced: '5.0.0', text: 'x', check: 'data.bad', fault: 'client' }],
];

for (const [name, verdict] of malformed) {
  test(`DESIGN: a malformed decision (${name}) becomes 451 4.3.0`, async () => {
    const runner = new PolicyRunner(stages('data', [fake('data.bad', 'S1', verdict, [])]));
    const { ctx, lines } = context('data');
    const d = await runner.run(ctx);
    assert.ok(d);
    assert.equal(d.action, 'tempfail');
    assert.equal(d.code, 451);
    assert.equal(d.enhanced, '4.3.0');
    assert.equal(d.check, 'data.bad');
    assert.match(d.reason ?? '', /malformed decision/);
    assert.equal(lines.filter((l) => l.level === 'error' && l.check === 'data.bad').length, 1);
    const logged = decisions(lines);
    assert.equal(logged.length, 1);
    assert.equal(logged[0].code, 451);
  });
}

test('every SPEC convention: warn mode logs and counts the decision but lets the message pass', async () => {
  const calls: string[] = [];
  const runner = new PolicyRunner(
    stages('rcpt', [
      fake('rcpt.warned', 'R7', reject('rcpt.warned', 550, '5.1.1', 'User unknown', 'no such user', 'R7'), calls),
      fake('rcpt.next', 'H7', undefined, calls),
    ]),
  );
  const { ctx, lines } = context('rcpt', { warn: ['rcpt.warned'], rcpt: 'x@example.com' });
  const before = decisionCounts.get('rcpt.warned warn') ?? 0;
  assert.equal(await runner.run(ctx), undefined);
  assert.deepEqual(calls, ['rcpt.warned', 'rcpt.next'], 'the stage goes on after a warn-mode verdict');
  const logged = decisions(lines);
  assert.equal(logged.length, 1);
  assert.equal(logged[0].warn, true);
  assert.equal(logged[0].check, 'rcpt.warned');
  assert.equal(logged[0].feature, 'R7');
  assert.equal(logged[0].code, 550);
  assert.equal(logged[0].enhanced, '5.1.1');
  assert.equal(logged[0].stage, 'rcpt');
  assert.equal(decisionCounts.get('rcpt.warned warn'), before + 1);
});

test('warn mode applies only to the named check; a later enforcing check still decides', async () => {
  const runner = new PolicyRunner(
    stages('rcpt', [
      fake('rcpt.warned', 'R7', drop('rcpt.warned', 421, '4.7.0', 'Go away'), []),
      fake('rcpt.enforced', 'H7', tempfail('rcpt.enforced', 452, '4.5.3', 'Too many recipients'), []),
    ]),
  );
  const { ctx, lines } = context('rcpt', { warn: ['rcpt.warned'], rcpt: 'x@example.com' });
  const d = await runner.run(ctx);
  assert.equal(d?.check, 'rcpt.enforced');
  assert.equal(d?.code, 452);
  const logged = decisions(lines);
  assert.deepEqual(logged.map((l) => [l.check, l.warn]), [['rcpt.warned', true], ['rcpt.enforced', undefined]]);
});

test('decisions are counted by "<check> <action>"', async () => {
  const runner = new PolicyRunner(stages('eod', [fake('eod.counted', 'S5', reject('eod.counted', 550, '5.6.0', 'Too many header lines'), [])]));
  const before = decisionCounts.get('eod.counted reject') ?? 0;
  await runner.run(context('eod').ctx);
  await runner.run(context('eod').ctx);
  assert.equal(decisionCounts.get('eod.counted reject'), before + 2);
});

test('R1: the built-in rcpt stage starts with the relay check, which cannot be removed', () => {
  assert.equal(builtinChecks.rcpt[0].name, 'rcpt.relay');
  assert.deepEqual(builtinChecks.rcpt.map((c) => c.name), ['rcpt.relay', 'rcpt.maxRecipients', 'rcpt.dnsbl', 'rcpt.localRecipient', 'rcpt.maxMessageSize', 'rcpt.greylist', 'rcpt.recipientsPerHour']);
  for (const stage of Object.keys(builtinChecks) as Stage[]) {
    for (const c of builtinChecks[stage]) {
      assert.ok(c.name.startsWith(`${stage}.`), `${c.name} is named after its stage`);
      assert.match(c.feature, /^[PSRHQCA]\d+$/, `${c.name} names a SPEC feature or a tag of docs/features.md`);
    }
  }
});
