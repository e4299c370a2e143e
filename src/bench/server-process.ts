// Runs Rampart as a child process for the benchmark: a temporary data directory,
// a generated YAML config (one mx listener on loopback, free port, no pre-greet
// wait, log level warn; in relay mode the smtp channel sends to the bench's sink
// as its relay host), the sink mailbox created through the CLI, then
// `rampart serve`. Memory is read from /proc/<pid>/status.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DOMAIN = 'bench.test';
export const SINK = `sink@${BENCH_DOMAIN}`;
export const LOG_LEVEL = 'warn';
export const HOST = '127.0.0.1';

/** dist/src/bench/server-process.js -> dist/src/cli/rampart.js */
const CLI = fileURLToPath(new URL('../cli/rampart.js', import.meta.url));

export interface ServerSettings {
  /** Raised above concurrency / idle connections so the P4 limits are not what is measured. */
  maxConnections: number;
  maxMessageSize: number;
  /** Run under node --cpu-prof, writing the profile here. */
  cpuProfDir?: string;
  /** Relay mode: remote mail goes to a channel with relay host [127.0.0.1]:sinkPort, at most `connections` at once. */
  relay?: { sinkPort: number; connections: number };
  /** Extra keys under `limits:` (YAML lines, indented) and extra top-level YAML lines (--sender-auth). */
  limitsYaml?: string[];
  yaml?: string[];
  /** Run the admin listener on a free loopback port, /metrics open to loopback (--scrape-metrics). */
  admin?: boolean;
}

export interface MemSample {
  /** VmRSS, kB. */
  rssKb: number;
  /** VmHWM (peak RSS since start), kB. */
  hwmKb: number;
}

/** Reads VmRSS and VmHWM of a process; undefined once it is gone. */
export function readMem(pid: number): MemSample | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(text);
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(text);
  if (!rss || !hwm) return undefined;
  return { rssKb: Number(rss[1]), hwmKb: Number(hwm[1]) };
}

/** Samples a process's memory every `everyMs` and keeps the maximum. */
export class MemSampler {
  maxRssKb = 0;
  hwmKb = 0;
  last: MemSample | undefined;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number, private readonly everyMs = 100) {}

  sample(): MemSample | undefined {
    const m = readMem(this.pid);
    if (m) {
      this.samples++;
      this.last = m;
      if (m.rssKb > this.maxRssKb) this.maxRssKb = m.rssKb;
      if (m.hwmKb > this.hwmKb) this.hwmKb = m.hwmKb;
    }
    return m;
  }

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }
}

/** A free TCP port on loopback: listen on port 0, read it, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: HOST });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ServerProcess {
  private readonly tail: string[] = [];
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Lines the server wrote (logs at warn and above, announcements). */
  outputLines = 0;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly tmp: string,
    readonly dataDir: string,
    readonly configPath: string,
    /** The admin listener's port (settings.admin). */
    readonly adminPort?: number,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve({ code, signal });
      });
    });
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        this.outputLines++;
        this.tail.push(line.length > 400 ? line.slice(0, 400) + '…' : line);
        if (this.tail.length > 40) this.tail.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The last lines the server printed (for error reports). */
  output(): string[] {
    return [...this.tail];
  }

  maildirNew(): string {
    return join(this.dataDir, 'mail', BENCH_DOMAIN, 'sink', 'Maildir', 'new');
  }

  /** Files in a directory of the data dir (0 when it does not exist). */
  count(dir: string): number {
    try {
      return readdirSync(dir).length;
    } catch {
      return 0;
    }
  }

  static async start(settings: ServerSettings): Promise<ServerProcess> {
    const tmp = await mkdtemp(join(tmpdir(), 'rampart-bench-'));
    try {
      const dataDir = join(tmp, 'data');
      const configPath = join(tmp, 'rampart.yaml');
      const port = await freePort();
      const adminPort = settings.admin ? await freePort() : undefined;
      const yaml = [
        `# written by src/bench/server-process.ts`,
        `hostname: ${BENCH_DOMAIN}`,
        `dataDir: ${JSON.stringify(dataDir)}`,
        `listeners:`,
        `  - name: mx`,
        `    kind: mx`,
        `    addresses: ["${HOST}"]`,
        `    port: ${port}`,
        `    pregreetWaitMs: 0`,
        `limits:`,
        `  maxConnections: ${settings.maxConnections}`,
        `  maxConnectionsPerIp: ${settings.maxConnections}`,
        `  maxMessageSize: ${settings.maxMessageSize}`,
        ...(settings.limitsYaml ?? []),
        `log:`,
        `  level: ${LOG_LEVEL}`,
        ...(settings.relay
          ? [
              `channels:`,
              `  smtp:`,
              `    relayHost: "[${HOST}]:${settings.relay.sinkPort}"`,
              `    concurrency: ${settings.relay.connections}`,
              `    maxConnections: ${settings.relay.connections}`,
            ]
          : []),
        ...(adminPort ? [`admin:`, `  addresses: ["${HOST}"]`, `  port: ${adminPort}`, `  metricsNetworks: ["${HOST}/32"]`] : []),
        ...(settings.yaml ?? []),
        ``,
      ].join('\n');
      await writeFile(configPath, yaml);
      const cli = (...args: string[]) => execFileSync(process.execPath, [CLI, '-c', configPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000 });
      try {
        cli('domain', 'add', BENCH_DOMAIN);
        cli('user', 'add', SINK, '--password', 'bench-sink-password');
      } catch (e) {
        const err = e as Error & { stderr?: Buffer };
        throw new Error(`rampart CLI failed: ${err.stderr?.toString().trim() || err.message}`);
      }
      const nodeArgs = settings.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfDir}`] : [];
      const child = spawn(process.execPath, [...nodeArgs, CLI, '-c', configPath, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const sp = new ServerProcess(child, port, tmp, dataDir, configPath, adminPort);
      // Bounded wait for the listener (first start generates a self-signed TLS key).
      for (let i = 0; ; i++) {
        if (sp.exit) throw new Error(`server exited during start-up (${JSON.stringify(sp.exit)}):\n${sp.output().join('\n')}`);
        if (await canConnect(port)) break;
        if (i >= 300) {
          await sp.stop();
          throw new Error(`server did not accept connections on ${HOST}:${port} within 30 s:\n${sp.output().join('\n')}`);
        }
        await sleep(100);
      }
      return sp;
    } catch (e) {
      await rm(tmp, { recursive: true, force: true }).catch(() => {});
      throw e;
    }
  }

  /** SIGTERM, then SIGKILL after 5 s. Returns whether SIGKILL was needed. */
  async stop(): Promise<{ killed: boolean; code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exit) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => {
        if (!this.exit) this.child.kill('SIGKILL');
      }, 5000);
      await this.exited;
      clearTimeout(t);
      return { killed: this.exit!.signal === 'SIGKILL', ...this.exit! };
    }
    return { killed: false, ...this.exit };
  }

  async removeData(): Promise<void> {
    await rm(this.tmp, { recursive: true, force: true });
  }
}
