// A scheduler on a real spool, journal and Maildir in a temporary folder, with
// the fake clock, for the scheduler's unit tests. Mailboxes alice and bob (and
// the alias team -> both) exist in example.test; the sender is remote unless a
// test says otherwise. Remote mail goes through the real smtp transport and an
// in-process DNS server with no records: every remote domain is NXDOMAIN (5.1.2)
// unless a test puts records in `dns.zone` or passes its own transports.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Scheduler } from './scheduler.js';
import { Spool } from '../spool/spool.js';
import { Directory } from '../directory/store.js';
import { createLogger } from '../log/logger.js';
import { validateConfig } from '../config/load.js';
import type { SpoolEnvelope } from '../core/submission.js';
import { FakeClock } from './fake-clock.js';
import { createMaildirTransport } from '../delivery/maildir-transport.js';
import { createDiscardTransport } from '../delivery/discard-transport.js';
import { createSmtpTransport } from '../delivery/smtp-transport.js';
import { NodeDnsResolver } from '../dns/resolver.js';
import type { TransportMap } from './dispatcher.js';
import { startDns } from '../bench/loopback-dns.js';

export interface QueueOptions {
  from?: string;
  body?: string | Buffer;
  notify?: string[];
  orcpt?: string;
  ret?: string;
  envid?: string;
  smtputf8?: boolean;
  /** Header fields (CRLF lines) stored as the eod stage stores them: behind the message, emitted first. */
  prepend?: string;
}

export type Harness = Awaited<ReturnType<typeof setupScheduler>>;

export async function setupScheduler(over: Record<string, unknown> = {}, opts: { transports?: Partial<TransportMap>; before?: (spoolRoot: string) => void } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-sched-'));
  const config = validateConfig({ hostname: 'mx.rampart.test', dataDir, listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }], ...over }, 'test', dataDir);
  const dir = Directory.open(':memory:');
  dir.addDomain('example.test');
  await dir.addMailbox('alice@example.test');
  await dir.addMailbox('bob@example.test');
  await dir.addMailbox('postmaster@example.test');
  dir.addAlias('team@example.test', ['alice@example.test', 'bob@example.test']);
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger('debug', new Writable({ write(c, _e, cb) { for (const l of c.toString().split('\n')) if (l) logs.push(JSON.parse(l)); cb(); } }));
  const spool = new Spool(join(dataDir, 'spool'));
  opts.before?.(spool.root); // state left by a previous run: flags, queue files, journal
  const queued = await spool.open();
  const clock = new FakeClock();
  const dns = await startDns({ records: {} });
  const resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 1000, tries: 1 });
  /** Fresh transports for each scheduler: stop() closes them. */
  const transports = (): TransportMap => {
    const smtp = createSmtpTransport({ dns: resolver, log, ownEndpoints: () => [], settings: () => ({ hostname: config.hostname, ...config.delivery }) });
    return {
      maildir: createMaildirTransport({ dataDir: () => config.dataDir, log }),
      discard: createDiscardTransport({ log }),
      smtp,
      lmtp: smtp,
      ...opts.transports,
    };
  };
  let spool2 = spool;
  let sched = await Scheduler.open({ config, spool, directory: dir, log, clock, transports: transports() }, queued);
  const queue = async (rcpts: string[], o: QueueOptions = {}) => {
    const env: SpoolEnvelope = {
      mailFrom: o.from ?? 's@remote.test',
      rcpts: rcpts.map((address) => ({ address, notify: o.notify, orcpt: o.orcpt })),
      params: { smtputf8: o.smtputf8 ?? false, ret: o.ret, envid: o.envid },
      client: { ip: '127.0.0.1', listener: 'mx' },
      sessionId: 's',
      receivedAt: clock.t,
    };
    const sink = await spool2.begin(env);
    await sink.write(typeof o.body === 'object' ? o.body : Buffer.from(o.body ?? `Subject: from ${env.mailFrom}\r\nMessage-ID: <m${clock.t}@remote.test>\r\n\r\nhello\r\n`, 'latin1'));
    await sink.commit(o.prepend === undefined ? undefined : Buffer.from(o.prepend, 'latin1'));
    return sink.id;
  };
  /** Messages (whole files, latin1) in a mailbox of example.test. */
  const mailbox = (local: string) => {
    const d = join(dataDir, 'mail/example.test', local, 'Maildir/new');
    return existsSync(d) ? readdirSync(d).sort().map((f) => readFileSync(join(d, f), 'latin1')) : [];
  };
  /** Runs the queue until idle, advancing the fake clock `steps` times by `ms`. */
  const run = async (steps = 0, ms = 1000) => {
    await sched.idle();
    for (let i = 0; i < steps; i++) {
      clock.advance(ms);
      await sched.idle();
    }
  };
  /** Stops the scheduler and starts a new one on the same spool, journal and directory (a restart). */
  const restart = async () => {
    await sched.stop();
    await spool2.close();
    spool2 = new Spool(join(dataDir, 'spool'));
    const ids = await spool2.open();
    sched = await Scheduler.open({ config, spool: spool2, directory: dir, log, clock, transports: transports() }, ids);
  };
  const done = async () => {
    await sched.stop();
    await spool2.close();
    await dns.stop();
    dir.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    dataDir,
    config,
    dir,
    dns,
    logs,
    get spool() {
      return spool2;
    },
    clock,
    get sched() {
      return sched;
    },
    queue,
    mailbox,
    run,
    restart,
    done,
  };
}
