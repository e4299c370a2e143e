// SMTP session metrics, observed once per session and once per message at its end
// (the session's SessionObserver, src/smtp/ports.ts), never per line or chunk:
// closes by bounded reason, commands by verb, octets read, session length, DATA
// size and end-of-data latency (from the final dot to the reply: eod checks,
// commit and fsync included).

import { Counter, Histogram, type Registry } from 'prom-client';
import type { SessionObserver, SessionStats } from '../smtp/ports.js';

/** The session's logged close reasons as a bounded label set. */
export function closeReasonLabel(reason: string): string {
  if (reason === 'quit') return 'quit';
  if (reason.startsWith('client disconnected')) return 'client_disconnected';
  if (reason.startsWith('timeout')) return 'timeout';
  if (reason.startsWith('shutdown')) return 'shutdown';
  if (reason.startsWith('socket error')) return 'socket_error';
  if (reason === 'internal error') return 'internal_error';
  if (reason === 'bad BDAT syntax') return 'protocol_error';
  // A policy drop: "<stage> <check>", "too many failed commands" (H5), "pregreet" (P4), "large message safety" (S4).
  return 'policy_drop';
}

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class SessionMetrics implements SessionObserver {
  readonly closes: Counter<'listener' | 'reason'>;
  readonly commands: Counter<'listener' | 'verb'>;
  readonly bytesIn: Counter<'listener'>;
  readonly sessionSeconds: Histogram<'listener'>;
  readonly dataBytes: Histogram<'listener'>;
  readonly eodSeconds: Histogram<'listener' | 'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.closes = new Counter({ name: 'rampart_smtp_sessions_closed_total', help: 'SMTP sessions ended, by listener and close reason: quit, client_disconnected, timeout, shutdown, socket_error, policy_drop (a decision closed it: H5, P4 pregreet, S4, a drop at any stage), protocol_error, internal_error.', labelNames: ['listener', 'reason'], registers });
    this.commands = new Counter({ name: 'rampart_smtp_commands_total', help: 'SMTP commands received, by listener and verb (unknown verbs as OTHER); counted when the session ends.', labelNames: ['listener', 'verb'], registers });
    this.bytesIn = new Counter({ name: 'rampart_smtp_received_bytes_total', help: 'Octets read from SMTP clients (commands and message data), by listener; counted when the session ends.', labelNames: ['listener'], registers });
    this.sessionSeconds = new Histogram({ name: 'rampart_smtp_session_duration_seconds', help: 'Length of SMTP sessions, from the accepted connection to its close.', labelNames: ['listener'], buckets: SECONDS, registers });
    this.dataBytes = new Histogram({ name: 'rampart_smtp_data_bytes', help: 'Octets of each message received to its end of data (DATA or BDAT), queued or refused.', labelNames: ['listener'], buckets: [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864], registers });
    this.eodSeconds = new Histogram({ name: 'rampart_smtp_eod_duration_seconds', help: 'End-of-data latency: from the end of the message to the reply (end-of-data checks, spool commit and fsync), by outcome (queued, refused).', labelNames: ['listener', 'outcome'], buckets: SECONDS, registers });
  }

  endOfData(listener: string, bytes: number, seconds: number, queued: boolean): void {
    this.dataBytes.observe({ listener }, bytes);
    this.eodSeconds.observe({ listener, outcome: queued ? 'queued' : 'refused' }, seconds);
  }

  sessionEnded(s: SessionStats): void {
    this.closes.inc({ listener: s.listener, reason: closeReasonLabel(s.closeReason) });
    for (const [verb, n] of s.commands) this.commands.inc({ listener: s.listener, verb }, n);
    if (s.bytesIn > 0) this.bytesIn.inc({ listener: s.listener }, s.bytesIn);
    this.sessionSeconds.observe({ listener: s.listener }, s.seconds);
  }
}
