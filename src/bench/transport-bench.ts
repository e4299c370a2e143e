// Micro-benchmark of the outbound SMTP transport alone (no spool, no
// scheduler): N messages of S octets handed to deliver() with K calls in
// flight, through a channel with per-destination concurrency C, to a minimal
// pipelining SMTP sink in the same process on loopback. Prints messages/second
// and connections used. Usage:
//   node dist/src/bench/transport-bench.js [--messages N] [--size S] [--inflight K] [--concurrency C]

import net from 'node:net';
import { Readable } from 'node:stream';
import { createLogger } from '../log/logger.js';
import { createSmtpTransport } from '../delivery/smtp-transport.js';
import { validateConfig } from '../config/load.js';
import type { DnsResolver } from '../dns/resolver.js';
import type { OutboundMessage } from '../delivery/types.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} expects a positive integer`);
  return v;
}

/** Accepts everything, answers pipelined batches in one write, counts messages and connections. */
function startSink(): Promise<{ port: number; messages: () => number; connections: () => number; close: () => void }> {
  let messages = 0;
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.setNoDelay(true);
    s.on('error', () => {});
    s.write('220 sink ESMTP\r\n');
    let inData = false;
    let carry = '';
    s.on('data', (chunk: Buffer) => {
      let text = carry + chunk.toString('latin1');
      let out = '';
      for (;;) {
        if (inData) {
          const end = text.indexOf('\r\n.\r\n');
          if (end < 0) {
            carry = text.slice(-4);
            text = '';
            break;
          }
          text = text.slice(end + 5);
          inData = false;
          messages++;
          out += '250 2.0.0 ok\r\n';
          continue;
        }
        const lf = text.indexOf('\r\n');
        if (lf < 0) break;
        const line = text.slice(0, lf).toUpperCase();
        text = text.slice(lf + 2);
        if (line.startsWith('EHLO')) out += '250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n';
        else if (line === 'DATA') {
          out += '354 go\r\n';
          inData = true;
        } else if (line === 'QUIT') {
          out += '221 bye\r\n';
          s.end(out);
          return;
        } else out += '250 ok\r\n';
      }
      if (!inData) carry = text;
      if (out) s.write(out);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as net.AddressInfo).port, messages: () => messages, connections: () => connections, close: () => server.close() }),
    ),
  );
}

async function main(): Promise<void> {
  const total = arg('messages', 20000);
  const size = arg('size', 5120);
  const inflight = arg('inflight', 200);
  const concurrency = arg('concurrency', 20);
  const sink = await startSink();
  // The destination is an address literal: this measures the transport, not DNS.
  const snap = validateConfig({ hostname: 'bench.test', listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }], channels: { smtp: { port: sink.port, concurrency } } }, 'bench', process.cwd());
  const noDns = {} as DnsResolver;
  const transport = createSmtpTransport({ dns: noDns, log: createLogger('warn'), ownEndpoints: () => [], settings: () => ({ hostname: 'bench.test', ...snap.delivery }) });
  const body = Buffer.from(`Subject: bench\r\nFrom: <a@bench.test>\r\n\r\n${'x'.repeat(76)}\r\n`.padEnd(size - 2, 'y') + '\r\n');
  const msg = (i: number): OutboundMessage => ({ id: `B${i}`, mailFrom: 'a@bench.test', params: { smtputf8: false }, size: body.length, open: () => Readable.from([body]) });
  let next = 0;
  let delivered = 0;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < total) {
        const i = next++;
        const res = await transport.deliver(msg(i), [{ index: 0, address: `u${i}@[127.0.0.1]` }], snap.channels.smtp);
        if (res[0].outcome === 'delivered') delivered++;
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await transport.close();
  sink.close();
  console.log(
    JSON.stringify({
      messages: total,
      delivered,
      sinkReceived: sink.messages(),
      size: body.length,
      inflight,
      concurrency,
      seconds: Number(secs.toFixed(2)),
      perSecond: Math.round(total / secs),
      connections: sink.connections(),
      cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      rssMiB: Math.round(process.memoryUsage().rss / 1048576),
    }),
  );
  if (delivered !== total || sink.messages() !== total) process.exitCode = 1;
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(2);
});
