// S4 helpers: settings per listener, exception patterns, the message key (table-driven).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../config/load.js';
import { lmsSettings, isLmsException, patternToRegExp, lmsKey, LmsKeyBuilder, rememberLms, recalledLms } from './lms.js';
import { EmbeddedStore } from '../state/embedded-store.js';

function config(limits: Record<string, unknown> = {}, listener: Record<string, unknown> = {}) {
  return validateConfig({ hostname: 'mx.test', listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0, ...listener }], limits }, 'test', '/tmp');
}

const settings: Array<[string, Record<string, unknown>, Record<string, unknown>, { enabled: boolean; abortOver: number }]> = [
  ['on by default, 3 x the global size', {}, {}, { enabled: true, abortOver: 3 * 26214400 }],
  ['3 x the global maxMessageSize', { maxMessageSize: 1000 }, {}, { enabled: true, abortOver: 3000 }],
  ['3 x the listener maxMessageSize', { maxMessageSize: 1000 }, { maxMessageSize: 2000 }, { enabled: true, abortOver: 6000 }],
  ['explicit global abortOver', { maxMessageSize: 1000, largeMessageSafety: { abortOver: 1500 } }, {}, { enabled: true, abortOver: 1500 }],
  ['listener abortOver beats global', { maxMessageSize: 1000, largeMessageSafety: { abortOver: 1500 } }, { largeMessageSafety: { abortOver: 5000 } }, { enabled: true, abortOver: 5000 }],
  ['global switch off', { largeMessageSafety: { enabled: false } }, {}, { enabled: false, abortOver: 3 * 26214400 }],
  ['listener switch on over a global off', { maxMessageSize: 10, largeMessageSafety: { enabled: false } }, { largeMessageSafety: { enabled: true } }, { enabled: true, abortOver: 30 }],
  ['listener switch off', {}, { largeMessageSafety: { enabled: false } }, { enabled: false, abortOver: 3 * 26214400 }],
];

for (const [name, limits, listener, want] of settings) {
  test(`lmsSettings: ${name}`, () => {
    const c = config(limits, listener);
    const s = lmsSettings(c, c.listeners[0]);
    assert.equal(s.enabled, want.enabled);
    assert.equal(s.abortOver, want.abortOver);
    assert.equal(s.keyTtlMs, 86400000);
  });
}

const patterns: Array<[string, string, boolean]> = [
  ['*@partner.example', 'anyone@partner.example', true],
  ['*@partner.example', 'Anyone@PARTNER.Example', true],
  ['*@partner.example', '@partner.example', true],
  ['*@partner.example', 'x@sub.partner.example', false],
  ['*@*.partner.example', 'x@sub.partner.example', true],
  ['*@partner.example', 'x@partner.example.evil', false],
  ['*@partner.example', 'x@partnerXexample', false],
  ['big?@example.org', 'big1@example.org', true],
  ['big?@example.org', 'big@example.org', false],
  ['big?@example.org', 'big12@example.org', false],
  ['a+b@example.org', 'a+b@example.org', true],
  ['a+b@example.org', 'aab@example.org', false],
  ['(x)|[y]@example.org', '(x)|[y]@example.org', true],
  ['alice@example.org', 'ALICE@example.org', true],
];

for (const [pattern, sender, want] of patterns) {
  test(`S4 exception pattern ${pattern} ${want ? 'matches' : 'does not match'} ${sender}`, () => {
    assert.equal(patternToRegExp(pattern).test(sender), want);
    assert.equal(isLmsException([pattern], sender), want);
  });
}

test('S4 the null sender matches no exception, not even "*@*"', () => {
  assert.equal(isLmsException(['*@*'], ''), false);
  assert.equal(isLmsException([], 'a@b.example'), false);
});

test('S4 key: same parts give the same key; any different part (HELO, MAIL, a RCPT, RCPT order) another', () => {
  const base = { ip: '192.0.2.1', helo: 'client.example', mail: 'FROM:<a@b.example> SIZE=10', rcpts: ['TO:<x@y.example>', 'TO:<z@y.example>'] };
  const k = lmsKey(base);
  assert.match(k, /^lms:[0-9a-f]{64}$/);
  assert.equal(lmsKey({ ...base, rcpts: [...base.rcpts] }), k);
  const variants = [
    { ...base, helo: 'other.example' },
    { ...base, mail: 'FROM:<a@b.example>' },
    { ...base, rcpts: ['TO:<x@y.example>'] },
    { ...base, rcpts: ['TO:<z@y.example>', 'TO:<x@y.example>'] },
    { ...base, rcpts: [...base.rcpts, 'TO:<x@y.example>'] },
    // Framing: moving text between parts must not collide.
    { ...base, helo: 'client.exampleFROM:<a@b.example>', mail: ' SIZE=10' },
    { ...base, rcpts: ['TO:<x@y.example>TO:<z@y.example>'] },
  ];
  for (const v of variants) assert.notEqual(lmsKey(v), k, JSON.stringify(v));
  const b = new LmsKeyBuilder(base.ip, base.helo, base.mail);
  b.rcpt(base.rcpts[0]);
  const first = b.key();
  b.rcpt(base.rcpts[1]);
  assert.equal(b.key(), k, 'the builder gives the same key, and key() can be read more than once');
  assert.notEqual(first, k);
});

test('S4 key parts: the default (Mailtraq: HELO, MAIL, RCPT) ignores the client IP; with ip it counts; part lists never collide', () => {
  const base = { ip: '192.0.2.1', helo: 'client.example', mail: 'FROM:<a@b.example>', rcpts: ['TO:<x@y.example>'] };
  const other = { ...base, ip: '192.0.2.2' };
  assert.equal(lmsKey(other), lmsKey(base), 'a pool of sending addresses shares one key');
  assert.equal(lmsKey(base, ['helo', 'mail', 'rcpt']), lmsKey(base));
  assert.notEqual(lmsKey(other, ['ip', 'helo', 'mail', 'rcpt']), lmsKey(base, ['ip', 'helo', 'mail', 'rcpt']));
  assert.equal(lmsKey({ ...base, helo: 'another.example' }, ['mail', 'rcpt']), lmsKey(base, ['mail', 'rcpt']), 'without helo the HELO does not count');
  assert.notEqual(lmsKey(base, ['mail', 'rcpt']), lmsKey(base), 'different part lists give different keys');
  const b = new LmsKeyBuilder(base.ip, base.helo, base.mail, ['ip', 'mail', 'rcpt']);
  b.rcpt(base.rcpts[0]);
  assert.equal(b.key(), lmsKey(base, ['ip', 'mail', 'rcpt']));
});

test('S4 keyParts config: default, and refusals naming the key', () => {
  const base = { listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }] };
  const lms = (keyParts: unknown) => ({ ...base, limits: { largeMessageSafety: { keyParts } } });
  assert.deepEqual(validateConfig(base, 't', '/tmp').limits.largeMessageSafety.keyParts, ['helo', 'mail', 'rcpt']);
  assert.deepEqual(validateConfig(lms(['ip', 'helo', 'mail', 'rcpt']), 't', '/tmp').limits.largeMessageSafety.keyParts, ['ip', 'helo', 'mail', 'rcpt']);
  assert.throws(() => validateConfig(lms(['helo', 'mail']), 't', '/tmp'), /limits\.largeMessageSafety\.keyParts: must include mail and rcpt/);
  assert.throws(() => validateConfig(lms(['mail', 'rcpt', 'mail']), 't', '/tmp'), /limits\.largeMessageSafety\.keyParts: each part at most once/);
  assert.throws(() => validateConfig(lms(['mail', 'rcpt', 'port']), 't', '/tmp'), /limits\.largeMessageSafety\.keyParts\.2: /);
});

test('S4 remembered keys expire after their TTL (fake clock)', async () => {
  let now = 1_000_000;
  const store = new EmbeddedStore(':memory:', () => now);
  try {
    await rememberLms(store, 'lms:abc', { at: now, ip: '192.0.2.1', bytes: 99, session: 's1' }, 60_000);
    assert.deepEqual(await recalledLms(store, 'lms:abc'), { at: 1_000_000, ip: '192.0.2.1', bytes: 99, session: 's1' });
    assert.equal(await recalledLms(store, 'lms:other'), undefined);
    now += 60_001;
    assert.equal(await recalledLms(store, 'lms:abc'), undefined);
  } finally {
    await store.close();
  }
});
