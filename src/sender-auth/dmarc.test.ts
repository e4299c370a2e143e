// A3 DMARC with real SPF and DKIM results from the loopback DNS server: alignment
// (relaxed and strict), policy discovery (own record, organizational record, sp=),
// pct=/t=, temporary failures, several From domains.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NodeDnsResolver } from '../dns/resolver.js';
import { startDns, type TestDns, type Rr } from '../bench/loopback-dns.js';
import { checkSpfMailFrom } from './spf.js';
import { verifyDkim } from './dkim-verify.js';
import { evaluateDmarc, type DmarcInput } from './dmarc.js';
import { parseDmarcRecord } from './dmarc-record.js';
import { aligned, organizationalDomain } from './org-domain.js';
import { ed25519Key, keyRecord, message, sign, stream, type TestKey } from './test-support.js';

let dns: TestDns;
let resolver: NodeDnsResolver;
let key: TestKey;
const CLIENT = '192.0.2.10';
const txt = (data: string): Rr[] => [{ type: 'TXT', data }];

before(async () => {
  key = ed25519Key();
  dns = await startDns({
    records: {
      '_dmarc.reject.test': txt('v=DMARC1; p=reject; rua=mailto:d@reject.test'),
      'reject.test': txt(`v=spf1 ip4:${CLIENT} -all`),
      'bounce.reject.test': txt(`v=spf1 ip4:${CLIENT} -all`),
      's._domainkey.reject.test': keyRecord(key),
      's._domainkey.mail.reject.test': keyRecord(key),
      '_dmarc.strict.test': txt('v=DMARC1; p=reject; adkim=s; aspf=s'),
      'bounce.strict.test': txt(`v=spf1 ip4:${CLIENT} -all`),
      's._domainkey.mail.strict.test': keyRecord(key),
      's._domainkey.strict.test': keyRecord(key),
      '_dmarc.quarantine.test': txt('v=DMARC1; p=quarantine'),
      '_dmarc.none.test': txt('v=DMARC1; p=none'),
      '_dmarc.sp.test': txt('v=DMARC1; p=reject; sp=quarantine'),
      '_dmarc.own.sp.test': txt('v=DMARC1; p=none'),
      '_dmarc.pct.test': txt('v=DMARC1; p=reject; pct=50'),
      '_dmarc.testing.test': txt('v=DMARC1; p=quarantine; t=y'),
      '_dmarc.two.test': [...txt('v=DMARC1; p=reject'), ...txt('v=DMARC1; p=none')],
      '_dmarc.badp.test': txt('v=DMARC1; p=bogus'),
      '_dmarc.co.example.co.uk': txt('v=DMARC1; p=reject'),
      's._domainkey.temp.test': keyRecord(key),
      '_dmarc.temp.test': txt('v=DMARC1; p=reject'),
      'other.test': txt(`v=spf1 ip4:${CLIENT} -all`),
    },
    servfail: ['_dmarc.broken.test', 's._domainkey.keyfail.test'],
  });
  resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 });
});
after(() => dns.stop());

/** SPF for mailFrom and DKIM of the message signed by `signer` (a d= domain), fed to DMARC. */
async function dmarcFor(from: string, opts: { mailFrom?: string; signer?: string; extra?: Partial<DmarcInput> } = {}) {
  let msg = message({ from: `<${from}>` });
  if (opts.signer) msg = await sign(msg, key, opts.signer, 's');
  const dkim = await verifyDkim(stream(msg), resolver);
  const spf = opts.mailFrom ? await checkSpfMailFrom({ ip: CLIENT, helo: 'client.test', mailFrom: opts.mailFrom, hostname: 'mx.test' }, resolver) : undefined;
  return evaluateDmarc({ fromAddresses: dkim.fromAddresses, spf, dkim: dkim.signatures, ...opts.extra }, resolver);
}

test('A3 DMARC pass through aligned DKIM (same domain and, relaxed, a subdomain)', async () => {
  const same = await dmarcFor('a@reject.test', { signer: 'reject.test' });
  assert.equal(same.result, 'pass');
  assert.deepEqual(same.alignment.dkim, { mode: 'r', domains: ['reject.test'], aligned: true });
  assert.equal(same.policy, 'reject');
  assert.equal(same.disposition, 'none');
  const sub = await dmarcFor('a@reject.test', { signer: 'mail.reject.test' });
  assert.equal(sub.result, 'pass');
});

test('A3 DMARC pass through aligned SPF (relaxed); unaligned SPF does not count', async () => {
  const r = await dmarcFor('a@reject.test', { mailFrom: 'b@bounce.reject.test' });
  assert.equal(r.result, 'pass');
  assert.deepEqual(r.alignment.spf, { mode: 'r', domain: 'bounce.reject.test', aligned: true });
  const other = await dmarcFor('a@reject.test', { mailFrom: 'b@other.test' });
  assert.equal(other.alignment.spf.aligned, false);
  assert.equal(other.result, 'fail');
});

test('A3 DMARC strict alignment (adkim=s, aspf=s): a subdomain does not align', async () => {
  assert.equal((await dmarcFor('a@strict.test', { signer: 'mail.strict.test' })).result, 'fail');
  assert.equal((await dmarcFor('a@strict.test', { mailFrom: 'b@bounce.strict.test' })).result, 'fail');
  assert.equal((await dmarcFor('a@strict.test', { signer: 'strict.test' })).result, 'pass');
});

test('A3 DMARC fail: disposition follows p= (reject, quarantine, none)', async () => {
  const r = await dmarcFor('a@reject.test', { mailFrom: 'b@other.test', signer: 'other.test' });
  assert.equal(r.result, 'fail');
  assert.equal(r.disposition, 'reject');
  assert.equal(r.record?.text, 'v=DMARC1; p=reject; rua=mailto:d@reject.test');
  assert.equal((await dmarcFor('a@quarantine.test')).disposition, 'quarantine');
  const none = await dmarcFor('a@none.test');
  assert.equal(none.result, 'fail');
  assert.equal(none.disposition, 'none');
});

test('A3 DMARC policy discovery: organizational record and sp= for subdomains; own record first', async () => {
  const sub = await dmarcFor('a@x.sp.test');
  assert.equal(sub.recordDomain, 'sp.test');
  assert.equal(sub.policy, 'quarantine', 'sp= applies to a subdomain');
  assert.equal((await dmarcFor('a@sp.test')).policy, 'reject');
  const own = await dmarcFor('a@own.sp.test');
  assert.equal(own.recordDomain, 'own.sp.test');
  assert.equal(own.policy, 'none');
  const psl = await dmarcFor('a@mail.co.example.co.uk');
  assert.equal(psl.orgDomain, 'example.co.uk', 'the Public Suffix List knows co.uk');
});

test('A3 DMARC none: no record, two records, no From', async () => {
  assert.equal((await dmarcFor('a@norecord.test')).result, 'none');
  assert.equal((await dmarcFor('a@two.test')).result, 'none');
  const noFrom = await evaluateDmarc({ fromAddresses: [], dkim: [] }, resolver);
  assert.equal(noFrom.result, 'none');
  assert.equal((await evaluateDmarc({ fromAddresses: ['nodomain'], dkim: [] }, resolver)).result, 'permerror');
});

test('A3 DMARC temperror, never fail, on temporary DNS failures', async () => {
  const r = await dmarcFor('a@broken.test');
  assert.equal(r.result, 'temperror');
  assert.equal(r.disposition, 'none');
  // The aligned DKIM key lookup fails (SERVFAIL) and nothing else passes.
  const keyFail = await dmarcFor('a@temp.test', { signer: 'keyfail.test' });
  assert.equal(keyFail.result, 'fail', 'an unaligned temperror changes nothing');
  let msg = await sign(message({ from: '<a@temp.test>' }), key, 'temp.test', 's');
  msg = msg.replace('d=temp.test', 'd=keyfail.test'); // same signature, its key lookup fails
  const dkim = await verifyDkim(stream(msg), resolver);
  assert.equal(dkim.signatures[0].result, 'temperror');
  const aligned = await evaluateDmarc({ fromAddresses: ['a@keyfail.test'], dkim: dkim.signatures }, resolver);
  assert.equal(aligned.result, 'none', 'keyfail.test publishes no DMARC record');
  const viaTemp = await evaluateDmarc({ fromAddresses: ['a@temp.test'], dkim: [{ ...dkim.signatures[0], domain: 'temp.test' }] }, resolver);
  assert.equal(viaTemp.result, 'temperror');
  assert.equal(viaTemp.disposition, 'none');
});

test('A3 DMARC pct= sampling and t=y testing weaken the disposition one step', async () => {
  const out = await dmarcFor('a@pct.test', { extra: { random: () => 0.7 } });
  assert.equal(out.disposition, 'quarantine');
  assert.equal(out.override?.type, 'sampled_out');
  const inn = await dmarcFor('a@pct.test', { extra: { random: () => 0.2 } });
  assert.equal(inn.disposition, 'reject');
  const t = await dmarcFor('a@testing.test');
  assert.equal(t.disposition, 'none');
  assert.equal(t.override?.type, 'testing');
});

test('A3 DMARC: a From with two domains is judged by the worse', async () => {
  const msg = await sign(message({ from: '<a@reject.test>, <b@quarantine.test>' }), key, 'reject.test', 's');
  const dkim = await verifyDkim(stream(msg), resolver);
  const r = await evaluateDmarc({ fromAddresses: dkim.fromAddresses, dkim: dkim.signatures }, resolver);
  assert.equal(r.result, 'fail');
  assert.equal(r.domain, 'quarantine.test');
});

test('A3 DMARC records: parsing', () => {
  assert.equal(parseDmarcRecord('v=spf1 -all'), undefined);
  assert.equal(parseDmarcRecord('p=reject; v=DMARC1'), undefined, 'v= must come first');
  assert.deepEqual(parseDmarcRecord('v=DMARC1;p=Reject;sp=bogus;adkim=s;pct=150'), { p: 'reject', adkim: 's', aspf: 'r', pct: 100, testing: false, text: 'v=DMARC1;p=Reject;sp=bogus;adkim=s;pct=150' });
  assert.equal(parseDmarcRecord('v=DMARC1; p=bogus')?.p, 'none');
  assert.equal(parseDmarcRecord('v=DMARC1; p=reject; sp=none')?.sp, 'none');
});

test('A3 organizational domains and alignment from the Public Suffix List', () => {
  assert.equal(organizationalDomain('a.b.example.co.uk'), 'example.co.uk');
  assert.equal(organizationalDomain('Mail.Example.ORG.'), 'example.org');
  assert.equal(aligned('mail.example.org', 'example.org', 'r'), true);
  assert.equal(aligned('mail.example.org', 'example.org', 's'), false);
  assert.equal(aligned('a.github.io', 'b.github.io', 'r'), false, 'private section of the list counts');
  assert.equal(aligned('example.co.uk', 'other.co.uk', 'r'), false);
});
