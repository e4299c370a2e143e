// `npm run bench`: a loopback load generator. Starts Rampart as a child process
// with a temporary data directory, sends N real messages over C connections
// (M per connection) with raw sockets and prints messages/second, p50/p99
// transaction latency and the server's RSS; checks that every accepted message
// reached the mailbox. `--idle K` instead measures memory per idle connection;
// `--relay` sends to a remote domain and times delivery to a sink (relay-mode.ts).
// Run with --help for the options.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { parseOptions, UsageError, USAGE, type BenchOptions } from './options.js';
import { ServerProcess, MemSampler, LOG_LEVEL, HOST, SINK } from './server-process.js';
import { messageFactory, prefixed, type MessageFactory } from './message.js';
import { startSenderAuthBench, DNSBL_ZONES, SENDER_DOMAIN, type SenderAuthBench } from './sender-auth.js';
import { runLoad, latencyStats } from './load.js';
import { runIdle } from './idle.js';
import { startRelaySink } from './relay-sink.js';
import { relayMode } from './relay-mode.js';
import { newestProfile, summarizeFile } from './profile-summary.js';
import { MetricsScraper, scrapeLine } from './scrape.js';

const DEFAULT_MAX_MESSAGE = 26214400;
const DELIVERY_WAIT_MS = 30000;
const IDLE_TARGET_BYTES = 10 * 1024;

const mib = (kb: number) => (kb / 1024).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user, system) used so far by a process, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): { user: number; sys: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 }; // utime, stime in USER_HZ (100 on Linux)
  } catch {
    return { user: NaN, sys: NaN };
  }
}

function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** File system type of the mount holding `path` (longest mount-point prefix in /proc/self/mounts). */
function fsType(path: string): string {
  try {
    let best = { dir: '', type: '?', dev: '?' };
    for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
      const [dev, dir, type] = line.split(' ');
      if (!dir) continue;
      const d = dir.replace(/\\040/g, ' ');
      if ((path === d || path.startsWith(d.endsWith('/') ? d : d + '/')) && d.length >= best.dir.length) best = { dir: d, type, dev };
    }
    return `${best.type} on ${best.dev}`;
  } catch {
    return 'unknown file system';
  }
}

function serverLine(sp: ServerProcess, o: BenchOptions, maxConn: number): string {
  return (
    `node ${join('dist', 'src', 'cli', 'rampart.js')} serve (pid ${sp.pid}) on ${HOST}:${sp.port}; ` +
    `pregreetWaitMs 0 (no early-talker wait); log level "${LOG_LEVEL}" (logging at info costs throughput); ` +
    `maxConnections = maxConnectionsPerIp = ${maxConn}; ${sp.adminPort ? `admin listener on ${HOST}:${sp.adminPort} (/metrics scraped every second)` : 'no admin listener'}; data in ${sp.dataDir} (${fsType(sp.dataDir)}; temporary, TMPDIR moves it)` +
    (o.cpuProfDir ? `; under node --cpu-prof (slower), profile in ${o.cpuProfDir}` : '') +
    (o.senderAuth === 'on'
      ? `; --sender-auth on: SPF (mark, MAIL FROM and HELO), DKIM verification (one RSA-2048 signature per message, d=${SENDER_DOMAIN}), DMARC (p=reject, passes), DNSBL ${DNSBL_ZONES.join(' ')} (the first lists the client), answered by the bench's loopback DNS server; client outside the LAN, connection rate limit off`
      : o.senderAuth === 'off'
        ? `; --sender-auth off: the same signed messages from a client outside the LAN (H1 answered by the bench's loopback DNS server, connection rate limit off), SPF, DKIM, DMARC and DNSBL not checked`
        : '; sender-auth checks not run (the client is in the LAN: trusted)')
  );
}

async function loadMode(o: BenchOptions, sp: ServerProcess, maxConn: number, factory: MessageFactory): Promise<number> {
  const mem = new MemSampler(sp.pid);
  await sleep(500); // let start-up settle before the baseline
  const before = mem.sample();
  if (!before) throw new Error('cannot read the server memory (/proc/<pid>/status)');
  const hwmAtStart = before.hwmKb;
  mem.maxRssKb = before.rssKb;
  mem.start();
  const cpu0 = cpuSeconds(sp.pid);
  const self0 = selfCpuSeconds();
  const scraper = sp.adminPort ? new MetricsScraper(`http://${HOST}:${sp.adminPort}/metrics`).start() : undefined;
  const res = await runLoad(
    {
      port: sp.port,
      messages: o.messages,
      concurrency: o.concurrency,
      perConnection: o.perConnection,
      pipelining: o.pipelining,
      deadline: Date.now() + o.timeLimitS * 1000,
    },
    factory,
  );
  const scrape = await scraper?.stop();
  const cpu1 = cpuSeconds(sp.pid);
  const self1 = selfCpuSeconds();
  const peak = { rssKb: mem.maxRssKb, hwmKb: mem.hwmKb };
  // Delivery check: the spool must drain into the mailbox.
  const t0 = Date.now();
  let delivered = 0;
  let queued = 0;
  let incoming = 0;
  for (;;) {
    delivered = sp.count(sp.maildirNew());
    queued = sp.count(join(sp.dataDir, 'spool', 'queue'));
    incoming = sp.count(join(sp.dataDir, 'spool', 'incoming'));
    if ((delivered >= res.ok && queued === 0) || Date.now() - t0 >= DELIVERY_WAIT_MS || sp.exit) break;
    await sleep(100);
  }
  const deliveryWaitMs = Date.now() - t0;
  mem.stop();
  const failedDir = sp.count(join(sp.dataDir, 'spool', 'failed'));
  const authResults = o.senderAuth === 'on' ? deliveredAuthResults(sp) : undefined;
  const authPassed = authResults === undefined || /spf=pass[\s\S]*dkim=pass[\s\S]*dmarc=pass/.test(authResults);
  const lat = latencyStats(res.latenciesMs);
  const elapsedS = res.elapsedMs / 1000;
  const rate = res.ok / elapsedS;
  const serverUser = cpu1.user - cpu0.user;
  const serverSys = cpu1.sys - cpu0.sys;
  const serverCpu = serverUser + serverSys;
  const clientCpu = self1 - self0;
  const drained = delivered === res.ok && queued === 0 && incoming === 0;
  // Per message and per MiB: on a shared machine messages/s moves with other load, CPU per message much less.
  const cpuMsPerMessage = res.ok ? (serverCpu * 1000) / res.ok : NaN;
  const cpuMsPerMiB = res.ok ? (serverCpu * 1000) / ((res.ok * factory.size) / 1048576) : NaN;
  const errorKinds = [...res.errorKinds].map(([what, count]) => ({ what, count }));

  if (o.json) {
    process.stdout.write(
      JSON.stringify({
        mode: 'load',
        settings: {
          messages: o.messages,
          concurrency: o.concurrency,
          size: factory.size,
          perConnection: o.perConnection,
          pipelining: o.pipelining,
          timeLimitS: o.timeLimitS,
          pregreetWaitMs: 0,
          logLevel: LOG_LEVEL,
          cpuProf: !!o.cpuProfDir,
          senderAuth: o.senderAuth,
        },
        ok: res.ok,
        errors: res.errors,
        connectErrors: res.connectErrors,
        connections: res.connections,
        elapsedS: +elapsedS.toFixed(3),
        messagesPerSecond: +rate.toFixed(1),
        latencyMs: { p50: +lat.p50.toFixed(2), p99: +lat.p99.toFixed(2), max: +lat.max.toFixed(2), mean: +lat.mean.toFixed(2) },
        serverRssKb: { before: before.rssKb, peak: peak.rssKb, hwm: peak.hwmKb, hwmAtStart, samples: mem.samples },
        cpuSeconds: { server: +serverCpu.toFixed(2), serverUser: +serverUser.toFixed(2), serverSys: +serverSys.toFixed(2), client: +clientCpu.toFixed(2) },
        cpuMsPerMessage: +cpuMsPerMessage.toFixed(3),
        cpuMsPerMiB: +cpuMsPerMiB.toFixed(3),
        delivered,
        spoolQueue: queued,
        spoolIncoming: incoming,
        spoolFailed: failedDir,
        deliveryWaitMs,
        drained,
        stoppedByTimeLimit: res.stoppedByTimeLimit,
        aborted: res.aborted ?? null,
        errorKinds,
        authResults,
        authPassed,
        scrape: scrape ?? null,
      }) + '\n',
    );
  } else {
    const out = [
      `Rampart benchmark: ${o.messages} messages over ${o.concurrency} connection(s)`,
      `  settings     size ${factory.size} octets (RFC 5322 headers + 76-char lines, ${factory.dotLines} dot-stuffed), ${o.perConnection} message(s) per connection, ` +
        `pipelining ${o.pipelining ? 'on (MAIL/RCPT/DATA in one write)' : 'off'}, time limit ${o.timeLimitS} s`,
      `  server       ${serverLine(sp, o, maxConn)}`,
      `  messages     ok ${res.ok}, errors ${res.errors}` +
        (res.connectErrors ? `, failed connections ${res.connectErrors}` : '') +
        ` (${res.connections} connections)` +
        (res.stoppedByTimeLimit ? `  STOPPED BY TIME LIMIT (${res.ok + res.errors} of ${o.messages} attempted)` : '') +
        (res.aborted ? `  ABORTED: ${res.aborted}` : ''),
      `  elapsed      ${elapsedS.toFixed(2)} s`,
      `  throughput   ${rate.toFixed(0)} messages/s`,
      `  latency      p50 ${lat.p50.toFixed(2)} ms, p99 ${lat.p99.toFixed(2)} ms, max ${lat.max.toFixed(2)} ms (mean ${lat.mean.toFixed(2)}; MAIL FROM written -> 250 after the final dot)`,
      `  server RSS   before load ${mib(before.rssKb)} MiB, peak ${mib(peak.rssKb)} MiB (VmRSS sampled every 100 ms, ${mem.samples} samples; VmHWM ${mib(peak.hwmKb)} MiB, ${mib(hwmAtStart)} MiB before load)`,
      `  cpu          server ${serverCpu.toFixed(2)} s (user ${serverUser.toFixed(2)}, sys ${serverSys.toFixed(2)}; ${((serverCpu / elapsedS) * 100).toFixed(0)}% of one core, ${availableParallelism()} cores), load generator ${clientCpu.toFixed(2)} s (${((clientCpu / elapsedS) * 100).toFixed(0)}%)`,
      `  cpu/message  server ${cpuMsPerMessage.toFixed(2)} ms per message (${cpuMsPerMiB.toFixed(2)} ms per MiB received): the figure to compare on a shared machine`,
      `  delivered    ${delivered} of ${res.ok} in ${SINK} Maildir/new (waited ${(deliveryWaitMs / 1000).toFixed(1)} s); spool queue ${queued}, incoming ${incoming}, failed ${failedDir}` +
        (drained ? ' — drained' : ' — NOT DRAINED'),
    ];
    if (scrape) out.push(`  metrics      ${scrapeLine(scrape)}`);
    if (authResults !== undefined) out.push(`  sender auth  a delivered message says: ${authResults.replace(/\s+/g, ' ')}${authPassed ? '' : '  — CHECKS DID NOT PASS'}`);
    if (errorKinds.length) {
      out.push(`  error replies (${errorKinds.length} kind(s)):`);
      for (const e of errorKinds.slice(0, 20)) out.push(`    ${String(e.count).padStart(6)} x ${e.what}`);
      if (errorKinds.length > 20) out.push(`    … and ${errorKinds.length - 20} more kinds`);
    }
    process.stdout.write(out.join('\n') + '\n');
  }
  const scrapeOk = !scrape || (scrape.failures === 0 && scrape.sawCounters);
  return res.errors || res.connectErrors || !drained || res.aborted || !authPassed || !scrapeOk ? 1 : 0;
}

/** --sender-auth: the Authentication-Results field of one delivered message (proof the checks ran and passed). */
function deliveredAuthResults(sp: ServerProcess): string {
  const dir = sp.maildirNew();
  let name: string | undefined;
  try {
    name = readdirSync(dir)[0];
  } catch {
    name = undefined;
  }
  if (!name) return 'no message delivered';
  const text = readFileSync(join(dir, name), 'latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n') + 2);
  return /^Authentication-Results:((?:[^\r\n]*)(?:\r\n[ \t][^\r\n]*)*)/im.exec(head)?.[1].trim() ?? 'no Authentication-Results field';
}

async function idleMode(o: BenchOptions, sp: ServerProcess, maxConn: number): Promise<number> {
  const k = o.idle!;
  const mem = new MemSampler(sp.pid).start();
  const r = await runIdle(sp.port, k, mem, Date.now() + o.timeLimitS * 1000);
  mem.stop();
  // Exit status reports failures to measure (connections refused or dropped), not a missed target.
  const ok = r.opened === k && r.stillOpen === r.opened;
  const failures = [...r.failures].map(([what, count]) => ({ what, count }));
  if (o.json) {
    process.stdout.write(
      JSON.stringify({
        mode: 'idle',
        settings: { idle: k, timeLimitS: o.timeLimitS, pregreetWaitMs: 0, logLevel: LOG_LEVEL },
        opened: r.opened,
        failed: r.failed,
        stillOpen: r.stillOpen,
        openMs: Math.round(r.openMs),
        serverRssKb: { before: r.rssBeforeKb, after: r.rssAfterKb, peak: mem.maxRssKb, hwm: mem.hwmKb },
        bytesPerIdleConnection: Math.round(r.bytesPerConnection),
        targetBytes: IDLE_TARGET_BYTES,
        withinTarget: r.bytesPerConnection <= IDLE_TARGET_BYTES,
        timedOut: r.timedOut,
        failures,
      }) + '\n',
    );
  } else {
    const out = [
      `Rampart benchmark: memory per idle connection (${k} connections)`,
      `  server       ${serverLine(sp, o, maxConn)}`,
      `  connections  opened ${r.opened} of ${k} (greeting + EHLO each) in ${(r.openMs / 1000).toFixed(2)} s, failed ${r.failed}, still open after 2 s idle: ${r.stillOpen}` +
        (r.timedOut ? '  STOPPED BY TIME LIMIT' : ''),
      `  server RSS   before ${mib(r.rssBeforeKb)} MiB, after ${mib(r.rssAfterKb)} MiB (VmRSS, 2 s after the last EHLO); peak ${mib(mem.maxRssKb)} MiB`,
      `  per idle connection  ${Math.round(r.bytesPerConnection)} bytes (${(r.bytesPerConnection / 1024).toFixed(1)} KiB) = (after - before) / ${r.opened}; target <= ${IDLE_TARGET_BYTES} bytes: ${r.bytesPerConnection <= IDLE_TARGET_BYTES ? 'met' : 'NOT MET'}`,
    ];
    for (const f of failures.slice(0, 10)) out.push(`    ${String(f.count).padStart(6)} x ${f.what}`);
    process.stdout.write(out.join('\n') + '\n');
  }
  return ok ? 0 : 1;
}

/** --cpu-prof: the top 15 functions by self time of the profile the server wrote at exit (stderr with --json). */
function printProfile(dir: string, json: boolean): void {
  const out = json ? process.stderr : process.stdout;
  const path = newestProfile(dir);
  if (!path) {
    process.stderr.write(`bench: no .cpuprofile in ${dir} (did the server exit normally?)\n`);
    return;
  }
  out.write(`server profile ${path} (whole process life, start-up included):\n${summarizeFile(path, 15)}\n`);
}

async function main(argv: string[]): Promise<number> {
  let o: BenchOptions | undefined;
  try {
    o = parseOptions(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`bench: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (!o) return 0;
  const maxConn = Math.max(1000, o.concurrency, o.idle ?? 0) + 100;
  const sink = o.relay ? await startRelaySink(o.messages) : undefined;
  let factory = messageFactory(o.size);
  let auth: SenderAuthBench | undefined;
  if (o.senderAuth) {
    auth = await startSenderAuthBench(factory, HOST, o.senderAuth === 'on');
    factory = prefixed(factory, auth.signature);
  }
  let sp: ServerProcess;
  try {
    sp = await ServerProcess.start({
      maxConnections: maxConn,
      maxMessageSize: Math.max(DEFAULT_MAX_MESSAGE, o.size * 2),
      cpuProfDir: o.cpuProfDir,
      relay: sink ? { sinkPort: sink.port, connections: o.relayConnections } : undefined,
      limitsYaml: auth ? ['  maxConnectionRatePerIp: 0'] : undefined,
      yaml: auth?.yaml,
      admin: o.scrapeMetrics,
    });
  } catch (e) {
    await sink?.stop();
    await auth?.stop();
    throw e;
  }
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      const st = await sp.stop();
      await sink?.stop();
      await auth?.stop();
      if (st.killed) process.stderr.write('bench: the server did not stop within 5 s of SIGTERM; killed\n');
      if (o!.cpuProfDir) printProfile(o!.cpuProfDir, o!.json);
      if (o!.keep) process.stderr.write(`bench: data kept in ${sp.tmp}\n`);
      else await sp.removeData();
    })());
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const code = sink ? await relayMode(o, sp, sink, serverLine(sp, o, maxConn)) : o.idle !== undefined ? await idleMode(o, sp, maxConn) : await loadMode(o, sp, maxConn, factory);
    if (sp.exit) {
      process.stderr.write(`bench: the server exited during the run (${JSON.stringify(sp.exit)}); last output:\n${sp.output().join('\n')}\n`);
      return 1;
    }
    if (code && sp.outputLines) process.stderr.write(`bench: last server output:\n${sp.output().join('\n')}\n`);
    return code;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main(process.argv.slice(2)).then(
  // Exit explicitly: a half-closed socket must not keep the benchmark alive.
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
