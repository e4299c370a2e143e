// A4 ARC: a mailing list changes a message signed by a p=reject domain and seals it;
// our DKIM and DMARC fail, the ARC chain passes, and a trusted sealer that saw
// dmarc=pass turns the DMARC disposition into none. Chains sealed by mailauth.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NodeDnsResolver } from '../dns/resolver.js';
import { startDns, type TestDns } from '../bench/loopback-dns.js';
import { verifyDkim } from './dkim-verify.js';
import { parseArcAuthResults, trustedArcPass, verifyArc } from './arc.js';
import { evaluateDmarc } from './dmarc.js';
import { keyRecord, message, rsaKey, seal, sign, stream, type TestKey } from './test-support.js';

let dns: TestDns;
let resolver: NodeDnsResolver;
let sender: TestKey;
let list: TestKey;
let relay: TestKey;
let original: string;

const AAR_PASS = 'list.test; dkim=pass header.d=sender.test; spf=pass smtp.mailfrom=sender.test; dmarc=pass header.from=sender.test';

/** What a mailing list does: tag the subject, append a footer, then seal. */
function listify(msg: string): string {
  return msg.replace('Subject: Hello', 'Subject: [list] Hello') + '-- \r\nlist footer\r\n';
}

before(async () => {
  sender = rsaKey(2048);
  list = rsaKey(2048);
  relay = rsaKey(2048);
  dns = await startDns({
    records: {
      's._domainkey.sender.test': keyRecord(sender),
      'arc._domainkey.list.test': keyRecord(list),
      'arc._domainkey.relay.test': keyRecord(relay),
      '_dmarc.sender.test': [{ type: 'TXT', data: 'v=DMARC1; p=reject' }],
    },
    servfail: ['arc._domainkey.broken.test'],
  });
  resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 });
  original = await sign(message(), sender, 'sender.test', 's');
});
after(() => dns.stop());

async function judge(msg: string, trusted: string[]) {
  const dkim = await verifyDkim(stream(msg), resolver);
  const arc = await verifyArc(dkim.arcData, resolver);
  const dmarc = await evaluateDmarc({ fromAddresses: dkim.fromAddresses, dkim: dkim.signatures, arc, arcTrustedSealers: trusted }, resolver);
  return { dkim, arc, dmarc };
}

test('A4 no ARC headers: none', async () => {
  const { arc } = await judge(original, []);
  assert.equal(arc.result, 'none');
  assert.equal(arc.instances, 0);
});

test('A4 a trusted list sealer with dmarc=pass overrides the DMARC fail; an untrusted one does not', async () => {
  const sealed = await seal(listify(original), list, 'list.test', 'arc', AAR_PASS);
  const trusted = await judge(sealed, ['LIST.test']);
  assert.equal(trusted.dkim.signatures[0].result, 'fail', 'the list broke the original signature');
  assert.equal(trusted.arc.result, 'pass');
  assert.equal(trusted.arc.instances, 1);
  assert.equal(trusted.arc.sealer, 'list.test');
  assert.equal(trusted.arc.hops[0].results.dmarc, 'pass');
  assert.equal(trusted.dmarc.result, 'fail');
  assert.equal(trusted.dmarc.policy, 'reject');
  assert.equal(trusted.dmarc.disposition, 'none');
  assert.equal(trusted.dmarc.override?.type, 'trusted_forwarder');
  const untrusted = await judge(sealed, ['other.test']);
  assert.equal(untrusted.dmarc.disposition, 'reject');
  assert.equal((await judge(sealed, [])).dmarc.disposition, 'reject');
});

test('A4 a trusted sealer that saw dmarc=fail does not override', async () => {
  const sealed = await seal(listify(original), list, 'list.test', 'arc', 'list.test; dkim=fail; dmarc=fail header.from=sender.test');
  const r = await judge(sealed, ['list.test']);
  assert.equal(r.arc.result, 'pass');
  assert.equal(r.dmarc.disposition, 'reject');
});

test('A4 a message changed after sealing fails ARC', async () => {
  const sealed = await seal(listify(original), list, 'list.test', 'arc', AAR_PASS);
  const r = await judge(sealed.replace('list footer', 'evil footer'), ['list.test']);
  assert.equal(r.arc.result, 'fail');
  assert.equal(r.dmarc.disposition, 'reject');
});

test('A4 two hops: the chain passes; trust needs the newest sealer trusted too', async () => {
  const hop1 = await seal(listify(original), list, 'list.test', 'arc', AAR_PASS);
  const hop2 = await seal(hop1, relay, 'relay.test', 'arc', 'relay.test; arc=pass; dmarc=fail header.from=sender.test', 'pass');
  const onlyList = await judge(hop2, ['list.test']);
  assert.equal(onlyList.arc.result, 'pass');
  assert.equal(onlyList.arc.instances, 2);
  assert.deepEqual(onlyList.arc.hops.map((h) => h.sealer), ['list.test', 'relay.test']);
  assert.equal(onlyList.dmarc.disposition, 'reject', 'an untrusted newest hop could have copied the trusted set');
  const both = await judge(hop2, ['list.test', 'relay.test']);
  assert.equal(both.dmarc.disposition, 'none');
  assert.equal(trustedArcPass(both.arc, ['list.test', 'relay.test'])?.instance, 1);
});

test('A4 a seal key that cannot be fetched is a temperror, not a fail', async () => {
  const sealed = await seal(listify(original), list, 'broken.test', 'arc', AAR_PASS);
  const r = await judge(sealed, ['broken.test']);
  assert.equal(r.arc.result, 'temperror');
  assert.equal(r.dmarc.disposition, 'reject', 'no override without a valid chain');
});

test('A4 ARC-Authentication-Results parsing', () => {
  assert.deepEqual(parseArcAuthResults('ARC-Authentication-Results: i=2; MX.Example (comment (nested)); spf=pass (x) smtp.mailfrom=a.test;\r\n dkim=fail; dkim=pass; dmarc=pass header.from=a.test'), {
    authservId: 'mx.example',
    results: { spf: 'pass', dkim: 'fail', dmarc: 'pass' },
  });
});
