// The contract between the policy runner and its checks.

import type { Verdict } from '../core/decision.js';
import type { Address } from '../core/address.js';
import type { Envelope, SessionInfo } from '../core/envelope.js';
import type { Snapshot } from '../config/load.js';
import type { Directory } from '../directory/store.js';
import type { Logger } from '../log/logger.js';
import type { SharedStore } from '../state/store.js';
import type { DnsResolver } from '../dns/resolver.js';
import type { AbuseEvents } from './abuse.js';
import type { AccessList } from '../state/access-list.js';
import type { Mark } from '../core/mark.js';

/** 'auth' runs after each failed AUTH (R4). */
export type Stage = 'connect' | 'helo' | 'auth' | 'mail' | 'rcpt' | 'data' | 'eod';

/** Services a check may use; injected so tests can replace them. */
export interface PolicyDeps {
  directory: Directory;
  /** C1 shared state (embedded or Redis). */
  store: SharedStore;
  dns: DnsResolver;
  /** Where limits that were hit are reported (H6 listens). */
  abuse: AbuseEvents;
  log: Logger;
  now: () => number;
  /** R2 allow/deny lists (in-memory index over the store); absent in unit tests that don't need it. */
  access?: AccessList;
}

export interface CheckContext {
  readonly stage: Stage;
  readonly config: Snapshot;
  readonly session: Readonly<SessionInfo>;
  /** The transaction so far (empty before MAIL). */
  readonly envelope: Readonly<Envelope> | undefined;
  /** At the rcpt stage: the recipient being decided. */
  readonly rcpt?: Address;
  readonly deps: PolicyDeps;
  /**
   * Adds a mark (header + spam score, src/core/mark.ts) to the transaction without
   * refusing anything. Present from the mail stage on; the session logs it.
   */
  readonly mark?: (m: Mark) => void;
}

export interface Check {
  /** "<stage>.<settingName>", as in logs and in `policy.warn`. */
  name: string;
  /** SPEC feature ID. */
  feature: string;
  run(ctx: CheckContext): Verdict | Promise<Verdict>;
}
