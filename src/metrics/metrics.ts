// The Prometheus metrics of one server (prom-client), in a registry of its own so
// that several servers in one process (tests) never share counters. Labels are
// bounded sets taken from the code (listener names, check names, reply codes,
// method names): never an IP address, a sender or a recipient.
// Who feeds what: observe.ts (decision and abuse events, access lists, spool
// commits with their latency, and the connections the listener's guards refused),
// instrument.ts (DNS resolver decorator), the store's own failure counts
// (watchStore), the listener's ConnectionObserver hook (sessions started, implicit
// TLS failures, open sessions), the sessions' observer (session-metrics.ts: one
// report per session and per message) and the transport decorator and queue
// gauges (delivery-metrics.ts).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConnectionObserver, ConnectionOutcome } from '../listener/server.js';

/** The outcome label: the observer's two, and the two the listener's guards decide (observe.ts). */
export type ConnectionOutcomeLabel = ConnectionOutcome | 'refused_limit' | 'proxy_refused';
import type { AccessList } from '../state/access-list.js';
import type { CountingStore, OpErrors } from '../state/store-errors.js';
import { SessionMetrics } from './session-metrics.js';
import { DeliveryMetrics } from './delivery-metrics.js';

/** What the stream gauge reads (src/admin/decision-stream.ts). */
interface StreamSize {
  readonly size: number;
}

export class Metrics implements ConnectionObserver {
  readonly registry = new Registry();
  private access: AccessList | undefined;
  private store: CountingStore | undefined;
  private stream: StreamSize | undefined;

  readonly decisions = new Counter({
    name: 'rampart_decisions_total',
    help: 'Policy decisions by stage, check, action (accept, tempfail, reject, drop, mark), basic reply code and warn mode, from the one finalize().',
    labelNames: ['stage', 'check', 'action', 'code', 'warn'] as const,
    registers: [this.registry],
  });
  readonly connections = new Counter({
    name: 'rampart_connections_total',
    help: 'SMTP connections by listener and outcome: accepted (a session started), refused_limit (P4 connection limits, 421), tls_failed (implicit TLS handshake failed), proxy_refused (R1 bad or missing PROXY header).',
    labelNames: ['listener', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly sessionsOpen = new Gauge({
    name: 'rampart_sessions_open',
    help: 'SMTP sessions open now, by listener.',
    labelNames: ['listener'] as const,
    registers: [this.registry],
  });
  readonly dnsQueries = new Counter({
    name: 'rampart_dns_queries_total',
    help: 'DNS queries of policy checks by record type and result (ok, none, nxdomain, error: timeout or SERVFAIL and the like).',
    labelNames: ['type', 'result'] as const,
    registers: [this.registry],
  });
  readonly dnsDuration = new Histogram({
    name: 'rampart_dns_query_duration_seconds',
    help: 'DNS query latency by record type.',
    labelNames: ['type'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  // The store counts its own failures (CountingStore, src/state/store-errors.ts, around
  // every store openStore() opens); these two copy its counts at each scrape.
  readonly storeErrors: Counter<'op'> = new Counter({
    name: 'rampart_store_errors_total',
    help: 'C1 shared store (embedded SQLite or Redis) operations that failed, by operation.',
    labelNames: ['op'] as const,
    registers: [this.registry],
    collect: () => this.copyStoreCounts(this.storeErrors, 'errors'),
  });
  readonly storeTimeouts: Counter<'op'> = new Counter({
    name: 'rampart_store_timeouts_total',
    help: 'The part of rampart_store_errors_total that hit state.commandTimeoutMs (a Redis that is connected but does not answer), by operation.',
    labelNames: ['op'] as const,
    registers: [this.registry],
    collect: () => this.copyStoreCounts(this.storeTimeouts, 'timeouts'),
  });
  readonly abuseEvents = new Counter({
    name: 'rampart_abuse_events_total',
    help: 'Limits that ended a session (H5 failed-commands, R4 bad-auth, S4 large-message: Large Message Safety aborts), as reported to H6.',
    labelNames: ['kind', 'feature'] as const,
    registers: [this.registry],
  });
  readonly accessAdded = new Counter({
    name: 'rampart_access_entries_added_total',
    help: 'Entries this node added to the R2 allow/deny lists, by list and source (auto: H6 automatic deny).',
    labelNames: ['kind', 'source'] as const,
    registers: [this.registry],
  });
  readonly denyHits = new Counter({
    name: 'rampart_deny_list_hits_total',
    help: 'Connections refused by the R2 deny list on this node, by the source of the entry that matched.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly spoolCommits = new Counter({
    name: 'rampart_spool_commits_total',
    help: 'Messages committed to the spool (fsync\'d, answered 250).',
    registers: [this.registry],
  });
  readonly messageBytes = new Histogram({
    name: 'rampart_spool_message_bytes',
    help: 'Size of each message committed to the spool, in octets (as stored, with the Received header).',
    buckets: [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'rampart_spool_commit_duration_seconds',
    help: 'Spool commit latency: the last write, the file\'s fdatasync, the rename into queue/ and the (grouped) directory fsync, per message.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly fsyncSeconds = new Histogram({
    name: 'rampart_spool_fsync_duration_seconds',
    help: 'fdatasync latency of each committed message file.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  /** The SMTP sessions' observer (SessionDeps.observer). */
  readonly smtp = new SessionMetrics(this.registry);
  /** Queue gauges and the transport decorator. */
  readonly delivery = new DeliveryMetrics(this.registry);

  readonly streamDropped = new Counter({
    name: 'rampart_admin_stream_dropped_total',
    help: 'Live decision stream clients dropped because they did not read fast enough (their queue passed its bound).',
    registers: [this.registry],
  });

  constructor() {
    const self = this;
    new Gauge({
      name: 'rampart_admin_stream_clients',
      help: 'Clients of the live decision stream (GET /api/v1/decisions/stream) connected now.',
      registers: [this.registry],
      collect() {
        this.set(self.stream?.size ?? 0);
      },
    });
    new Gauge({
      name: 'rampart_access_entries',
      help: 'Live entries of the R2 allow/deny lists in this node\'s index, by list and source.',
      labelNames: ['kind', 'source'] as const,
      registers: [this.registry],
      collect() {
        if (!self.access) return;
        for (const kind of ['allow', 'deny'] as const) {
          const n = self.access.countBySource(kind);
          this.set({ kind, source: 'manual' }, n.manual);
          this.set({ kind, source: 'auto' }, n.auto);
        }
      },
    });
    // Node event-loop lag, heap, GC, CPU, file descriptors (standard names, no prefix).
    collectDefaultMetrics({ register: this.registry });
  }

  /** The access lists whose size the gauge reports at each scrape. */
  watchAccess(access: AccessList): void {
    this.access = access;
  }

  /** The live decision stream whose client count the gauge reports. */
  watchStream(stream: StreamSize): void {
    this.stream = stream;
  }

  /** The store whose failure counts the store counters report at each scrape. */
  watchStore(store: CountingStore): void {
    this.store = store;
  }

  private copyStoreCounts(counter: Counter<'op'>, field: keyof OpErrors): void {
    counter.reset();
    for (const [op, n] of this.store?.errors.byOp ?? []) if (n[field] > 0) counter.inc({ op }, n[field]);
  }

  // ConnectionObserver (src/listener/server.ts)
  connection(listener: string, outcome: ConnectionOutcomeLabel): void {
    this.connections.inc({ listener, outcome });
    if (outcome === 'accepted') this.sessionsOpen.inc({ listener });
  }

  closed(listener: string): void {
    this.sessionsOpen.dec({ listener });
  }

  /** The text exposition format for /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
