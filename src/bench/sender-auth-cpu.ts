// CPU cost of the per-message sender-authentication work, in one process, "off" and
// "on" back to back over the same messages: both stream a 5 KB DKIM-signed message
// (what the server does anyway); "on" also runs SPF (MAIL FROM and HELO) and the
// eod.dkim pass (DKIM, ARC, DMARC, Authentication-Results) through the DNS answer cache
// the server uses, against the loopback DNS server. Figures are process CPU time per
// message (user + system), so other load on a shared machine changes them less than
// wall time. Bounded: at most `count` messages per mode, and at most 20 s per mode.
//   node dist/src/bench/sender-auth-cpu.js [count]
// Run it under `node --cpu-prof` to see where the "on" time goes.

import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NodeDnsResolver, type DnsResolver } from '../dns/resolver.js';
import { startDns } from './loopback-dns.js';
import { authenticateMessage } from '../sender-auth/authenticate.js';
import { checkSpfHelo, checkSpfMailFrom } from '../sender-auth/spf.js';
import { keyRecord, message, rsaKey, sign, stream } from '../sender-auth/test-support.js';
import { cachingResolver } from '../dns/caching-resolver.js';

const IP = '192.0.2.10';
const LIMIT_MS = 20_000;

function sink(): Writable {
  return new Writable({ write: (_c, _e, cb) => cb() });
}

async function oneMessage(msg: Buffer, dns: DnsResolver, on: boolean): Promise<void> {
  if (!on) return pipeline(stream(msg, 65536), sink());
  const req = { ip: IP, helo: 'mx.sender.test', mailFrom: 'bench@sender.test', hostname: 'mx.rampart.test' };
  const spf = await checkSpfMailFrom(req, dns);
  const spfHelo = await checkSpfHelo(req, dns);
  const settings = { authservId: 'mx.rampart.test', dkim: { minRsaBits: 1024, maxSignatures: 10 }, dmarc: { enabled: true }, arcTrustedSealers: [] };
  const r = await authenticateMessage(stream(msg, 65536), { spf, spfHelo, dns, settings });
  if (r.dkim.signatures[0]?.result !== 'pass' || r.dmarc?.result !== 'pass' || spf.result !== 'pass') throw new Error(`bench message did not pass: ${r.header}`);
}

/** CPU ms per message and messages per second (wall) for one mode. */
async function measure(msg: Buffer, dns: DnsResolver, on: boolean, count: number): Promise<{ cpuMs: number; perSecond: number; n: number }> {
  for (let i = 0; i < 50; i++) await oneMessage(msg, dns, on); // warm-up (JIT, caches)
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let n = 0;
  while (n < count && Number(process.hrtime.bigint() - t0) / 1e6 < LIMIT_MS) {
    await oneMessage(msg, dns, on);
    n++;
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000 / n, perSecond: (n * 1000) / wallMs, n };
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 2000);
  const key = rsaKey(2048);
  const zone = await startDns({
    records: {
      'sender.test': [{ type: 'TXT', data: `v=spf1 ip4:${IP} -all` }],
      'mx.sender.test': [{ type: 'TXT', data: `v=spf1 ip4:${IP} -all` }],
      '_dmarc.sender.test': [{ type: 'TXT', data: 'v=DMARC1; p=reject' }],
      'bench._domainkey.sender.test': keyRecord(key),
    },
  });
  try {
    const cache = { maxEntries: 10_000, minTtl: 0, maxTtl: 86_400, negativeMaxTtl: 3_600 };
    const dns = cachingResolver(new NodeDnsResolver({ servers: [zone.server], timeoutMs: 2000, tries: 1 }), () => cache, Date.now);
    const body = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor\r\n'.repeat(64);
    const msg = Buffer.from(await sign(message({ from: 'Bench <bench@sender.test>', body }), key, 'sender.test', 'bench'));
    const off = await measure(msg, dns, false, count);
    const on = await measure(msg, dns, true, count);
    console.log(`message ${msg.length} octets, RSA-2048 signature; CPU time per message (user + system):`);
    for (const [label, r] of [['off', off], ['on', on]] as const) {
      console.log(`  ${label.padEnd(3)} ${r.cpuMs.toFixed(3)} ms  (${r.n} messages, ${r.perSecond.toFixed(0)}/s one at a time)`);
    }
    console.log(`  checks cost ${(on.cpuMs - off.cpuMs).toFixed(3)} ms per message`);
  } finally {
    await zone.stop();
  }
}

if (process.argv[1]?.endsWith('sender-auth-cpu.js')) await main();
