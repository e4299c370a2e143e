// The contract between the policy runner, its checks and the SMTP session.

import type { Decision, Verdict } from '../core/decision.js';
import type { Address } from '../core/address.js';
import type { Envelope, SessionInfo } from '../core/envelope.js';
import type { MessageView } from '../core/message-view.js';
import type { Snapshot, Listener } from '../config/load.js';
import type { Directory } from '../directory/store.js';
import type { Logger } from '../log/logger.js';
import type { SharedStore } from '../state/store.js';
import type { DnsResolver } from '../dns/resolver.js';
import type { AbuseEvents } from './abuse.js';
import type { AccessList } from '../state/access-list.js';
import type { Mark } from '../core/mark.js';
import type { DecisionEvents } from './decision-events.js';

import type { Stage, DecisionStage } from './stages.js';

export type { Stage, DecisionStage };

/** Free space on the spool's file system (fs.statfs, cached briefly); see spool/free-space.ts. */
export interface SpoolSpace {
  freeBytes(): Promise<number>;
}

/** Services a check may use; injected so tests can replace them. */
export interface PolicyDeps {
  directory: Directory;
  /** C1 shared state (embedded or Redis). */
  store: SharedStore;
  dns: DnsResolver;
  /** Where limits that were hit are reported (H6 listens); finalize() reports, nobody else. */
  abuse: AbuseEvents;
  /** Every decision and mark, published once by finalize() (metrics, admin API). */
  events: DecisionEvents;
  log: Logger;
  now: () => number;
  /** R2 allow/deny lists (in-memory index over the store); absent in unit tests that don't need it. */
  access?: AccessList;
  /** Free space of the spool's file system (spool.minFreeBytes); absent in unit tests that don't need it. */
  spoolSpace?: SpoolSpace;
}

/** Who a decision is about. Before a session exists (connection limits, PROXY) only an id and the address are known. */
export interface ClientRef {
  id: string;
  remoteAddress: string;
  listener?: { name: string };
  authUser?: string;
}

/** What finalize() needs to log, count, publish and report one decision. */
export interface DecisionScope {
  readonly stage: DecisionStage;
  readonly config: Snapshot;
  readonly session: Readonly<ClientRef>;
  readonly envelope?: Readonly<Envelope>;
  readonly rcpt?: Address;
  readonly queueId?: string;
  readonly deps: Pick<PolicyDeps, 'log' | 'abuse' | 'events'>;
}

export interface CheckContext extends DecisionScope {
  readonly stage: Stage;
  readonly session: Readonly<SessionInfo>;
  /** The transaction so far (empty before MAIL). */
  readonly envelope: Readonly<Envelope> | undefined;
  /** At the rcpt stage: the recipient being decided. */
  readonly rcpt?: Address;
  readonly deps: PolicyDeps;
  /**
   * Adds a mark (header + spam score, src/core/mark.ts) to the transaction without
   * refusing anything. Present from the mail stage on; finalize logs and publishes it.
   */
  readonly mark?: (m: Mark) => void;
  /** At the eod stage: the message as it will be stored (headers, a stream, addHeader). */
  readonly message?: MessageView;
}

export interface Check {
  /** "<stage>.<settingName>", as in logs and in `policy.warn`; listed in policy/registry.ts. */
  name: string;
  /** SPEC feature ID. */
  feature: string;
  run(ctx: CheckContext): Verdict | Promise<Verdict>;
}

// ---- the port the SMTP session uses (implemented by policy/session-policy.ts) -----------

/** What the session hands a stage: the session's snapshot, the client, the transaction. */
export interface StageInput {
  config: Snapshot;
  session: SessionInfo;
  envelope: Envelope | undefined;
  rcpt?: Address;
  /** eod: the stored message. */
  message?: MessageView;
  /** eod: the queue id (for the log line). */
  queueId?: string;
}

/** A decision taken outside the runner (a guard) and where it was taken. */
export interface GuardInput {
  stage: DecisionStage;
  config: Snapshot;
  /** The session, or before it exists (listener guards) the connection's id and address. */
  session: ClientRef;
  envelope?: Envelope;
  queueId?: string;
}

/** S1-S4 counting of one message's octets and lines (policy/size-guard.ts). */
export interface MessageSizeGuard {
  /** Counts a slice; true when nothing more may be stored (an enforced limit was crossed, or S4 tripped). */
  count(b: Buffer): boolean;
  /** S4: abortOver was crossed; the receive loop must break the connection now (then call breakOff). */
  readonly tripped: boolean;
  /** The enforced refusal decided so far (552 5.3.4), already finalized. */
  readonly over: Decision | undefined;
  /** At the end of the data: the refusal, if any (a last line without LF is counted now). */
  finish(): Decision | undefined;
  /** S4: remembers the message's key (bounded wait) and returns the finalized 421 4.3.4 drop. */
  breakOff(): Promise<Decision>;
}

/** S4: the Large Message Safety key, built while the transaction goes on (policy/lms.ts). */
export interface LmsKey {
  rcpt(arg: string): void;
  key(): string;
}

/** Everything the SMTP session asks of policy. smtp/ imports this type, never policy code. */
export interface SessionPolicy {
  /** Runs a stage's checks; the finalized decision to act on, or undefined (pass, or warn mode). */
  check(stage: Stage, input: StageInput): Promise<Decision | undefined>;
  /** Finalizes a guard's decision: undefined when it runs in warn mode. */
  decide(d: Decision, where: GuardInput): Decision | undefined;
  /** P4 early talkers: how long to hold the greeting (0 = no test: trusted client, or passed recently). */
  pregreetWait(config: Snapshot, session: SessionInfo): Promise<number>;
  /** P4 early talkers: the drop when the client talked first (finalized), else records the pass. */
  pregreetResult(config: Snapshot, session: SessionInfo, talkedEarly: boolean): Decision | undefined;
  /** H5: the 421 drop when the session's client-caused refusals reached the limit (finalized, once). */
  failedCommands(config: Snapshot, session: SessionInfo, failures: number, envelope: Envelope | undefined): Decision | undefined;
  /** S1-S4 for the transaction (envelope complete: at DATA or the first BDAT). */
  sizeGuard(config: Snapshot, session: SessionInfo, envelope: Envelope): MessageSizeGuard;
  /** S4: starts the key at MAIL (HELO and MAIL argument known). */
  lmsKey(config: Snapshot, session: SessionInfo, mailArg: string): LmsKey;
  /** R8/RFC 5321 4.5.1: the address a recipient is queued as (literal and bare postmaster resolved). */
  spoolAddress(address: Address, config: Snapshot): string;
  /** S1/S3: the SIZE value EHLO advertises on a listener. */
  advertisedSize(config: Snapshot, listener: Listener): number;
}
