// The narrow interfaces the session's helpers work through (DATA/BDAT, STARTTLS,
// AUTH): the transaction, a reply/close port and the few services each needs.
// SmtpSession implements them; helpers never see the whole session.

import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Decision } from '../core/decision.js';
import type { Envelope, SessionInfo } from '../core/envelope.js';
import type { Submitter } from '../core/submission.js';
import type { Snapshot } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { SessionPolicy } from '../policy/types.js';
import type { SocketInput } from './input.js';
import type { BdatState } from './intake.js';

/** How a helper answers the client and ends the connection. */
export interface ReplyPort {
  /** A reply that is no refusal of the client's doing (never counted by H5). */
  reply(code: number, enhanced: string | undefined, ...lines: string[]): void;
  /** A protocol error caused by the client's input (syntax, sequence): counted by H5. */
  protocolError(code: number, enhanced: string, text: string): void;
  /** Answers with a finalized decision; H5 counts it only when the client caused it (fault 'client'). */
  answer(d: Decision): void;
  flush(): void;
  close(reason: string): void;
  /** Stops reading from the socket at once (unread input stays unread). */
  stopReading(): void;
  /** Stops reading and destroys the socket after `graceMs` (0: now) (S4 break-off, BDAT drop). */
  breakConnection(graceMs: number): void;
  readonly isClosed: boolean;
}

/** The current mail transaction. */
export interface Transaction {
  envelope: Envelope | undefined;
  bdat: BdatState | undefined;
  /** Ends the transaction (RSET, after the end of data, after a break-off). */
  reset(): void;
}

/** What receiving DATA/BDAT needs. */
export interface DataPort extends ReplyPort {
  readonly info: SessionInfo;
  readonly config: Snapshot;
  readonly input: SocketInput;
  readonly tx: Transaction;
  readonly policy: SessionPolicy;
  readonly submitter: Submitter;
  readonly log: Logger;
  /** One more message queued in this session (for the connection log line). */
  messageQueued(): void;
  /** A message reached its end of data: octets received, when the end arrived (hrtime), whether it was queued (metrics). */
  dataEnded(bytes: number, endedAt: bigint, queued: boolean): void;
}

/** What one session looked like, reported once when it ends (metrics). */
export interface SessionStats {
  listener: string;
  /** The session's close reason as logged ("quit", "timeout", "rcpt rcpt.relay", "socket error: ..."). */
  closeReason: string;
  /** Commands by verb (known verbs; anything else under "OTHER"). */
  commands: ReadonlyMap<string, number>;
  /** Octets read from the client's connection. */
  bytesIn: number;
  seconds: number;
}

/**
 * Told about each session and each message once, at its end, never per line or
 * chunk (the metrics implement it; src/metrics/metrics.ts).
 */
export interface SessionObserver {
  /** Octets of a message that reached its end of data, seconds from that end to the reply, queued or refused. */
  endOfData(listener: string, bytes: number, seconds: number, queued: boolean): void;
  sessionEnded(s: SessionStats): void;
}

export interface TlsProvider {
  readonly available: boolean;
  context(): SecureContext;
}

export interface Authenticator {
  verify(user: string, password: string): Promise<boolean>;
}

/** What STARTTLS and AUTH need. */
export interface AuthPort extends ReplyPort {
  readonly info: SessionInfo;
  readonly config: Snapshot;
  readonly input: SocketInput;
  readonly tx: Transaction;
  readonly policy: SessionPolicy;
  readonly tls: TlsProvider;
  readonly auth: Authenticator;
  readonly log: Logger;
  readonly socket: Socket;
  /** Swaps in the TLS socket and forgets what the client said before (RFC 3207 4.2). */
  startedTls(secure: Socket): void;
}
