// S4 Large Message Safety benchmark: N clients at once each try to stream a huge
// message into a Rampart child process on loopback. Reports the server's peak RSS
// (VmHWM from /proc/<pid>/status) and, per client, the time from crossing the abort
// threshold to the socket closing, measured client-side.
//
// Two scenarios (both time-bounded):
//   abort    maxMessageSize M, abortOver 3 x M (the default): clients try to send S octets;
//            LMS breaks each connection just past 3 x M.
//   stream   maxMessageSize M, abortOver M + P: each client streams P octets past the
//            point where its message is discarded (S1: counted only, nothing stored), then
//            LMS breaks the connection. Shows that memory stays flat while streaming.
//
//   node dist/src/bench/lms-bench.js [--clients 20] [--size-mb 500] [--max-mb 10] [--timeout-s 240] [--only abort|stream]
//
// thresholdToCloseMs is client-side: from when the client's own count of written content
// octets passes abortOver to 'close'. Octets still in socket buffers (a few MB on loopback)
// must reach the server before it can see the crossing, so this is an upper bound.
// serverReactMs is server-side (from the S4 decision log line): crossing seen -> key
// stored -> socket destroyed.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import { freePort, MemSampler, readMem, HOST } from './server-process.js';
import { SmtpConn } from './smtp-conn.js';

const CLI = fileURLToPath(new URL('../cli/rampart.js', import.meta.url));
const MB = 1024 * 1024;
const DOMAIN = 'lms-bench.test';
const RCPT = `sink@${DOMAIN}`;

interface Options {
  clients: number;
  sizeMb: number;
  maxMb: number;
  timeoutS: number;
  only?: 'abort' | 'stream';
}

function parseArgs(argv: string[]): Options {
  const o: Options = { clients: 20, sizeMb: 500, maxMb: 10, timeoutS: 240 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--clients': o.clients = Number(v); i++; break;
      case '--size-mb': o.sizeMb = Number(v); i++; break;
      case '--max-mb': o.maxMb = Number(v); i++; break;
      case '--timeout-s': o.timeoutS = Number(v); i++; break;
      case '--only': o.only = v as Options['only']; i++; break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  for (const k of ['clients', 'sizeMb', 'maxMb', 'timeoutS'] as const) if (!(o[k] > 0)) throw new Error(`--${k}: expected a positive number`);
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Server {
  /** Server-side ms from crossing abortOver to the socket destroyed, from the S4 decision lines. */
  reactMs: number[];
  pid: number;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

async function startServer(maxMessageSize: number, abortOver: number, clients: number): Promise<Server> {
  const tmp = mkdtempSync(join(tmpdir(), 'rampart-lms-bench-'));
  const dataDir = join(tmp, 'data');
  const configPath = join(tmp, 'rampart.yaml');
  const port = await freePort();
  writeFileSync(
    configPath,
    [
      `hostname: ${DOMAIN}`,
      `dataDir: ${JSON.stringify(dataDir)}`,
      `listeners:`,
      `  - { name: mx, kind: mx, addresses: ["${HOST}"], port: ${port}, pregreetWaitMs: 0 }`,
      `limits:`,
      `  maxConnections: ${clients + 10}`,
      `  maxConnectionsPerIp: ${clients + 10}`,
      `  maxMessageSize: ${maxMessageSize}`,
      `  largeMessageSafety: { enabled: true, abortOver: ${abortOver} }`,
      `log: { level: info }`, // the S4 decision lines carry the server-side reaction time (reactMs)
      ``,
    ].join('\n'),
  );
  const cli = (...args: string[]) => execFileSync(process.execPath, [CLI, '-c', configPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000 });
  cli('domain', 'add', DOMAIN);
  cli('user', 'add', RCPT, '--password', 'lms-bench-sink-password');
  const child = spawn(process.execPath, [CLI, '-c', configPath, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const reactMs: number[] = [];
  let pending = '';
  child.stdout!.on('data', (d: Buffer) => {
    pending += d.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) {
      if (!l.includes('"data.largeMessageSafety"')) continue;
      const r = JSON.parse(l) as { reactMs?: number };
      if (typeof r.reactMs === 'number') reactMs.push(r.reactMs);
    }
  });
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-2000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited: ${err}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ port, host: HOST }, () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) break;
    if (i > 300) throw new Error(`server did not start: ${err}`);
    await sleep(100);
  }
  return {
    reactMs,
    pid: child.pid!,
    port,
    dataDir,
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

interface ClientResult {
  /** Content octets handed to the socket. */
  sent: number;
  /** ms from crossing abortOver (client count) to 'close'; undefined if it never crossed or never closed. */
  closeMs?: number;
  /** Octets written after the crossing (upper bound of what the server had to swallow past it). */
  pastThreshold: number;
  closed: boolean;
  error?: string;
}

/** One client: EHLO/MAIL/RCPT/DATA, then `total` octets of 100-octet lines until the server closes. */
async function client(port: number, id: number, total: number, abortOver: number, deadline: number): Promise<ClientResult> {
  const conn = await SmtpConn.open(port, HOST, 60000);
  const s = conn.socket;
  const res: ClientResult = { sent: 0, pastThreshold: 0, closed: false };
  let crossedAt: number | undefined;
  const closed = new Promise<number>((r) => s.once('close', () => r(performance.now())));
  try {
    const banner = await conn.reply();
    if (banner.code !== 220) throw new Error(`banner ${banner.code}`);
    await conn.command(`EHLO lms-client-${id}.bench.test`);
    // The null sender: no sender-domain lookup (H1) on loopback; the LMS key still differs per client (HELO).
    conn.write(`MAIL FROM:<>\r\nRCPT TO:<${RCPT}>\r\nDATA\r\n`);
    const codes = [(await conn.reply()).code, (await conn.reply()).code, (await conn.reply()).code];
    if (codes.join() !== '250,250,354') throw new Error(`envelope: ${codes.join()}`);
    const line = 'x'.repeat(98) + '\r\n';
    const block = Buffer.from(line.repeat((256 * 1024) / 100 + 1).slice(0, 256 * 1024 - ((256 * 1024) % 100)), 'latin1');
    while (res.sent < total && !conn.closed && Date.now() < deadline) {
      const ok = s.write(block);
      res.sent += block.length;
      if (crossedAt === undefined && res.sent > abortOver) crossedAt = performance.now();
      else if (crossedAt !== undefined) res.pastThreshold += block.length;
      if (!ok && !conn.closed) {
        await new Promise<void>((r) => {
          const done = () => {
            s.off('drain', done);
            s.off('close', done);
            r();
          };
          s.on('drain', done);
          s.on('close', done);
        });
      }
    }
  } catch (e) {
    if (!conn.closed) {
      res.error = (e as Error).message;
      conn.destroy();
    }
  }
  const t = await Promise.race([closed, sleep(Math.max(0, deadline - Date.now())).then(() => undefined)]);
  res.closed = t !== undefined;
  if (t !== undefined && crossedAt !== undefined) res.closeMs = t - crossedAt;
  conn.destroy();
  return res;
}

function pct(xs: number[], p: number): number {
  const a = [...xs].sort((x, y) => x - y);
  return a.length ? a[Math.min(a.length - 1, Math.floor((p / 100) * a.length))] : NaN;
}

async function scenario(name: string, o: Options, maxMessageSize: number, abortOver: number, total: number): Promise<Record<string, unknown>> {
  const server = await startServer(maxMessageSize, abortOver, o.clients);
  const sampler = new MemSampler(server.pid, 50).start();
  const idle = readMem(server.pid);
  const deadline = Date.now() + o.timeoutS * 1000;
  const t0 = Date.now();
  try {
    const results = await Promise.all(Array.from({ length: o.clients }, (_, i) => client(server.port, i, total, abortOver, deadline)));
    const ms = Date.now() - t0;
    await sleep(300);
    sampler.stop();
    const spool = ['incoming', 'queue'].flatMap((d) => {
      try {
        return readdirSync(join(server.dataDir, 'spool', d));
      } catch {
        return [];
      }
    });
    const closeMs = results.flatMap((r) => (r.closeMs === undefined ? [] : [r.closeMs]));
    const past = results.map((r) => r.pastThreshold / MB);
    return {
      scenario: name,
      clients: o.clients,
      maxMessageSizeMb: maxMessageSize / MB,
      abortOverMb: abortOver / MB,
      attemptedPerClientMb: total / MB,
      wallMs: ms,
      sentTotalMb: Math.round(results.reduce((n, r) => n + r.sent, 0) / MB),
      throughputMbPerS: Math.round(results.reduce((n, r) => n + r.sent, 0) / MB / (ms / 1000)),
      closedByServer: results.filter((r) => r.closed).length,
      errors: results.filter((r) => r.error).map((r) => r.error),
      serverIdleRssMb: idle ? Math.round(idle.rssKb / 1024) : undefined,
      serverPeakRssMb: Math.round(sampler.maxRssKb / 1024),
      serverVmHWMMb: Math.round(sampler.hwmKb / 1024),
      serverReactMs: { n: server.reactMs.length, p50: round(pct(server.reactMs, 50)), max: round(Math.max(...server.reactMs)) },
      thresholdToCloseMs: { min: round(Math.min(...closeMs)), p50: round(pct(closeMs, 50)), p99: round(pct(closeMs, 99)), max: round(Math.max(...closeMs)) },
      writtenPastThresholdMb: { min: round(Math.min(...past)), max: round(Math.max(...past)) },
      spoolFilesLeft: spool.length,
    };
  } finally {
    sampler.stop();
    await server.stop();
  }
}

const round = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const max = o.maxMb * MB;
  const out: Array<Record<string, unknown>> = [];
  if (o.only !== 'stream') out.push(await scenario('abort', o, max, 3 * max, o.sizeMb * MB));
  if (o.only !== 'abort') out.push(await scenario('stream', o, max, max + o.sizeMb * MB, max + (o.sizeMb + 20) * MB));
  for (const r of out) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
}

main().catch((e) => {
  process.stderr.write(`lms-bench: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
