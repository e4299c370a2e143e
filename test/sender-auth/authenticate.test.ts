// A1-A7 end to end through the library, as the stages call it: SPF at MAIL, the
// cleanup stage (incoming Authentication-Results claiming our authserv-id removed),
// then DKIM/ARC/DMARC at eod from the message stream, the one Authentication-Results
// field, the DMARC action and the score. The case: p=reject, an IP not in SPF, no
// DKIM signature -> 550 5.7.1.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NodeDnsResolver } from '../../src/dns/resolver.js';
import { validateConfig } from '../../src/config/load.js';
import { checkSpfMailFrom, checkSpfHelo } from '../../src/sender-auth/spf.js';
import { authenticateMessage } from '../../src/sender-auth/authenticate.js';
import { clean } from '../../src/cleanup/test-support.js';
import { dmarcAction, dmarcVerdict } from '../../src/sender-auth/dmarc-action.js';
import { score } from '../../src/score/score.js';
import { ed25519Key, keyRecord, message, sign, stream, type TestKey } from '../../src/sender-auth/test-support.js';
import { startDns, type TestDns } from '../../src/bench/loopback-dns.js';

let dns: TestDns;
let resolver: NodeDnsResolver;
let key: TestKey;
const GOOD_IP = '192.0.2.10';
const BAD_IP = '198.51.100.66';
const config = validateConfig({ hostname: 'mx.ours.test', listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }] }, 'test', '/tmp');
const settings = { authservId: config.senderAuth.authservId ?? config.hostname, dkim: config.senderAuth.dkim, dmarc: config.senderAuth.dmarc, arcTrustedSealers: config.senderAuth.arcTrustedSealers };

before(async () => {
  key = ed25519Key();
  dns = await startDns({
    records: {
      'bank.test': [{ type: 'TXT', data: `v=spf1 ip4:${GOOD_IP} -all` }],
      '_dmarc.bank.test': [{ type: 'TXT', data: 'v=DMARC1; p=reject' }],
      's._domainkey.bank.test': keyRecord(key),
    },
  });
  resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 });
});
after(() => dns.stop());

async function receive(ip: string, msg: string) {
  const req = { ip, helo: 'client.test', mailFrom: 'billing@bank.test', hostname: config.hostname };
  const spf = await checkSpfMailFrom(req, resolver);
  const spfHelo = await checkSpfHelo(req, resolver);
  const cleaned = await clean(msg, { authservId: settings.authservId }, 7);
  const auth = await authenticateMessage(stream(cleaned.out), { spf, spfHelo, dns: resolver, settings });
  const action = auth.dmarc ? dmarcAction(auth.dmarc, config.senderAuth.dmarc) : 'none';
  const scored = score({ spf, dkim: auth.dkim.signatures, dmarc: auth.dmarc }, config.score);
  return { spf, auth, action, verdict: auth.dmarc && dmarcVerdict(auth.dmarc, action), scored, stripped: cleaned.stats.authResultsRemoved };
}

test('A3 p=reject, client not in SPF, no DKIM signature: 550 5.7.1', async () => {
  const forged = 'Authentication-Results: mx.ours.test; dmarc=pass header.from=bank.test\r\n' + message({ from: 'Bank <billing@bank.test>' });
  const r = await receive(BAD_IP, forged);
  assert.equal(r.spf.result, 'fail');
  assert.deepEqual(r.auth.dkim.signatures, []);
  assert.equal(r.auth.dmarc?.result, 'fail');
  assert.equal(r.action, 'reject');
  assert.deepEqual([r.verdict?.code, r.verdict?.enhanced, r.verdict?.check], [550, '5.7.1', 'eod.dmarc']);
  assert.equal(r.stripped, 1, 'the forged Authentication-Results claiming our authserv-id was removed');
  assert.equal(
    r.auth.header,
    'Authentication-Results: mx.ours.test;\r\n' +
      '\tspf=fail (mx.ours.test: domain of billing@bank.test does not designate 198.51.100.66 as permitted sender) smtp.mailfrom=billing@bank.test;\r\n' +
      '\tspf=none (mx.ours.test: client.test does not designate permitted sender hosts) smtp.helo=client.test;\r\n' +
      '\tdkim=none (message not signed);\r\n' +
      '\tdmarc=fail (p=reject dis=reject) header.from=bank.test\r\n',
  );
  assert.equal(r.scored.total, 5);
  assert.equal(r.scored.verdict, 'quarantine');
});

test('A3 the same message signed by the bank passes from any address', async () => {
  const r = await receive(BAD_IP, await sign(message({ from: 'Bank <billing@bank.test>' }), key, 'bank.test', 's'));
  assert.equal(r.auth.dmarc?.result, 'pass');
  assert.equal(r.action, 'none');
  assert.equal(r.verdict, undefined);
  assert.equal(r.scored.total, 3, 'only the SPF fail weighs');
});

test('A3 sent from the bank\'s address without a signature: SPF aligns, DMARC passes', async () => {
  const r = await receive(GOOD_IP, message({ from: 'Bank <billing@bank.test>' }));
  assert.equal(r.spf.result, 'pass');
  assert.equal(r.auth.dmarc?.result, 'pass');
  assert.equal(r.scored.total, 0);
});
