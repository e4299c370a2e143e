// Counting what a client streams in DATA/BDAT against the size limits, without
// keeping any of it: S1/S2/S3 (octets and lines: once over, nothing more is stored,
// the message is read to its end and refused with 552 5.3.4) and S4 Large Message
// Safety (past abortOver the connection is broken at once and the message's key
// remembered, so the same offer is refused before its data the next time).
//
// The intake (smtp/session-data.ts) calls count() for every slice before storing
// it; the receive loops call breakOff() when `tripped` is set. Every crossing is
// decided through finalize() (via `GuardDecider`), so warn mode is finalize's.

import { drop, reject, reportsAbuse, type Decision } from '../core/decision.js';
import { formatAddress } from '../core/address.js';
import type { Envelope, SessionInfo } from '../core/envelope.js';
import type { Snapshot } from '../config/load.js';
import type { Directory } from '../directory/store.js';
import { messageSizeLimit, senderSizeLimit, senderAttributes, lineLimit, type SizeLimit } from './size-limits.js';
import { lmsSettings, isLmsException, abortOverFor } from './lms.js';
import type { MessageSizeGuard } from './types.js';

const LF = 10;

/** Longest wait for the LMS key to be stored before the socket is destroyed anyway. */
export const LMS_STORE_WAIT_MS = 250;

export const SIZE_TEXT = 'Message size exceeds fixed maximum message size';
export const LINES_TEXT = 'Message exceeds the maximum number of lines';
export const LMS = 'data.largeMessageSafety';

export interface GuardPlan {
  size: SizeLimit;
  lineLimit?: number;
  /** Undefined when LMS is off for this message (disabled, or an excepted sender). */
  abortOver?: number;
}

/** How the guard decides: finalize() in the server, a recorder in unit tests. */
export interface GuardDecider {
  /** Finalizes a decision; undefined when its check is in warn mode (logged, not enforced). */
  decide(d: Decision): Decision | undefined;
  /** True when `check` runs in warn mode. */
  warns(check: string): boolean;
  /** S4: stores the key of the broken-off message; resolves false when it failed. */
  remember?(bytes: number): Promise<boolean>;
}

export class SizeGuard implements MessageSizeGuard {
  /** Octets counted (decoded content, without our Received field). */
  bytes = 0;
  /** LF octets counted (only while a line limit applies). */
  private lfs = 0;
  private lastByte = -1;
  /** The first enforced limit crossed: the message will be refused (552 5.3.4). */
  over: Decision | undefined;
  /** S4: abortOver crossed; the receive loop must break the connection now. */
  tripped = false;
  /** performance.now() when S4 tripped (the log line reports how long breaking the connection took). */
  trippedAt = 0;
  /** Checks already decided (a crossing is decided once, warn mode included). */
  private decided = new Set<string>();

  constructor(readonly plan: GuardPlan, private readonly decider: GuardDecider) {}

  /** Lines so far: every LF, plus a last line without one. */
  get lines(): number {
    return this.lfs + (this.lastByte >= 0 && this.lastByte !== LF ? 1 : 0);
  }

  count(b: Buffer): boolean {
    if (b.length === 0) return this.stop;
    this.bytes += b.length;
    const p = this.plan;
    if (p.lineLimit !== undefined && !this.over) {
      for (let i = b.indexOf(LF); i >= 0; i = b.indexOf(LF, i + 1)) this.lfs++;
      this.lastByte = b[b.length - 1];
      if (this.lfs > p.lineLimit) this.cross('lines');
    }
    if (this.bytes > p.size.bytes && !this.over) this.cross('size');
    if (p.abortOver !== undefined && this.bytes > p.abortOver && !this.tripped && !this.decided.has(LMS)) {
      if (this.decider.warns(LMS)) {
        this.decided.add(LMS);
        this.decider.decide(this.lmsDrop('streamed past abortOver'));
      } else {
        this.tripped = true;
        this.trippedAt = performance.now();
      }
    }
    return this.stop;
  }

  private get stop(): boolean {
    return this.over !== undefined || this.tripped;
  }

  private cross(what: 'size' | 'lines'): void {
    const p = this.plan;
    const d =
      what === 'size'
        ? reject('eod.maxMessageSize', 552, '5.3.4', SIZE_TEXT, `over ${p.size.bytes} octets (${p.size.source})`, p.size.feature)
        : reject('eod.lineLimit', 552, '5.3.4', LINES_TEXT, `over ${p.lineLimit} lines (limits.lineLimit)`, 'S3');
    if (this.decided.has(d.check)) return;
    this.decided.add(d.check);
    this.over = this.decider.decide({ ...d, details: { bytes: this.bytes } });
  }

  private lmsDrop(reason: string): Decision {
    return reportsAbuse(drop(LMS, 421, '4.3.4', 'Message too large, closing connection', reason, 'S4'), 'large-message');
  }

  finish(): Decision | undefined {
    const p = this.plan;
    if (!this.over && p.lineLimit !== undefined && this.lines > p.lineLimit) this.cross('lines');
    return this.over;
  }

  /**
   * S4: the message went past abortOver. The key is stored (bounded wait, so a
   * retry on another node is refused), and the decision finalized (logged,
   * counted, reported as abuse). The caller breaks the connection.
   */
  async breakOff(): Promise<Decision> {
    const stored = this.decider.remember?.(this.bytes) ?? Promise.resolve(false);
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([stored, new Promise<false>((r) => (timer = setTimeout(() => r(false), LMS_STORE_WAIT_MS)))]);
    clearTimeout(timer);
    const reactMs = Math.round((performance.now() - this.trippedAt) * 100) / 100;
    const d = { ...this.lmsDrop(`streamed past abortOver ${this.plan.abortOver} octets; connection broken${ok ? '' : ' (key not stored in time)'}`), details: { bytes: this.bytes, reactMs } };
    this.decided.add(LMS);
    return this.decider.decide(d) ?? d;
  }
}

/** The plan for a transaction (envelope complete: at DATA or the first BDAT). */
export function guardPlan(config: Snapshot, session: SessionInfo, env: Envelope, directory: Directory): GuardPlan {
  const limits = directory.limits;
  const sender = formatAddress(env.mailFrom);
  const domains = new Set(env.rcpts.map((r) => (r.address.domain === '' ? config.hostname : r.address.domain).toLowerCase()));
  const attrs = senderAttributes(limits, sender);
  const size = messageSizeLimit(config, session.listener, attrs, [...domains].map((domain) => ({ domain, attrs: limits.forDomain(domain) })));
  const lms = lmsSettings(config, session.listener);
  // Default abortOver: 3 x the sender's limit (a recipient domain's smaller cap does not lower it).
  const abortOver = abortOverFor(lms, senderSizeLimit(config, session.listener, attrs).bytes);
  return {
    size,
    lineLimit: lineLimit(config),
    abortOver: lms.enabled && !isLmsException(lms.exceptions, sender) ? abortOver : undefined,
  };
}
