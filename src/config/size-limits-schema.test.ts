// Validation of the S1/S3/S4 keys (channels: channels-schema.test.ts): defaults, and errors naming the key (table-driven).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, ConfigError } from './load.js';

const base = (over: Record<string, unknown> = {}, listener: Record<string, unknown> = {}) => ({
  hostname: 'mx.test',
  listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0, ...listener }],
  ...over,
});

test('defaults: blockSize 1024, no blockLimit/lineLimit, LMS on (24 h keys, no exceptions, the Mailtraq key parts)', () => {
  const c = validateConfig(base(), 'test', '/tmp');
  assert.equal(c.limits.blockSize, 1024);
  assert.equal(c.limits.blockLimit, undefined);
  assert.equal(c.limits.lineLimit, undefined);
  assert.deepEqual(c.limits.largeMessageSafety, { enabled: true, keyTtlMs: 86400000, exceptions: [], keyParts: ['helo', 'mail', 'rcpt'] });
  assert.equal(c.listeners[0].maxMessageSize, undefined);
  assert.equal(c.listeners[0].sourceBlockLimit, undefined);
});

test('valid values are kept', () => {
  const c = validateConfig(
    base(
      {
        limits: { maxMessageSize: 1000, blockSize: 512, blockLimit: 100, lineLimit: 5000, largeMessageSafety: { enabled: false, abortOver: 9000, keyTtlMs: 60000, exceptions: ['*@partner.example', 'big?@Example.org'] } },
      },
      { maxMessageSize: 2000, sourceBlockLimit: 7, largeMessageSafety: { abortOver: 9000 } },
    ),
    'test',
    '/tmp',
  );
  assert.equal(c.limits.blockLimit, 100);
  assert.deepEqual(c.limits.largeMessageSafety.exceptions, ['*@partner.example', 'big?@Example.org']);
  assert.equal(c.listeners[0].sourceBlockLimit, 7);
});

const bad: Array<[string, Record<string, unknown>, Record<string, unknown>, RegExp]> = [
  ['blockSize 0', { limits: { blockSize: 0 } }, {}, /^limits\.blockSize: /],
  ['blockSize too large', { limits: { blockSize: 2 ** 21 } }, {}, /^limits\.blockSize: /],
  ['blockLimit negative', { limits: { blockLimit: -1 } }, {}, /^limits\.blockLimit: /],
  ['lineLimit fractional', { limits: { lineLimit: 1.5 } }, {}, /^limits\.lineLimit: /],
  ['LMS unknown key', { limits: { largeMessageSafety: { abortover: 5 } } }, {}, /^limits\.largeMessageSafety\.abortover: unknown key/],
  ['LMS enabled not boolean', { limits: { largeMessageSafety: { enabled: 'yes' } } }, {}, /^limits\.largeMessageSafety\.enabled: /],
  ['LMS keyTtlMs too short', { limits: { largeMessageSafety: { keyTtlMs: 10 } } }, {}, /^limits\.largeMessageSafety\.keyTtlMs: /],
  ['LMS exception without @', { limits: { largeMessageSafety: { exceptions: ['partner.example'] } } }, {}, /^limits\.largeMessageSafety\.exceptions\.0: expected an address pattern/],
  ['LMS exception with a space', { limits: { largeMessageSafety: { exceptions: ['a b@x.example'] } } }, {}, /^limits\.largeMessageSafety\.exceptions\.0: /],
  ['LMS abortOver below maxMessageSize', { limits: { maxMessageSize: 1000, largeMessageSafety: { abortOver: 999 } } }, {}, /^limits\.largeMessageSafety\.abortOver: must be at least limits\.maxMessageSize \(1000\)/],
  ['listener abortOver below its size', { limits: { maxMessageSize: 1000 } }, { maxMessageSize: 5000, largeMessageSafety: { abortOver: 4000 } }, /^listeners\.0\.largeMessageSafety\.abortOver: must be at least this listener's maxMessageSize \(5000\)/],
  ['listener size above the global abortOver', { limits: { maxMessageSize: 1000, largeMessageSafety: { abortOver: 3000 } } }, { maxMessageSize: 5000 }, /^listeners\.0\.maxMessageSize: is above limits\.largeMessageSafety\.abortOver \(3000\)/],
  ['listener maxMessageSize 0', {}, { maxMessageSize: 0 }, /^listeners\.0\.maxMessageSize: /],
  ['listener sourceBlockLimit string', {}, { sourceBlockLimit: '10' }, /^listeners\.0\.sourceBlockLimit: /],
  ['listener LMS unknown key', {}, { largeMessageSafety: { exceptions: [] } }, /^listeners\.0\.largeMessageSafety\.exceptions: unknown key/],
];

for (const [name, over, listener, re] of bad) {
  test(`config error names the key: ${name}`, () => {
    assert.throws(
      () => validateConfig(base(over, listener), 'test', '/tmp'),
      (e: Error) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.ok(e.problems.some((p) => re.test(p)), e.problems.join('\n'));
        return true;
      },
    );
  });
}

test('LMS off: a listener size above the global abortOver is allowed (nothing to protect)', () => {
  const c = validateConfig(base({ limits: { maxMessageSize: 1000, largeMessageSafety: { enabled: false, abortOver: 3000 } } }, { maxMessageSize: 5000 }), 'test', '/tmp');
  assert.equal(c.listeners[0].maxMessageSize, 5000);
});
