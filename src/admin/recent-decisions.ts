// The recent decisions of this node, for "why was this refused?": a ring buffer
// fed by the decision feed (the one finalize() publishes to), bounded both in
// count and in age, so memory stays flat whatever the traffic. Beside it, one
// counter per minute and outcome for the last hour (the console's chart), kept
// apart from the ring so the chart stays complete when the ring overflows.
// Cost per decision: one array store and one counter increment.

import type { DecisionEvent } from '../policy/decision-events.js';

export interface RecentDecision extends DecisionEvent {
  /** Increasing number of the event on this node (the stream's event id, the search cursor). */
  seq: number;
}

/** Outcomes counted per minute: the action, or warn (logged, not enforced). */
export const OUTCOMES = ['accept', 'tempfail', 'reject', 'drop', 'mark', 'warn'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface MinuteCounts {
  /** Start of the minute, epoch milliseconds. */
  minute: number;
  counts: Record<Outcome, number>;
}

const MINUTE = 60_000;
const HOUR_MINUTES = 60;

function zero(): Record<Outcome, number> {
  return { accept: 0, tempfail: 0, reject: 0, drop: 0, mark: 0, warn: 0 };
}

export class RecentDecisions {
  private readonly ring: Array<RecentDecision | undefined>;
  private next = 0;
  private seq = 0;
  private readonly minutes: MinuteCounts[] = Array.from({ length: HOUR_MINUTES }, () => ({ minute: 0, counts: zero() }));

  constructor(
    readonly capacity = 10_000,
    readonly maxAgeMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {
    this.ring = new Array<RecentDecision | undefined>(capacity);
  }

  /** Stores an event; returns it with its sequence number. */
  add(e: DecisionEvent): RecentDecision {
    const r: RecentDecision = { ...e, seq: ++this.seq };
    this.ring[this.next] = r;
    this.next = (this.next + 1) % this.capacity;
    const minute = Math.floor(e.time / MINUTE) * MINUTE;
    const slot = this.minutes[(minute / MINUTE) % HOUR_MINUTES];
    if (slot.minute !== minute) {
      slot.minute = minute;
      slot.counts = zero();
    }
    slot.counts[e.warn ? 'warn' : e.action]++;
    return r;
  }

  /** Sequence number of the newest event (0: none yet). */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Events matching `filter`, newest first, at most `limit`, older than sequence
   * `before` when given (paging backwards); `more` says whether older matches remain.
   */
  search(filter: (e: RecentDecision) => boolean, limit: number, before = Infinity): { items: RecentDecision[]; more: boolean } {
    const oldest = this.now() - this.maxAgeMs;
    const items: RecentDecision[] = [];
    for (let i = 1; i <= this.capacity; i++) {
      const r = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (!r || r.time < oldest) break;
      if (r.seq >= before || !filter(r)) continue;
      if (items.length === limit) return { items, more: true };
      items.push(r);
    }
    return { items, more: false };
  }

  /** Counts per minute for the last hour, oldest first (minutes without a decision count zero). */
  perMinute(): MinuteCounts[] {
    const current = Math.floor(this.now() / MINUTE) * MINUTE;
    const out: MinuteCounts[] = [];
    for (let m = current - (HOUR_MINUTES - 1) * MINUTE; m <= current; m += MINUTE) {
      const slot = this.minutes[(m / MINUTE) % HOUR_MINUTES];
      out.push({ minute: m, counts: slot.minute === m ? { ...slot.counts } : zero() });
    }
    return out;
  }
}
