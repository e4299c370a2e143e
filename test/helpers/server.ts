// Starts a real Rampart server in-process on loopback, on free ports, with its
// data in a fresh temporary directory and a small directory of test users.
// Unless the test sets `dns`, the server resolves through an in-process DNS
// server (src/bench/loopback-dns.ts) so remote delivery never leaves loopback:
// its zone is empty (every remote domain is NXDOMAIN) unless the test fills it.

import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { validateConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/main.js';
import { startDns, type TestDns, type Zone } from '../../src/bench/loopback-dns.js';

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  ports: Record<string, number>;
  /** The in-process DNS server the server resolves through (absent when the test set `dns` itself). */
  dns?: TestDns;
  /** Every JSON log line the server wrote. */
  logs: Array<Record<string, unknown>>;
  /** Messages (full file text) in a mailbox's Maildir/new (or the Maildir++ folder's new/), oldest first. */
  maildir(mailbox: string, folder?: string): string[];
  /** Waits until the scheduler has nothing in delivery. */
  delivered(): Promise<void>;
  stop(): Promise<void>;
}

export const USERS = {
  alice: { address: 'alice@example.test', password: 'alice-secret-pw' },
  bob: { address: 'bob@example.test', password: 'bob-secret-pw' },
};

/** Deep-merges `over` into `base` (arrays are replaced). */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? merge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** `start`: options for startServer beyond the logger (a clock, plugin checks), and the test DNS zone. */
export async function startTestServer(overrides: Record<string, unknown> = {}, start: Omit<StartOptions, 'log'> & { zone?: Zone } = {}): Promise<TestServer> {
  const { zone, ...startOpts } = start;
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-test-'));
  const dns = overrides.dns === undefined ? await startDns(zone ?? { records: {} }) : undefined;
  const base = {
    hostname: 'mx.rampart.test',
    dataDir,
    listeners: [
      { name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0 },
      { name: 'submission', kind: 'submission', addresses: ['127.0.0.1'], port: 0 },
      { name: 'submissions', kind: 'submissions', addresses: ['127.0.0.1'], port: 0 },
    ],
    log: { level: 'info' },
    // H1 is on by default and would send every test's made-up sender domain
    // (client.test, ...) to the system resolver; tests of H1 turn it back on with
    // a test DNS server (test/hygiene/).
    policy: { senderDomainResolvable: false },
    // A1-A3 are on by default and would ask the system resolver about every test's
    // made-up domains; the sender-auth tests (test/sender-auth/) turn them on with a
    // test DNS server.
    senderAuth: { spf: { mode: 'off' }, dkim: { verify: false }, dmarc: { enabled: false } },
    // R1: every test client connects from 127.0.0.1, which the default LAN
    // (127.0.0.1/32, ::1/128) would trust to relay. Tests play clients from the
    // Internet unless they set relay.lanNetworks (e.g. ['127.0.0.1/32']) themselves.
    relay: { lanNetworks: ['192.0.2.0/24'] },
    ...(dns ? { dns: { servers: [dns.server], timeoutMs: 1000, tries: 1 } } : {}),
  };
  let snap;
  try {
    snap = validateConfig(merge(base, overrides), 'test', dataDir);
  } catch (e) {
    await dns?.stop(); // an open socket would keep the test process alive
    throw e;
  }
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const log = createLogger(snap.log.level, sink);
  const server = await startServer(snap, { ...startOpts, log }).catch(async (e: Error) => {
    await dns?.stop();
    throw e;
  });
  const dir = server.directory;
  if (!dir.isLocalDomain('example.test')) {
    dir.addDomain('example.test');
    await dir.addMailbox(USERS.alice.address, USERS.alice.password);
    await dir.addMailbox(USERS.bob.address, USERS.bob.password);
    dir.addAlias('postmaster@example.test', [USERS.alice.address]);
    dir.addAlias('team@example.test', [USERS.alice.address, USERS.bob.address]);
  }
  return {
    server,
    dataDir,
    ports: server.ports,
    dns,
    logs,
    maildir(mailbox: string, folder?: string): string[] {
      const [local, domain] = mailbox.split('@');
      const d = join(dataDir, 'mail', domain, local, 'Maildir', ...(folder ? [`.${folder}`] : []), 'new');
      if (!existsSync(d)) return [];
      return readdirSync(d)
        .sort()
        .map((f) => readFileSync(join(d, f), 'latin1'));
    },
    async delivered() {
      await server.scheduler.idle();
    },
    async stop() {
      await server.stop();
      await dns?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
