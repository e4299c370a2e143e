// A2 DKIM verification against keys published on the real loopback DNS server,
// with messages signed by mailauth using keys generated here.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NodeDnsResolver } from '../dns/resolver.js';
import { startDns, type TestDns } from '../bench/loopback-dns.js';
import { verifyDkim } from './dkim-verify.js';
import { ed25519Key, keyRecord, message, rsaKey, sign, stream, type TestKey } from './test-support.js';

let dns: TestDns;
let resolver: NodeDnsResolver;
let rsa: TestKey;
let ed: TestKey;
let weak: TestKey;
let k1024: TestKey;

before(async () => {
  rsa = rsaKey(2048);
  ed = ed25519Key();
  weak = rsaKey(512);
  k1024 = rsaKey(1024);
  dns = await startDns({
    records: {
      'rsa._domainkey.sender.test': keyRecord(rsa),
      'ed._domainkey.sender.test': keyRecord(ed),
      'weak._domainkey.sender.test': keyRecord(weak),
      'k1024._domainkey.sender.test': keyRecord(k1024),
      'empty._domainkey.sender.test': [{ type: 'TXT', data: 'v=DKIM1; k=rsa; p=' }],
    },
    servfail: ['broken._domainkey.sender.test'],
    silent: ['slow._domainkey.sender.test'],
  });
  resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 });
});
after(() => dns.stop());

const verify = (msg: string, opts = {}) => verifyDkim(stream(msg), resolver, opts);

test('A2 DKIM: good RSA-2048 and Ed25519 signatures pass', async () => {
  const msg = await sign(await sign(message(), rsa, 'sender.test', 'rsa'), ed, 'sender.test', 'ed');
  const r = await verify(msg);
  assert.equal(r.signatures.length, 2);
  const [first, second] = r.signatures;
  assert.deepEqual({ result: first.result, d: first.domain, s: first.selector, a: first.algorithm }, { result: 'pass', d: 'sender.test', s: 'ed', a: 'ed25519-sha256' });
  assert.deepEqual({ result: second.result, s: second.selector, a: second.algorithm, bits: second.keyBits }, { result: 'pass', s: 'rsa', a: 'rsa-sha256', bits: 2048 });
  assert.equal(second.b.length, 8);
  assert.deepEqual(r.fromAddresses, ['alice@sender.test']);
  assert.ok(r.headers);
});

test('A2 DKIM: an unsigned message has no signatures', async () => {
  const r = await verify(message());
  assert.deepEqual(r.signatures, []);
  assert.deepEqual(r.fromAddresses, ['alice@sender.test']);
});

test('A2 DKIM: one changed body byte fails (body hash)', async () => {
  const msg = (await sign(message(), rsa, 'sender.test', 'rsa')).replace('this is a test', 'this is a tesT');
  const [s] = (await verify(msg)).signatures;
  assert.equal(s.result, 'fail');
  assert.equal(s.comment, 'body hash did not verify');
});

test('A2 DKIM: a changed signed header fails (signature)', async () => {
  const msg = (await sign(message(), ed, 'sender.test', 'ed')).replace('Subject: Hello', 'Subject: Hellp');
  const [s] = (await verify(msg)).signatures;
  assert.equal(s.result, 'fail');
  assert.equal(s.comment, 'bad signature');
});

test('A2 DKIM: a 512-bit RSA key fails; 1024 passes; minRsaBits raises the bar', async () => {
  const [w] = (await verify(await sign(message(), weak, 'sender.test', 'weak'))).signatures;
  assert.equal(w.result, 'fail');
  assert.match(w.comment ?? '', /too short/);
  const signed1024 = await sign(message(), k1024, 'sender.test', 'k1024');
  assert.equal((await verify(signed1024)).signatures[0].result, 'pass');
  assert.equal((await verify(signed1024, { minRsaBits: 2048 })).signatures[0].result, 'fail');
  assert.equal((await verify(signed1024, { minRsaBits: 512 })).signatures[0].result, 'pass', 'never below 1024: 512 is raised to 1024');
  assert.equal((await verify(await sign(message(), weak, 'sender.test', 'weak'), { minRsaBits: 512 })).signatures[0].result, 'fail');
});

test('A2 DKIM l=: content appended after the signed length is never a pass', async () => {
  const body = 'Signed part.\r\n';
  const signed = await sign(message({ body }), rsa, 'sender.test', 'rsa', { maxBodyLength: body.length });
  const whole = (await verify(signed)).signatures[0];
  assert.equal(whole.result, 'pass', 'l= covering the whole body passes');
  assert.equal(whole.bodyLength, body.length);
  assert.equal(whole.unsignedBytes, 0);

  const appended = signed + 'Click http://evil.example/ now\r\n';
  const s = (await verify(appended)).signatures[0];
  assert.equal(s.result, 'neutral');
  assert.ok((s.unsignedBytes ?? 0) > 0, 'the unsigned amount is reported');
  assert.match(s.comment ?? '', /unsigned/);

  const trailingBlank = (await verify(signed + '\r\n\r\n')).signatures[0];
  assert.equal(trailingBlank.result, 'pass', 'empty lines at the end are not content (RFC 6376 3.4.4)');
});

test('A2 DKIM l=: a body shorter than l= fails and writes nothing to stdout', async () => {
  const body = 'Signed part.\r\nSecond line.\r\n';
  const signed = await sign(message({ body }), rsa, 'sender.test', 'rsa', { maxBodyLength: body.length });
  const truncated = signed.replace('Second line.\r\n', '');
  const logged: unknown[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void logged.push(a);
  try {
    const [s] = (await verify(truncated)).signatures;
    assert.equal(s.result, 'fail');
  } finally {
    console.log = orig;
  }
  assert.deepEqual(logged, []);
});

test('A2 DKIM: key problems and DNS failures', async () => {
  const msg = message();
  const cases: Array<[string, string]> = [
    ['nokey', 'permerror'],
    ['empty', 'permerror'],
    ['broken', 'temperror'],
    ['slow', 'temperror'],
  ];
  for (const [selector, want] of cases) {
    // Signed with a real key; the published key is what differs.
    const [s] = (await verify(await sign(msg, rsa, 'sender.test', selector))).signatures;
    assert.equal(s.result, want, `${selector}: ${JSON.stringify(s)}`);
  }
});

test('A2 DKIM: rsa-sha1 is a permerror without a DNS lookup', async () => {
  const msg = await sign(message(), rsa, 'sender.test', 'rsa', { algorithm: 'rsa-sha1' });
  assert.match(msg, /a=rsa-sha1/);
  const before = dns.queries.length;
  const [s] = (await verify(msg)).signatures;
  assert.equal(s.result, 'permerror');
  assert.match(s.comment ?? '', /RFC 8301/);
  assert.equal(dns.queries.length, before);
});

test('A2 DKIM: at most maxSignatures signatures are verified', async () => {
  let msg = message();
  for (let i = 0; i < 5; i++) msg = await sign(msg, ed, 'sender.test', 'ed');
  const before = dns.queries.length;
  const r = await verify(msg, { maxSignatures: 3 });
  assert.deepEqual(
    r.signatures.map((s) => s.result),
    ['pass', 'pass', 'pass', 'neutral', 'neutral'],
  );
  assert.match(r.signatures[4].comment ?? '', /more than 3 signatures/);
  assert.equal(dns.queries.length - before, 3);
});

test('A2 DKIM: a header block that never ends is not examined', async () => {
  const r = await verify('X-Filler: ' + 'a'.repeat(3000) + '\r\n', { maxHeaderBytes: 1000 });
  assert.deepEqual(r.signatures, []);
  assert.match(r.error ?? '', /header block/);
});

test('A2 DKIM: LF line ends and one-byte chunks verify the same', async () => {
  const signed = await sign(message(), rsa, 'sender.test', 'rsa');
  assert.equal((await verifyDkim(stream(signed, 1), resolver)).signatures[0].result, 'pass');
  assert.equal((await verifyDkim(stream(signed.replace(/\r\n/g, '\n'), 5), resolver)).signatures[0].result, 'pass');
});
