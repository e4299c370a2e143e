// Runs Rampart as a real child process through its CLI (`rampart -c file serve`),
// for tests of signals, crashes and restarts (the process itself is the subject).
// It resolves through an in-process DNS server (empty zone unless the test fills
// `dns.zone`), so remote delivery never leaves loopback.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from './cli.js';
import { startDns, type TestDns } from '../../src/bench/loopback-dns.js';

export const CLI = resolve('dist/src/cli/rampart.js');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export class ProcessServer {
  child: ChildProcess | undefined;
  output = '';
  readonly configPath: string;
  /** What the last writeConfig() added, to write the file again with another port. */
  private extra: Record<string, unknown> = {};
  private started = false;

  constructor(
    readonly dir: string,
    /** Chosen free before the server binds it; start() moves it if another process took it first. */
    public port: number,
    readonly dns: TestDns,
  ) {
    this.configPath = join(dir, 'rampart.yaml');
  }

  static async create(extra: Record<string, unknown> = {}): Promise<ProcessServer> {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-proc-'));
    const ps = new ProcessServer(dir, await freePort(), await startDns({ records: {} }));
    try {
      ps.writeConfig(extra);
      await ps.cli('domain', 'add', 'example.test');
      await ps.cli('user', 'add', 'alice@example.test', '--password', 'alice-secret-pw');
    } catch (e) {
      ps.cleanup();
      throw e;
    }
    return ps;
  }

  writeConfig(extra: Record<string, unknown>): void {
    this.extra = extra;
    const cfg = {
      hostname: 'mx.rampart.test',
      dataDir: './data',
      listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: this.port, pregreetWaitMs: 0 }],
      timeouts: { shutdownMs: 3000 },
      dns: { servers: [this.dns.server], timeoutMs: 1000, tries: 1 },
      ...extra,
    };
    writeFileSync(this.configPath, stringify(cfg));
  }

  /** Runs a CLI command in-process (test/helpers/cli.ts) on this server's config; throws unless it exits 0. */
  async cli(...args: string[]): Promise<string> {
    const r = await runCli(args, { config: this.configPath });
    if (r.code !== 0) throw new Error(`rampart ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  /**
   * Starts `serve` and waits for its "Rampart is running" line, printed once every
   * listener is bound (a port probe alone could be answered by another process that
   * took the port between freePort() and the bind). If the first start finds the
   * port taken, it moves to another free port; a restart keeps the port it had.
   */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.spawnServe();
      if (outcome === 'running') {
        this.started = true;
        return;
      }
      if (this.started || attempt === 3 || !/EADDRINUSE/.test(this.output)) throw new Error(`server exited: ${this.output}`);
      this.port = await freePort();
      this.writeConfig(this.extra);
    }
  }

  private async spawnServe(): Promise<'running' | 'exited'> {
    this.output = '';
    const child = spawn(process.execPath, [CLI, '-c', this.configPath, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d) => (this.output += d));
    child.stderr!.on('data', (d) => (this.output += d));
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (this.output.includes('Rampart is running')) return 'running';
      if (child.exitCode !== null) return 'exited';
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    throw new Error(`server did not start: ${this.output}`);
  }

  /** Sends a signal and waits (bounded) for the process to exit; returns its exit code. */
  async signal(sig: NodeJS.Signals, timeoutMs = 10000): Promise<number | null> {
    const child = this.child!;
    if (child.exitCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(sig);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs));
    const res = await Promise.race([exited, timer]);
    if (res === 'timeout') {
      child.kill('SIGKILL');
      throw new Error(`server did not exit after ${sig}`);
    }
    return res;
  }

  /** Waits until the log output contains `text`. */
  async waitForOutput(text: string, timeoutMs = 10000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(text)) {
      if (Date.now() > deadline) throw new Error(`"${text}" not seen in output: ${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  cleanup(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
    void this.dns.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
