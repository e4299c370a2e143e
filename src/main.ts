// Wires config -> directory, spool, scheduler (with its transports), policy,
// listeners, the admin listener and metrics; handles SIGHUP (reload: new
// snapshot for new sessions, certificates, DNS and log level too, no connection
// dropped) and
// SIGTERM (drain: stop listening, let transactions finish, then close).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Server, AddressInfo } from 'node:net';
import { loadConfigFile, ConfigError, type Listener, type Snapshot } from './config/load.js';
import { createLogger, type Logger } from './log/logger.js';
import { Directory } from './directory/store.js';
import { ensureDemo } from './directory/demo.js';
import { Spool } from './spool/spool.js';
import { Scheduler, realClock, type Clock } from './scheduler/scheduler.js';
import type { TransportMap } from './scheduler/dispatcher.js';
import { createMaildirTransport } from './delivery/maildir-transport.js';
import { createDiscardTransport } from './delivery/discard-transport.js';
import { createSmtpTransport } from './delivery/smtp-transport.js';
import { channelWarnings } from './delivery/channel-checks.js';
import type { Endpoint } from './delivery/own-endpoints.js';
import { PolicyRunner } from './policy/runner.js';
import { builtinChecks, withPlugins } from './policy/checks.js';
import { loadTls } from './listener/tls-context.js';
import { ConnectionLimits } from './listener/connection-limits.js';
import { startListener } from './listener/server.js';
import type { SmtpSession, SessionDeps } from './smtp/session.js';
import { openStore } from './state/open-store.js';
import { NodeDnsResolver, type DnsResolver } from './dns/resolver.js';
import { cachingResolver } from './dns/caching-resolver.js';
import { AbuseEvents } from './policy/abuse.js';
import { postmasterDomain } from './policy/rcpt/recipient-domain.js';
import { AccessList } from './state/access-list.js';
import { startAutoDeny } from './policy/auto-deny.js';
import { networkWarnings } from './policy/networks.js';
import { keepRestartOnly, restartOnlyChanges } from './config/restart-only.js';
import { RedisStore } from './state/redis-store.js';
import type { CountingStore } from './state/store-errors.js';
import { DecisionEvents } from './policy/decision-events.js';
import { PolicyEngine } from './policy/session-policy.js';
import type { Check, PolicyDeps } from './policy/types.js';
import { SpoolFreeSpace } from './spool/free-space.js';
import { Metrics } from './metrics/metrics.js';
import { instrumentDns } from './metrics/instrument.js';
import { observe } from './metrics/observe.js';
import { startAdmin, type AdminServer } from './admin/server.js';
import { removeRuntime, writeRuntime } from './admin/runtime-file.js';

export interface StartOptions {
  configPath?: string;
  /** Handle SIGHUP/SIGTERM/SIGINT (the CLI does; tests don't). */
  signals?: boolean;
  log?: Logger;
  /** Time for the scheduler and the policy checks (rate windows, greylisting); tests pass a FakeClock. */
  clock?: Clock;
  /** Where to print the listeners, the demo mailbox and how to reach it (the CLI passes its stderr). */
  announce?: { write(s: string): unknown };
  /** Plugin checks (registered with registerCheck first); each runs after the built-ins of its stage. */
  checks?: readonly Check[];
}

export interface RunningServer {
  config(): Snapshot;
  /** Bound ports by listener name (resolves port 0). */
  ports: Record<string, number>;
  directory: Directory;
  /** The shared store, wrapped so that its failures are counted (state/store-errors.ts). */
  store: CountingStore;
  dns: DnsResolver;
  abuse: AbuseEvents;
  /** Every decision and mark, published once by finalize() (metrics and the admin API subscribe). */
  decisions: DecisionEvents;
  /** R2 allow/deny lists (H6 adds to the deny list). */
  access: AccessList;
  spool: Spool;
  scheduler: Scheduler;
  metrics: Metrics;
  /** Bound port of the admin listener (admin.port 0 resolved); absent without one. */
  adminPort?: number;
  log: Logger;
  demo?: { address: string; password: string };
  reload(): Snapshot;
  stop(): Promise<void>;
  /** Resolves when stop() has finished (SIGTERM/SIGINT call it when `signals` is on). */
  stopped: Promise<void>;
}

export async function startServer(initial: Snapshot, opts: StartOptions = {}): Promise<RunningServer> {
  let config = initial;
  const log = opts.log ?? createLogger(config.log.level);
  mkdirSync(config.dataDir, { recursive: true });
  const directory = Directory.open(config.directoryPath);
  const demo = config.directory.demo ? await ensureDemo(directory, config.directory.demo) : undefined;
  const tls = await loadTls(config);
  const metrics = new Metrics();
  // One counting decorator around the store (openStore's CountingStore); the metrics read its counts.
  const store = await openStore(config);
  metrics.watchStore(store);
  // Queries go through the counting proxy; reload reconfigures the resolver itself.
  // The answer cache sits above the counting proxy: the metrics count questions really asked.
  const resolver = new NodeDnsResolver(config.dns);
  const dns = cachingResolver(instrumentDns(resolver, metrics), () => config.dns.cache, (opts.clock ?? realClock).now);
  const decisions = new DecisionEvents();
  const spool = new Spool(join(config.dataDir, 'spool'));
  const queued = await spool.open();
  const servers: Server[] = [];
  // Q1-Q3 transports by channel transport name. One network transport serves smtp and
  // lmtp (one connection pool); it reads hostname and delivery.timeouts/connectionCache
  // at each use, so a reload applies. The scheduler starts before the listeners bind:
  // loop detection asks for our endpoints at each route (configured, then bound).
  const ownEndpoints = (): Endpoint[] => {
    const out = config.listeners.flatMap((l) => l.addresses.map((address) => ({ address, port: l.port })));
    for (const s of servers) {
      const a = s.address();
      if (a && typeof a === 'object') out.push({ address: a.address, port: a.port });
    }
    return out;
  };
  const smtp = createSmtpTransport({ dns, log, ownEndpoints, settings: () => ({ hostname: config.hostname, ...config.delivery }) });
  const transports: TransportMap = {
    maildir: createMaildirTransport({ dataDir: () => config.dataDir, log, directory, quarantineFolder: () => config.score.quarantineFolder }),
    discard: createDiscardTransport({ log }),
    smtp,
    lmtp: smtp,
  };
  for (const warning of channelWarnings(config.channels)) log.warn({ event: 'config', warning }, 'configuration warning');
  // Deliveries are counted at the scheduler/transport boundary (metrics/delivery-metrics.ts).
  const scheduler = await Scheduler.open({ config, spool, directory, log, clock: opts.clock ?? realClock, transports: metrics.delivery.instrument(transports) }, queued); // also takes spool.onQueued
  metrics.delivery.watchQueue(scheduler);
  const policy = new PolicyRunner(withPlugins(builtinChecks, opts.checks));
  const limits = new ConnectionLimits(config.limits.maxConnections, config.limits.maxConnectionsPerIp);
  const sessions = new Set<SmtpSession>();
  const abuse = new AbuseEvents();
  // R2: allow/deny lists, an in-memory index over the store, refreshed when another node or
  // the CLI changes them; until loaded, connections get 421 4.3.0. H6 adds to the deny list.
  const access = new AccessList(store);
  access.onError = (e) => log.error({ event: 'access', err: e.message }, 'access lists: refresh from the store failed; keeping the last copy');
  await access.load().catch((e: Error) => access.onError(e));
  access.startRefresh(config.access.refreshMs);
  startAutoDeny({ abuse, access, store, config: () => config, log });
  observe(metrics, { decisions, abuse, access, spool });
  const spoolSpace = new SpoolFreeSpace(spool.root); // P5 spool.minFreeBytes: statfs, cached 1 s
  const clock = opts.clock ?? realClock;
  const policyDeps: PolicyDeps = { directory, store, dns, abuse, events: decisions, log, now: () => clock.now(), access, spoolSpace };
  const engine = new PolicyEngine(policy, policyDeps);
  const auth = { verify: (user: string, pw: string) => directory.verifyPassword(user, pw) };

  const host = {
    limits,
    observer: metrics,
    sessions,
    sessionDeps(listener: Listener): SessionDeps {
      // Each new session takes the snapshot current at its start (reload never changes a live session).
      const l = config.listeners.find((x) => x.name === listener.name) ?? listener;
      return { config, listener: l, policy: engine, submitter: spool, auth, tls, log, observer: metrics.smtp };
    },
  };

  const ports: Record<string, number> = {};
  let admin: AdminServer | undefined;
  let stopping: Promise<void> | undefined;
  try {
    for (const l of config.listeners) {
      const s = await startListener(l, host);
      servers.push(...s);
      ports[l.name] = (s[0].address() as AddressInfo).port;
    }
    const serving = () => !stopping && servers.every((s) => s.listening);
    if (config.admin) admin = await startAdmin({ config: () => config, directory, access, store, spoolDir: spool.root, log, metrics, decisions, reload: () => reload(), serving }, config.admin);
  } catch (e) {
    for (const s of servers) s.close();
    await scheduler.stop();
    await spool.close();
    access.close();
    directory.close();
    await store.close();
    throw new Error(`cannot start listeners: ${(e as Error).message}`);
  }
  const pmDomain = postmasterDomain(config);
  if (!directory.lookupRecipient('postmaster', pmDomain)) {
    log.warn({ event: 'start', postmaster: `postmaster@${pmDomain}` }, `the bare <postmaster> (RFC 5321 4.5.1) is refused until postmaster@${pmDomain} exists: add that mailbox or alias, or set postmasterDomain`);
  }
  if (admin && config.admin) {
    // How the CLI finds this server and its token (src/admin/runtime-file.ts).
    try {
      writeRuntime(config.dataDir, config.admin.addresses[0], admin.port, directory.tokens);
    } catch (e) {
      log.warn({ event: 'start', err: (e as Error).message }, 'cannot write the runtime file for the CLI (dataDir/run/); the CLI will work on the files');
    }
  }
  log.info({ event: 'start', source: config.source, listeners: ports, queued: queued.length }, 'rampart started');
  for (const warning of networkWarnings(config)) log.warn({ event: 'config', warning }, 'configuration warning');

  // SIGHUP: a new snapshot for new sessions. TLS certificates are read again (a renewal
  // needs no restart), DNS settings, store timeout and log level apply at once; what
  // cannot change live is named in the log and keeps its running value.
  const reload = (): Snapshot => {
    if (!opts.configPath) throw new ConfigError('embedded default', ['reload needs a configuration file (--config)']);
    const loaded = loadConfigFile(opts.configPath);
    const moved = loaded.listeners.filter((l) => {
      const old = config.listeners.find((o) => o.name === l.name);
      return !old || old.port !== l.port || old.addresses.join() !== l.addresses.join() || old.kind !== l.kind;
    });
    if (moved.length || loaded.listeners.length !== config.listeners.length) {
      log.warn({ event: 'reload', listeners: moved.map((l) => l.name) }, 'listener addresses or ports changed: restart to apply them');
    }
    for (const key of restartOnlyChanges(config, loaded)) log.warn({ event: 'reload', key }, `${key} changed: restart to apply`);
    const next = keepRestartOnly(config, loaded);
    try {
      tls.reload(next);
    } catch (e) {
      log.error({ event: 'reload', key: 'tls', err: (e as Error).message }, 'tls: cannot load the certificate; keeping the running one');
    }
    try {
      resolver.configure(next.dns);
      // Other servers may answer otherwise (a split view): no answer of the old ones is kept.
      if (JSON.stringify(next.dns.servers) !== JSON.stringify(config.dns.servers)) dns.cache.clear();
    } catch (e) {
      log.error({ event: 'reload', key: 'dns', err: (e as Error).message }, 'dns: cannot apply the resolver settings; keeping the running ones');
    }
    if (store.inner instanceof RedisStore) store.inner.setCommandTimeout(next.state.commandTimeoutMs);
    config = next;
    limits.update(config.limits.maxConnections, config.limits.maxConnectionsPerIp);
    scheduler.setConfig(config);
    access.startRefresh(config.access.refreshMs);
    for (const warning of [...networkWarnings(config), ...channelWarnings(config.channels)]) log.warn({ event: 'config', warning }, 'configuration warning');
    log.info({ event: 'reload', source: config.source, logLevel: config.log.level, certificate: tls.certPath }, 'configuration reloaded');
    log.level = config.log.level; // after the line above, so a quieter level still shows the reload
    return config;
  };

  let markStopped!: () => void;
  const stopped = new Promise<void>((r) => (markStopped = r));
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      log.info({ event: 'stop', sessions: sessions.size }, 'draining');
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))).concat(drain()));
      await admin?.close(); // after the drain: /readyz says 503 while it lasts
      if (admin) removeRuntime(config.dataDir, directory.tokens);
      await scheduler.stop();
      await spool.close();
      access.close();
      directory.close();
      await store.close();
      log.info({ event: 'stop' }, 'stopped');
    })().finally(markStopped));

  // Idle sessions get 421 now; busy ones after their current command, or at the deadline.
  const drain = async (): Promise<void> => {
    for (const s of sessions) s.shutdown();
    const deadline = Date.now() + config.timeouts.shutdownMs;
    while (sessions.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const s of sessions) s.close('shutdown deadline');
  };

  if (opts.signals) {
    process.on('SIGHUP', () => {
      try {
        reload();
      } catch (e) {
        log.error({ event: 'reload', err: (e as Error).message }, 'reload refused; keeping the running configuration');
      }
    });
    const onTerm = () => void stop();
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onTerm);
  }

  if (opts.announce) announce(opts.announce, config, ports, demo, admin?.port);

  return { config: () => config, ports, directory, store, dns, abuse, decisions, access, spool, scheduler, metrics, adminPort: admin?.port, log, demo, reload, stop, stopped };
}

function announce(out: { write(s: string): unknown }, config: Snapshot, ports: Record<string, number>, demo: { address: string; password: string } | undefined, adminPort: number | undefined): void {
  const lines = [`Rampart is running (${config.source}); data in ${config.dataDir}`];
  for (const l of config.listeners) lines.push(`  ${l.name.padEnd(12)} ${l.addresses.join(', ')} port ${ports[l.name]}`);
  if (config.admin && adminPort !== undefined) lines.push(`  ${'admin API'.padEnd(12)} ${config.admin.addresses.join(', ')} port ${adminPort} (a token: rampart admin token create --name me)`);
  if (demo) {
    lines.push(`Demo mailbox: ${demo.address}  (password: ${demo.password}, shown once)`);
  }
  const mx = config.listeners.find((l) => l.kind === 'mx');
  const mailbox = demo?.address ?? (config.directory.demo ? `${config.directory.demo.mailbox}@${config.directory.demo.domain}` : undefined);
  if (mx && mailbox) {
    lines.push(`Send it a message:  swaks --server ${mx.addresses[0]}:${ports[mx.name]} --to ${mailbox}`);
    const [local, domain] = mailbox.split('@');
    lines.push(`It lands in:        ${join(config.dataDir, 'mail', domain, local, 'Maildir', 'new')}`);
  }
  out.write(lines.join('\n') + '\n');
}
