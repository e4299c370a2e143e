// Abuse events: checks and the session report a client that hit a limit
// (H5 failed commands, R4 failed AUTH, S4 Large Message Safety); listeners such
// as the automatic deny list (H6) subscribe. Reporting never blocks the session.

import type { AbuseKind } from '../core/decision.js';

export type { AbuseKind };

export interface AbuseEvent {
  ip: string;
  kind: AbuseKind;
  /** SPEC feature that fired, e.g. "H5". */
  feature: string;
  /** True when the client is authenticated or inside the LAN (never auto-denied, H6). */
  trusted: boolean;
  detail?: string;
}

export type AbuseListener = (e: AbuseEvent) => void | Promise<void>;

export class AbuseEvents {
  private readonly listeners: AbuseListener[] = [];

  subscribe(l: AbuseListener): void {
    this.listeners.push(l);
  }

  /** Delivers the event to every listener; their failures are logged by them, never thrown here. */
  report(e: AbuseEvent): void {
    for (const l of this.listeners) {
      try {
        const r = l(e);
        if (r instanceof Promise) r.catch(() => {});
      } catch {
        // a listener's failure must not break the session that reported
      }
    }
  }
}
