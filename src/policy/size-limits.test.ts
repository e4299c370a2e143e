// S1/S2/S3: which limit applies, at every level (table-driven).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../config/load.js';
import { advertisedSize, senderSizeLimit, messageSizeLimit, recipientDomainLimit, senderAttributes, type SenderAttributes } from './size-limits.js';
import { Directory } from '../directory/store.js';

function config(limits: Record<string, unknown> = {}, listener: Record<string, unknown> = {}) {
  return validateConfig({ hostname: 'mx.test', listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0, ...listener }], limits }, 'test', '/tmp');
}

const none: SenderAttributes = { address: {}, domain: {} };

const advertised: Array<[string, Record<string, unknown>, Record<string, unknown>, number, string]> = [
  ['S1 global default 25 MiB', {}, {}, 26214400, 'limits.maxMessageSize'],
  ['S1 global value', { maxMessageSize: 5000 }, {}, 5000, 'limits.maxMessageSize'],
  ['S1 listener beats global (larger)', { maxMessageSize: 5000 }, { maxMessageSize: 9000 }, 9000, 'listeners.mx.maxMessageSize'],
  ['S1 listener beats global (smaller)', { maxMessageSize: 5000 }, { maxMessageSize: 3000 }, 3000, 'listeners.mx.maxMessageSize'],
  ['S3 listener sourceBlockLimit x default blockSize 1024', { maxMessageSize: 50000 }, { sourceBlockLimit: 10 }, 10240, 'listeners.mx.sourceBlockLimit'],
  ['S3 sourceBlockLimit larger than maxMessageSize: size decides', { maxMessageSize: 5000 }, { sourceBlockLimit: 10 }, 5000, 'limits.maxMessageSize'],
  ['S3 global blockLimit caps the listener size', { maxMessageSize: 50000, blockLimit: 20, blockSize: 1000 }, { maxMessageSize: 90000 }, 20000, 'limits.blockLimit'],
  ['S3 blockSize changes every block limit', { maxMessageSize: 50000, blockSize: 100 }, { sourceBlockLimit: 7 }, 700, 'listeners.mx.sourceBlockLimit'],
];

for (const [name, limits, listener, bytes, source] of advertised) {
  test(`advertisedSize: ${name}`, () => {
    const c = config(limits, listener);
    const got = advertisedSize(c, c.listeners[0]);
    assert.equal(got.bytes, bytes);
    assert.equal(got.source, source);
  });
}

const sender: Array<[string, Record<string, unknown>, Record<string, unknown>, SenderAttributes, number, string, string]> = [
  ['no directory entry: listener/global', { maxMessageSize: 5000 }, {}, none, 5000, 'limits.maxMessageSize', 'S1'],
  ['S2 sender domain beats global (raise)', { maxMessageSize: 5000 }, {}, { address: {}, domain: { maxMessageSize: 8000 } }, 8000, 'directory sender domain maxMessageSize', 'S2'],
  ['S2 sender domain beats listener (lower)', { maxMessageSize: 5000 }, { maxMessageSize: 6000 }, { address: {}, domain: { maxMessageSize: 2000 } }, 2000, 'directory sender domain maxMessageSize', 'S2'],
  ['S2 sender address beats its domain', { maxMessageSize: 5000 }, {}, { address: { maxMessageSize: 7000 }, domain: { maxMessageSize: 2000 } }, 7000, 'directory sender maxMessageSize', 'S2'],
  ['S3 sender sourceBlockLimit beats listener sourceBlockLimit', { maxMessageSize: 50000 }, { sourceBlockLimit: 10 }, { address: { sourceBlockLimit: 20 }, domain: {} }, 20480, 'directory sender sourceBlockLimit', 'S3'],
  ['S3 sender domain sourceBlockLimit', { maxMessageSize: 50000 }, { sourceBlockLimit: 40 }, { address: {}, domain: { sourceBlockLimit: 2 } }, 2048, 'directory sender domain sourceBlockLimit', 'S3'],
  ['S3 both settings apply: the smaller decides', { maxMessageSize: 50000 }, {}, { address: { maxMessageSize: 9000, sourceBlockLimit: 5 }, domain: {} }, 5120, 'directory sender sourceBlockLimit', 'S3'],
  ['S3 global blockLimit caps a sender raise', { maxMessageSize: 5000, blockLimit: 6 }, {}, { address: { maxMessageSize: 90000 }, domain: {} }, 6144, 'limits.blockLimit', 'S3'],
];

for (const [name, limits, listener, attrs, bytes, source, feature] of sender) {
  test(`senderSizeLimit: ${name}`, () => {
    const c = config(limits, listener);
    const got = senderSizeLimit(c, c.listeners[0], attrs);
    assert.deepEqual(got, { bytes, source, feature });
  });
}

test('messageSizeLimit: S2 the smallest of the sender limit and every recipient domain limit decides', () => {
  const c = config({ maxMessageSize: 5000 });
  const l = c.listeners[0];
  assert.equal(messageSizeLimit(c, l, none, []).bytes, 5000);
  assert.equal(messageSizeLimit(c, l, none, [{ domain: 'a.test', attrs: {} }]).bytes, 5000, 'a domain without a limit changes nothing');
  const two = messageSizeLimit(c, l, none, [
    { domain: 'a.test', attrs: { maxMessageSize: 4000 } },
    { domain: 'b.test', attrs: { maxMessageSize: 3000 } },
  ]);
  assert.deepEqual(two, { bytes: 3000, source: 'directory recipient domain b.test maxMessageSize', feature: 'S2' });
  assert.equal(messageSizeLimit(c, l, none, [{ domain: 'a.test', attrs: { maxMessageSize: 9000 } }]).bytes, 5000, 'a recipient domain never raises the sender limit');
  assert.equal(recipientDomainLimit('x.test', {}), undefined);
});

test('senderAttributes: address and domain entries from the directory, case-insensitive; null sender has none', () => {
  const d = Directory.open(':memory:');
  try {
    d.limits.set('partner.example', { maxMessageSize: 100 });
    d.limits.set('Big@Partner.example', { sourceBlockLimit: 3 });
    assert.deepEqual(senderAttributes(d.limits, 'big@PARTNER.example'), { address: { sourceBlockLimit: 3 }, domain: { maxMessageSize: 100 } });
    assert.deepEqual(senderAttributes(d.limits, 'other@partner.example'), { address: {}, domain: { maxMessageSize: 100 } });
    assert.deepEqual(senderAttributes(d.limits, ''), { address: {}, domain: {} });
  } finally {
    d.close();
  }
});
