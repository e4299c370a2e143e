// A2 DKIM keys parsed once per published record: the same record gives the same key
// object; a rotated record (same selector, new key) is parsed anew and verification
// follows it at once; broken records give mailauth's error codes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeDnsResolver } from '../dns/resolver.js';
import { startDns } from '../bench/loopback-dns.js';
import { dkimKey, MAX_KEYS } from './dkim-key.js';
import { verifyDkim } from './dkim-verify.js';
import { ed25519Key, keyRecord, message, rsaKey, sign, stream } from './test-support.js';

test('A2 DKIM key: one record is parsed once; its key object is reused', () => {
  const k = rsaKey(1024);
  const a = dkimKey(k.record.replace(/\s+/g, ''));
  const b = dkimKey(k.record.replace(/\s+/g, ''));
  assert.ok(a.ok && b.ok);
  assert.equal(a.key, b.key);
  assert.equal(a.type, 'rsa');
  assert.equal(a.bits, 1024);
  const e = dkimKey(ed25519Key().record.replace(/\s+/g, ''));
  assert.ok(e.ok);
  assert.equal(e.type, 'ed25519');
});

test('A2 DKIM key: unusable records give the reason', () => {
  assert.deepEqual(dkimKey('v=DKIM1;k=rsa;p='), { ok: false, code: 'EINVALIDVAL' });
  assert.deepEqual(dkimKey('v=DKIM1;k=rsa;p=***'), { ok: false, code: 'EINVALIDVAL' });
  const p = rsaKey(1024).record.split('p=')[1];
  assert.deepEqual(dkimKey(`v=DKIM2;k=rsa;p=${p}`), { ok: false, code: 'EINVALIDVER' });
  assert.deepEqual(dkimKey(`v=DKIM1;k=ed25519;p=${p}`), { ok: false, code: 'EINVALIDTYPE' });
  assert.deepEqual(dkimKey('v=DKIM1;k=rsa;p=AAAA'), { ok: false, code: 'EINVALIDTYPE' });
});

test('A2 DKIM key: the cache is bounded; the least recently used record goes first', () => {
  const first = rsaKey(1024).record;
  const kept = dkimKey(first);
  for (let i = 0; i < MAX_KEYS; i++) dkimKey(`v=DKIM1;k=rsa;p=${Buffer.from(`filler ${i}`).toString('base64')}`);
  const again = dkimKey(first);
  assert.ok(kept.ok && again.ok);
  assert.notEqual(again.key, kept.key, 'the first record was dropped and parsed anew');
});

test('A2 DKIM key: a rotated key at the same selector is followed at once', async () => {
  const oldKey = rsaKey(2048);
  const newKey = rsaKey(2048);
  const dns = await startDns({ records: { 'sel._domainkey.sender.test': keyRecord(oldKey) } });
  try {
    const resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 1000, tries: 1 });
    const byOld = await sign(message(), oldKey, 'sender.test', 'sel');
    const byNew = await sign(message(), newKey, 'sender.test', 'sel');
    assert.equal((await verifyDkim(stream(byOld), resolver)).signatures[0].result, 'pass');
    assert.equal((await verifyDkim(stream(byNew), resolver)).signatures[0].result, 'fail');
    dns.zone.records['sel._domainkey.sender.test'] = keyRecord(newKey);
    assert.equal((await verifyDkim(stream(byNew), resolver)).signatures[0].result, 'pass');
    assert.equal((await verifyDkim(stream(byOld), resolver)).signatures[0].result, 'fail');
  } finally {
    await dns.stop();
  }
});
