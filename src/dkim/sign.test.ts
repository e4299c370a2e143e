// A8 DKIM signing with keys from the key store, verified back by mailauth (an
// independent verifier) and by our verifier, over the loopback DNS server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth';
import { NodeDnsResolver } from '../dns/resolver.js';
import { adaptResolver } from '../sender-auth/dns-adapter.js';
import { verifyDkim } from '../sender-auth/dkim-verify.js';
import { message, stream } from '../sender-auth/test-support.js';
import { startDns, type TestDns } from '../bench/loopback-dns.js';
import { DkimKeyStore, DkimKeyError, zoneFileLine } from './key-store.js';
import { dkimSignature, signingHeaders } from './sign.js';

let tmp: string;
let store: DkimKeyStore;
let dns: TestDns;
let resolver: NodeDnsResolver;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'rampart-dkim-'));
  store = new DkimKeyStore(join(tmp, 'data'));
  store.generate('Sender.Test', { selector: 'rsa1', algorithm: 'rsa-2048' });
  store.generate('ed.test', { selector: 'ed1', algorithm: 'ed25519' });
  const records = Object.fromEntries(store.list().map((k) => [k.dnsName, [{ type: 'TXT' as const, data: k.record.match(/.{1,255}/g)! }]]));
  dns = await startDns({ records });
  resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 500, tries: 1 });
});
after(async () => {
  await dns.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function signed(msg: string, domain: string): Promise<string> {
  const key = store.signingKey(domain);
  assert.ok(key, `a key for ${domain}`);
  return (await dkimSignature(stream(msg), key)) + msg;
}

async function mailauthResult(msg: string): Promise<string> {
  const r = await dkimVerify(Buffer.from(msg), { resolver: adaptResolver(resolver).resolve });
  return r.results[0].status.result;
}

for (const [domain, alg] of [['sender.test', 'rsa-sha256'], ['ed.test', 'ed25519-sha256']] as const) {
  test(`A8 our ${alg} signature verifies with mailauth and with our verifier`, async () => {
    const msg = await signed(message({ from: `Alice <alice@${domain}>`, extraHeaders: 'Content-Type: text/plain\r\nX-Unsigned: 1\r\n' }), domain);
    assert.match(msg, new RegExp(`^DKIM-Signature: v=1; a=${alg}; c=relaxed/relaxed; d=${domain};`));
    assert.equal(await mailauthResult(msg), 'pass');
    const ours = await verifyDkim(stream(msg), resolver);
    assert.equal(ours.signatures[0].result, 'pass');
    assert.equal(ours.signatures[0].algorithm, alg);
    assert.equal(await mailauthResult(msg.replace('X-Unsigned: 1\r\n', 'X-Unsigned: 2\r\nX-Added: yes\r\n')), 'pass', 'unsigned fields may change');
  });
}

test('A8 From (and Subject, To...) are oversigned: an added instance breaks the signature', async () => {
  const msg = await signed(message(), 'sender.test');
  const h = /h=([^;]+);/.exec(msg.replace(/\r\n\s+/g, ' '))![1].replace(/\s+/g, '');
  const names = h.toLowerCase().split(':');
  assert.equal(names.filter((n) => n === 'from').length, 2, h);
  assert.equal(names.filter((n) => n === 'subject').length, 2, h);
  assert.equal(names.filter((n) => n === 'reply-to').length, 1, 'absent but oversigned: listed once');
  assert.ok(!names.includes('received') && !names.includes('return-path'), 'RFC 6376 5.4: trace fields are not signed');
  const sep = msg.indexOf('\r\n\r\n');
  const withSecondFrom = msg.slice(0, sep) + '\r\nFrom: Mallory <ceo@sender.test>' + msg.slice(sep);
  assert.equal(await mailauthResult(withSecondFrom), 'fail');
  const withReplyTo = msg.slice(0, sep) + '\r\nReply-To: <mallory@evil.test>' + msg.slice(sep);
  assert.equal(await mailauthResult(withReplyTo), 'fail');
  assert.notEqual(await mailauthResult(msg.replace('this is a test', 'this is a Test')), 'pass', 'the body is signed');
});

test('A8 signingHeaders picks instances bottom-up as a verifier does', () => {
  const line = (k: string, v: string) => ({ key: k.toLowerCase(), casedKey: k, line: Buffer.from(`${k}: ${v}`) });
  const parsed = [line('To', 'a'), line('Subject', 's'), line('To', 'b'), line('From', 'f')];
  const { names, lines } = signingHeaders(parsed);
  assert.deepEqual(names.slice(0, 4), ['From', 'From', 'Reply-To', 'Subject']);
  assert.deepEqual(lines.map((l) => l.line.toString()), ['From: f', 'Subject: s', 'To: b', 'To: a']);
});

test('A8 key store: files 0600 in 0700 directories, first key active, rotation, removal', () => {
  const d = (p: string) => statSync(p).mode & 0o777;
  assert.equal(d(store.dir), 0o700);
  assert.equal(d(join(store.dir, 'sender.test')), 0o700);
  assert.equal(d(join(store.dir, 'sender.test', 'rsa1.pem')), 0o600);
  const first = store.list().find((k) => k.selector === 'rsa1')!;
  assert.deepEqual([first.domain, first.algorithm, first.active, first.dnsName], ['sender.test', 'rsa-2048', true, 'rsa1._domainkey.sender.test']);
  assert.match(first.record, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+$/);
  assert.match(zoneFileLine(first), /^rsa1\._domainkey\.sender\.test\. IN TXT \( "v=DKIM1; k=rsa; p=[^"]{200,}" "[^"]+" \)$/);
  const next = store.generate('sender.test', { selector: 'rsa2' });
  assert.equal(next.active, false, 'a second key waits until activated');
  assert.equal(store.signingKey('sender.test')?.selector, 'rsa1');
  store.activate('sender.test', 'rsa2');
  assert.equal(store.signingKey('SENDER.test')?.selector, 'rsa2');
  assert.deepEqual(store.remove('sender.test', 'rsa2'), { wasActive: true });
  assert.equal(store.signingKey('sender.test'), undefined, 'no active key: no signing');
  store.activate('sender.test', 'rsa1');
  const dated = store.generate('dated.test', { now: new Date('2024-05-06T10:00:00Z') });
  assert.equal(dated.selector, 'rampart20240506');
  assert.equal(store.signingKey('other.test'), undefined);
  assert.equal(store.signingKey('not a domain'), undefined);
});

test('A8 key store errors name the problem', () => {
  const err = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof DkimKeyError && re.test(e.message));
  err(() => store.generate('sender.test', { selector: 'rsa1' }), /already exists; choose another --selector/);
  err(() => store.generate('localhost'), /"localhost" is not a domain name/);
  err(() => store.generate('x.test', { selector: '../etc' }), /not a valid selector/);
  err(() => store.generate('x.test', { algorithm: 'rsa-512' as never }), /not one of rsa-2048, ed25519/);
  err(() => store.remove('sender.test', 'nope'), /no key for sender\.test with selector nope/);
  err(() => store.activate('none.test', 'rsa1'), /no key for none\.test/);
});
