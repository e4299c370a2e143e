// A2 streaming: a 20 MB signed message is verified without a second copy in memory
// (the message is generated chunk by chunk; heap + buffers must grow far less than 20 MB).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dkimSign } from 'mailauth';
import { NodeDnsResolver } from '../../src/dns/resolver.js';
import { verifyDkim } from '../../src/sender-auth/dkim-verify.js';
import { keyRecord, rsaKey } from '../../src/sender-auth/test-support.js';
import { generated } from '../../src/bench/dkim-cost.js';
import { startDns } from '../../src/bench/loopback-dns.js';

const MB = 1024 * 1024;

test('A2 DKIM verification of a 20 MB message streams (heap + buffers grow < 10 MB)', { timeout: 60_000 }, async () => {
  const key = rsaKey(2048);
  const dns = await startDns({ records: { 'big._domainkey.sender.test': keyRecord(key) } });
  try {
    const resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 1000, tries: 1 });
    const opts = { canonicalization: 'relaxed/relaxed', signatureData: [{ signingDomain: 'sender.test', selector: 'big', privateKey: key.privateKey }] };
    const { signatures } = await dkimSign(generated(20 * MB), opts as unknown as Parameters<typeof dkimSign>[1]);
    await verifyDkim(generated(2 * MB, signatures), resolver); // warm-up of the same path
    const base = process.memoryUsage();
    const used = (m: NodeJS.MemoryUsage) => m.heapUsed + m.arrayBuffers;
    let peak = used(base);
    const sampler = setInterval(() => (peak = Math.max(peak, used(process.memoryUsage()))), 5);
    try {
      const r = await verifyDkim(generated(20 * MB, signatures), resolver);
      assert.equal(r.signatures[0]?.result, 'pass');
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, used(process.memoryUsage()));
    const grew = (peak - used(base)) / MB;
    console.log(`# dkim-memory: 20 MB verified; heap + buffers grew by ${grew.toFixed(1)} MB at peak`);
    assert.ok(grew < 10, `grew by ${grew.toFixed(1)} MB`);
  } finally {
    await dns.stop();
  }
});
