// A2 cost figures: DKIM verification time per 5 KB and per 1 MB message, and the
// memory a 20 MB message costs while it streams through the verifier (the message is
// generated chunk by chunk, never held whole). Keys and the DNS server are local
// (the in-process loopback DNS server). Usage: node dist/src/bench/dkim-cost.js [rounds]
// Figures from a shared machine are indicative only.

import { Readable } from 'node:stream';
import { dkimSign } from 'mailauth';
import { NodeDnsResolver } from '../dns/resolver.js';
import { startDns } from './loopback-dns.js';
import { verifyDkim } from '../sender-auth/dkim-verify.js';
import { ed25519Key, keyRecord, rsaKey } from '../sender-auth/test-support.js';

const HEADER = 'From: Bench <bench@sender.test>\r\nTo: sink@rcpt.test\r\nSubject: DKIM cost\r\nDate: Mon, 06 May 2024 10:00:00 +0000\r\nMessage-ID: <cost@sender.test>\r\n\r\n';
const LINE = Buffer.from('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor\r\n');

/** The message (header + body of `bytes` octets), produced in 64 KiB chunks. */
export function generated(bytes: number, prefix = ''): Readable {
  const block = Buffer.concat(Array.from({ length: Math.ceil(65536 / LINE.length) }, () => LINE));
  return Readable.from(
    (function* () {
      yield Buffer.from(prefix + HEADER);
      for (let left = bytes; left > 0; left -= block.length) yield left >= block.length ? block : block.subarray(0, left);
    })(),
  );
}

async function signature(bytes: number, key: { privateKey: string }, selector: string): Promise<string> {
  const opts = { canonicalization: 'relaxed/relaxed', signatureData: [{ signingDomain: 'sender.test', selector, privateKey: key.privateKey }] };
  const r = await dkimSign(generated(bytes), opts as unknown as Parameters<typeof dkimSign>[1]);
  return r.signatures;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 20);
  const rsa = rsaKey(2048);
  const ed = ed25519Key();
  const dns = await startDns({ records: { 'rsa._domainkey.sender.test': keyRecord(rsa), 'ed._domainkey.sender.test': keyRecord(ed) } });
  const resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 1000, tries: 1 });
  try {
    for (const [label, bytes] of [['5 KB', 5 * 1024], ['1 MB', 1024 * 1024]] as const) {
      for (const [alg, key, sel] of [['rsa-2048', rsa, 'rsa'], ['ed25519', ed, 'ed']] as const) {
        const sig = await signature(bytes, key, sel);
        await verifyDkim(generated(bytes, sig), resolver); // warm-up
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < rounds; i++) {
          const r = await verifyDkim(generated(bytes, sig), resolver);
          if (r.signatures[0]?.result !== 'pass') throw new Error(`${label}: ${JSON.stringify(r.signatures)}`);
        }
        const ms = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
        console.log(`verify ${label} ${alg}: ${ms.toFixed(2)} ms per message (${rounds} rounds, DNS lookup included)`);
      }
    }
    const big = 20 * 1024 * 1024;
    const sig = await signature(big, rsa, 'rsa');
    await verifyDkim(generated(big, sig), resolver); // warm-up
    (globalThis as { gc?: () => void }).gc?.();
    const base = process.memoryUsage();
    let peakRss = base.rss;
    let peakHeap = base.heapUsed + base.arrayBuffers;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
    }, 5);
    const t0 = Date.now();
    const r = await verifyDkim(generated(big, sig), resolver);
    clearInterval(sampler);
    const MB = 1024 * 1024;
    console.log(
      `verify 20 MB rsa-2048: ${r.signatures[0]?.result} in ${Date.now() - t0} ms; RSS +${((peakRss - base.rss) / MB).toFixed(1)} MB, heap+buffers +${((peakHeap - base.heapUsed - base.arrayBuffers) / MB).toFixed(1)} MB at peak`,
    );
  } finally {
    await dns.stop();
  }
}

if (process.argv[1]?.endsWith('dkim-cost.js')) await main();
