// The one feed of policy outcomes. finalize() publishes every decision it takes
// (warn-mode ones too) and every mark, exactly once; the log line, the metrics
// counters and the admin API's live decision stream all read from here, so they
// can never disagree. Subscribers must be cheap and must not throw: this runs on
// the session's path.

import type { Action, Fault } from '../core/decision.js';

export interface DecisionEvent {
  /** Epoch milliseconds. */
  time: number;
  session: string;
  client: string;
  listener?: string;
  /** connect, helo, auth, mail, rcpt, data, eod, or session (limits over a whole session). */
  stage: string;
  /** "<stage>.<settingName>", as in logs and policy.warn. */
  check: string;
  /** SPEC feature ID. */
  feature?: string;
  action: Action | 'mark';
  code?: number;
  enhanced?: string;
  /** Who caused it: 'client' refusals count for H5; 'server' ones are our own trouble (disk, DNS, store). */
  fault?: Fault;
  /** True when the check is in warn mode: logged and counted, not enforced. */
  warn?: boolean;
  /** Log-only detail (never sent to the client). */
  reason?: string;
  from?: string;
  rcpt?: string;
  queueId?: string;
  /** Marks: the spam score the mark adds. */
  score?: number;
}

export type DecisionListener = (e: DecisionEvent) => void;

export class DecisionEvents {
  private listeners: DecisionListener[] = [];

  /** Returns the function that unsubscribes. */
  subscribe(l: DecisionListener): () => void {
    this.listeners = [...this.listeners, l];
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }

  publish(e: DecisionEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a subscriber's fault must never reach the session
      }
    }
  }
}
