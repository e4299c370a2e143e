// The policy checks of S1/S2/S3 (mail.maxMessageSize, rcpt.maxMessageSize) and S4
// (data.largeMessageSafety): table-driven, basic and enhanced codes asserted.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { testDeps } from './test-deps.js';
import { maxMessageSize as mailCheck } from './mail/max-message-size.js';
import { maxMessageSize as rcptCheck } from './rcpt/max-message-size.js';
import { largeMessageSafety } from './data/large-message-safety.js';
import { LmsKeyBuilder, rememberLms } from './lms.js';
import type { CheckContext, Stage } from './types.js';
import type { Decision } from '../core/decision.js';
import { parsePath, type Address } from '../core/address.js';
import { validateConfig } from '../config/load.js';
import { Directory } from '../directory/store.js';
import { createLogger } from '../log/logger.js';
import { EmbeddedStore } from '../state/embedded-store.js';

const directory = Directory.open(':memory:');
const store = new EmbeddedStore(':memory:');
before(() => {
  directory.limits.set('small.example', { maxMessageSize: 1000 });
  directory.limits.set('big.example', { maxMessageSize: 50000 });
  directory.limits.set('vip@small.example', { maxMessageSize: 90000 });
  directory.limits.set('blocks.example', { sourceBlockLimit: 2 });
});
after(async () => {
  directory.close();
  await store.close();
});
const log = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));

function config(limits: Record<string, unknown> = {}, listener: Record<string, unknown> = {}) {
  return validateConfig({ hostname: 'mx.test', listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0, ...listener }], limits }, 'test', '/tmp');
}

function addr(path: string): Address | null {
  const r = parsePath(path, { utf8: true, allowNull: true, allowPostmaster: true });
  assert.ok(r.ok, path);
  return r.address ?? null;
}

function ctx(stage: Stage, o: { from: string; size?: number; rcpt?: string; limits?: Record<string, unknown>; listener?: Record<string, unknown>; lms?: LmsKeyBuilder }): CheckContext {
  const cfg = config(o.limits ?? { maxMessageSize: 10000 }, o.listener);
  return {
    stage,
    config: cfg,
    session: { id: 's', listener: cfg.listeners[0], remoteAddress: '203.0.113.9', remotePort: 1, localAddress: '127.0.0.1', localPort: 25, esmtp: true, helo: 'client.example' },
    envelope: { mailFrom: addr(o.from), mailParams: { smtputf8: false, size: o.size }, rcpts: [], lms: o.lms },
    rcpt: o.rcpt ? (addr(o.rcpt) as Address) : undefined,
    deps: testDeps(directory, log, { store }),
  };
}

const TOO_BIG = { code: 552, enhanced: '5.3.4', action: 'reject' };

const mailCases: Array<[string, Parameters<typeof ctx>[1], 'pass' | (typeof TOO_BIG & { feature: string })]> = [
  ['no SIZE= declared: nothing to decide at MAIL', { from: '<a@other.example>' }, 'pass'],
  ['S1 SIZE at the global limit', { from: '<a@other.example>', size: 10000 }, 'pass'],
  ['S1 SIZE over the global limit', { from: '<a@other.example>', size: 10001 }, { ...TOO_BIG, feature: 'S1' }],
  ['S1 SIZE over the listener limit', { from: '<a@other.example>', size: 6000, listener: { maxMessageSize: 5000 } }, { ...TOO_BIG, feature: 'S1' }],
  ['S1 listener raises the global limit', { from: '<a@other.example>', size: 20000, listener: { maxMessageSize: 30000 } }, 'pass'],
  ['S2 sender domain below the declared SIZE', { from: '<a@small.example>', size: 1001 }, { ...TOO_BIG, feature: 'S2' }],
  ['S2 sender address beats its domain', { from: '<VIP@small.example>', size: 50000 }, 'pass'],
  ['S2 sender domain raises the global limit', { from: '<a@big.example>', size: 40000 }, 'pass'],
  ['S3 sender domain sourceBlockLimit (2 x 1024)', { from: '<a@blocks.example>', size: 2049 }, { ...TOO_BIG, feature: 'S3' }],
  ['S3 listener sourceBlockLimit', { from: '<a@other.example>', size: 3073, listener: { sourceBlockLimit: 3 } }, { ...TOO_BIG, feature: 'S3' }],
  ['S3 global blockLimit caps a sender raise', { from: '<a@big.example>', size: 40000, limits: { maxMessageSize: 10000, blockLimit: 30 } }, { ...TOO_BIG, feature: 'S3' }],
  ['null sender: global limit', { from: '<>', size: 10001 }, { ...TOO_BIG, feature: 'S1' }],
];

for (const [name, o, want] of mailCases) {
  test(`mail.maxMessageSize: ${name}`, () => {
    const d = mailCheck.run(ctx('mail', o)) as Decision | undefined;
    if (want === 'pass') return assert.equal(d, undefined);
    assert.ok(d);
    assert.equal(d.check, 'mail.maxMessageSize');
    assert.equal(d.code, want.code);
    assert.equal(d.enhanced, want.enhanced);
    assert.equal(d.action, want.action);
    assert.equal(d.feature, want.feature);
    assert.match(d.reason ?? '', /^SIZE=\d+ over \d+ \(/);
    assert.doesNotMatch(d.text, /\d/, 'the client text reveals no configured value');
  });
}

const rcptCases: Array<[string, Parameters<typeof ctx>[1], 'pass' | typeof TOO_BIG]> = [
  ['no SIZE= declared', { from: '<a@other.example>', rcpt: '<u@small.example>' }, 'pass'],
  ['S2 recipient domain limit below SIZE', { from: '<a@other.example>', size: 1001, rcpt: '<u@small.example>' }, TOO_BIG],
  ['S2 recipient domain any case', { from: '<a@other.example>', size: 1001, rcpt: '<u@SMALL.Example>' }, TOO_BIG],
  ['S2 recipient domain limit at SIZE', { from: '<a@other.example>', size: 1000, rcpt: '<u@small.example>' }, 'pass'],
  ['S2 recipient domain without a limit', { from: '<a@other.example>', size: 9000, rcpt: '<u@other.example>' }, 'pass'],
  ['S2 the recipient address entry is not a domain limit', { from: '<a@other.example>', size: 1001, rcpt: '<vip@big.example>' }, 'pass'],
];

for (const [name, o, want] of rcptCases) {
  test(`rcpt.maxMessageSize: ${name}`, () => {
    const d = rcptCheck.run(ctx('rcpt', o)) as Decision | undefined;
    if (want === 'pass') return assert.equal(d, undefined);
    assert.ok(d);
    assert.equal(d.check, 'rcpt.maxMessageSize');
    assert.equal(d.code, want.code);
    assert.equal(d.enhanced, want.enhanced);
    assert.equal(d.feature, 'S2');
  });
}

test('data.largeMessageSafety: a remembered key gets 554 5.3.4 and a close (drop); others pass', async () => {
  const builder = () => {
    const b = new LmsKeyBuilder('203.0.113.9', 'client.example', 'FROM:<a@other.example>');
    b.rcpt('TO:<u@x.example>');
    return b;
  };
  const fresh = await largeMessageSafety.run(ctx('data', { from: '<a@other.example>', lms: builder() }));
  assert.equal(fresh, undefined, 'nothing remembered yet');
  await rememberLms(store, builder().key(), { at: Date.now(), ip: '203.0.113.9', bytes: 5, session: 'x' }, 60000);
  const d = await largeMessageSafety.run(ctx('data', { from: '<a@other.example>', lms: builder() }));
  assert.ok(d);
  assert.deepEqual([d.check, d.code, d.enhanced, d.action, d.feature], ['data.largeMessageSafety', 554, '5.3.4', 'drop', 'S4']);
  const other = builder();
  other.rcpt('TO:<v@x.example>');
  assert.equal(await largeMessageSafety.run(ctx('data', { from: '<a@other.example>', lms: other })), undefined, 'another RCPT list is another key');
  const off = await largeMessageSafety.run(ctx('data', { from: '<a@other.example>', lms: builder(), limits: { maxMessageSize: 10000, largeMessageSafety: { enabled: false } } }));
  assert.equal(off, undefined, 'switched off');
  const exc = await largeMessageSafety.run(ctx('data', { from: '<a@other.example>', lms: builder(), limits: { maxMessageSize: 10000, largeMessageSafety: { exceptions: ['*@OTHER.example'] } } }));
  assert.equal(exc, undefined, 'an exception sender is never refused');
});
