// `npm run bench -- --relay`: messages accepted on the MX from a LAN client for a
// remote domain, delivered by Rampart over SMTP to a pipelining sink in the bench
// process (the smtp channel's relay host, at most --relay-connections at once).
// Reported: messages/second end to end (counted when the sink takes them), time
// in queue per message (client's 250 -> sink's arrival), server RSS, and the
// sink's connection count. With --queue-first, delivery is held while sending
// (RSS by queue length: queued messages must not cost their bodies), then
// released, and the drain is timed on its own.

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchOptions } from './options.js';
import { MemSampler, type ServerProcess } from './server-process.js';
import { messageFactory } from './message.js';
import { runLoad, latencyStats } from './load.js';
import type { RelaySink } from './relay-sink.js';
import { clearHold, setHold } from '../spool/hold.js';

export const RELAY_RCPT = 'sink@relay.bench.test';
const DRAIN_WAIT_MS = 120_000;

const mib = (kb: number) => (kb / 1024).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function relayMode(o: BenchOptions, sp: ServerProcess, sink: RelaySink, serverLine: string): Promise<number> {
  const factory = messageFactory(o.size);
  const spoolRoot = join(sp.dataDir, 'spool');
  const queueDir = join(spoolRoot, 'queue');
  const mem = new MemSampler(sp.pid);
  await sleep(500);
  const before = mem.sample();
  if (!before) throw new Error('cannot read the server memory (/proc/<pid>/status)');
  mem.maxRssKb = before.rssKb;
  mem.start();
  if (o.queueFirst) setHold(spoolRoot, 'bench --queue-first');

  const accepted = new Float64Array(o.messages).fill(Number.NaN);
  const checkpoints = [0.25, 0.5, 1].map((f) => Math.max(1, Math.floor(o.messages * f)));
  const byQueue: Array<{ queued: number; rssKb: number }> = [];
  let count = 0;
  const t0 = performance.now();
  const res = await runLoad(
    {
      port: sp.port,
      messages: o.messages,
      concurrency: o.concurrency,
      perConnection: o.perConnection,
      pipelining: o.pipelining,
      deadline: Date.now() + o.timeLimitS * 1000,
      rcpt: RELAY_RCPT,
      onAccepted: (n, at) => {
        accepted[n] = at;
        count++;
        if (o.queueFirst && checkpoints.includes(count)) byQueue.push({ queued: count, rssKb: mem.sample()?.rssKb ?? Number.NaN });
      },
    },
    factory,
  );
  const sendEnd = performance.now();
  let heldRss: number | undefined;
  let releasedAt = t0;
  if (o.queueFirst) {
    await sleep(1500); // sessions closed, the scheduler has taken every message
    heldRss = mem.sample()?.rssKb;
    byQueue.push({ queued: sp.count(queueDir), rssKb: heldRss ?? Number.NaN });
    releasedAt = performance.now();
    clearHold(spoolRoot);
  }
  const deadline = Date.now() + DRAIN_WAIT_MS;
  while ((sink.received < res.ok || sp.count(queueDir) > 0) && Date.now() < deadline && !sp.exit) await sleep(50);
  await sleep(200);
  mem.stop();

  let last = 0;
  const inQueue: number[] = [];
  for (let n = 0; n < o.messages; n++) {
    const a = sink.arrivals[n];
    if (Number.isNaN(a)) continue;
    last = Math.max(last, a);
    if (!Number.isNaN(accepted[n])) inQueue.push(a - accepted[n]);
  }
  const q = latencyStats(Float64Array.from(inQueue));
  const lat = latencyStats(res.latenciesMs);
  const spanS = (last - (o.queueFirst ? releasedAt : t0)) / 1000;
  const rate = sink.received / spanS;
  const acceptRate = res.ok / ((sendEnd - t0) / 1000);
  const left = sp.count(queueDir);
  const tooMany = sink.maxConcurrent > o.relayConnections;
  const ok = res.errors === 0 && !res.aborted && sink.received === res.ok && sink.duplicates === 0 && left === 0 && !tooMany;

  if (o.json) {
    process.stdout.write(
      JSON.stringify({
        mode: 'relay',
        settings: { messages: o.messages, concurrency: o.concurrency, size: factory.size, perConnection: o.perConnection, relayConnections: o.relayConnections, queueFirst: o.queueFirst },
        accepted: res.ok,
        errors: res.errors,
        acceptPerSecond: +acceptRate.toFixed(1),
        sinkReceived: sink.received,
        duplicates: sink.duplicates,
        endToEndPerSecond: +rate.toFixed(1),
        timeInQueueMs: { p50: +q.p50.toFixed(1), p99: +q.p99.toFixed(1), max: +q.max.toFixed(1) },
        acceptLatencyMs: { p50: +lat.p50.toFixed(2), p99: +lat.p99.toFixed(2) },
        serverRssKb: { before: before.rssKb, peak: mem.maxRssKb, byQueueLength: byQueue },
        sinkConnections: { total: sink.connections, maxConcurrent: sink.maxConcurrent },
        queueLeft: left,
        ok,
      }) + '\n',
    );
  } else {
    const out = [
      `Rampart relay benchmark: ${o.messages} messages for ${RELAY_RCPT} over ${o.concurrency} inbound connection(s), delivered to a sink on loopback`,
      `  settings     size ${factory.size} octets, ${o.perConnection} per inbound connection, pipelining ${o.pipelining ? 'on' : 'off'}; at most ${o.relayConnections} connections to the sink (channel concurrency and maxConnections)` +
        (o.queueFirst ? '; delivery held while sending, then released' : ''),
      `  server       ${serverLine}`,
      `  accepted     ${res.ok}, errors ${res.errors}${res.aborted ? `  ABORTED: ${res.aborted}` : ''} in ${((sendEnd - t0) / 1000).toFixed(2)} s (${acceptRate.toFixed(0)}/s; 250 after the dot p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms)`,
      `  end to end   ${sink.received} taken by the sink in ${spanS.toFixed(2)} s ${o.queueFirst ? 'after the release' : 'from the first MAIL'}: ${rate.toFixed(0)} messages/s` +
        (sink.duplicates ? `; ${sink.duplicates} DUPLICATES` : ''),
      `  in queue     p50 ${q.p50.toFixed(0)} ms, p99 ${q.p99.toFixed(0)} ms, max ${q.max.toFixed(0)} ms (client's 250 -> sink's 250)`,
      `  sink         ${sink.connections} connection(s) in all, at most ${sink.maxConcurrent} at once${tooMany ? `  MORE THAN ${o.relayConnections}` : ''}`,
      `  server RSS   before ${mib(before.rssKb)} MiB, peak ${mib(mem.maxRssKb)} MiB` +
        (byQueue.length ? `; by queue length (held): ${byQueue.map((b) => `${b.queued} -> ${mib(b.rssKb)} MiB`).join(', ')}` : ''),
      `  queue        ${left} file(s) left in spool/queue${left === 0 && sink.received === res.ok ? ' — drained' : ' — NOT DRAINED'}`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  }
  return ok ? 0 : 1;
}
