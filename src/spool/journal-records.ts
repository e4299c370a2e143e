// What the recipient journal (spool/journal) records, and how its lines are
// replayed into per-message state. Pure: the server's journal writer and the
// CLI's `queue list` (which reads the file while the server runs) share it.
//
// One line per record, JSON. A record describes one "leg": an envelope recipient
// (by index) delivered to one final address — the recipient itself, or one
// mailbox or forward target its alias expands to. The latest record of a leg
// wins; a record of a leg already final never makes it pending again.

/** delivered/relayed/failed/expanded are final; deferred waits for a retry. */
export type LegOutcome = 'delivered' | 'relayed' | 'deferred' | 'failed' | 'expanded';

/** Which DSN a leg has had: failure (bounce), delay (warning), success (delivered/relayed/expanded). */
export type NoticeKind = 'failure' | 'delay' | 'success';

export interface LegRecord {
  t: 'leg';
  /** Queue id. */
  id: string;
  /** Index of the envelope recipient. */
  rcpt: number;
  /** Final address (the recipient, or a mailbox / forward target of its alias). */
  addr: string;
  /** Channel the leg went through. */
  ch: string;
  outcome: LegOutcome;
  /** RFC 3463 status. */
  status: string;
  /** The peer's reply or our own reason. */
  diag: string;
  /** Remote-MTA host, when a peer answered. */
  mta?: string;
  /** True when `diag` is the peer's reply. */
  peer?: boolean;
  /** When this outcome was reached (ms). */
  at: number;
  /** Deferred: when the next attempt is due (ms). */
  next?: number;
  /** Deferred attempts so far. */
  tries?: number;
  /** DSNs already sent for this leg (records written by compaction), or owed by someone else (a DSN-capable next hop reports success). */
  notified?: NoticeKind[];
}

export interface NoticeRecord {
  t: 'notice';
  id: string;
  kind: NoticeKind;
  /** [rcpt index, address] of each leg the DSN covered. */
  legs: Array<[number, string]>;
  /** Queue id of the DSN, when one was queued (none when the rules dropped it). */
  dsn?: string;
  at: number;
}

export type JournalRecord = LegRecord | NoticeRecord;

export interface LegState {
  rcpt: number;
  addr: string;
  ch: string;
  outcome: LegOutcome;
  status: string;
  diag: string;
  mta?: string;
  peer?: boolean;
  at: number;
  next?: number;
  tries: number;
  notified: Set<NoticeKind>;
}

export interface MessageState {
  id: string;
  legs: Map<string, LegState>;
}

export function legKey(rcpt: number, addr: string): string {
  return `${rcpt} ${addr}`;
}

export function isFinal(outcome: LegOutcome): boolean {
  return outcome !== 'deferred';
}

/** Applies one record to the states (creating the message's state when needed). */
export function applyRecord(states: Map<string, MessageState>, r: JournalRecord): void {
  let st = states.get(r.id);
  if (!st) {
    st = { id: r.id, legs: new Map() };
    states.set(r.id, st);
  }
  if (r.t === 'notice') {
    for (const [rcpt, addr] of r.legs) st.legs.get(legKey(rcpt, addr))?.notified.add(r.kind);
    return;
  }
  const key = legKey(r.rcpt, r.addr);
  const old = st.legs.get(key);
  if (old && isFinal(old.outcome) && !isFinal(r.outcome)) return; // never reopen a finished leg
  st.legs.set(key, {
    rcpt: r.rcpt,
    addr: r.addr,
    ch: r.ch,
    outcome: r.outcome,
    status: r.status,
    diag: r.diag,
    mta: r.mta,
    peer: r.peer,
    at: r.at,
    next: r.next,
    tries: r.tries ?? old?.tries ?? 0,
    notified: new Set([...(old?.notified ?? []), ...(r.notified ?? [])]),
  });
}

function isRecord(v: unknown): v is JournalRecord {
  if (!v || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'string') return false;
  if (r.t === 'leg') return typeof r.rcpt === 'number' && typeof r.addr === 'string' && typeof r.outcome === 'string' && typeof r.status === 'string';
  if (r.t === 'notice') return typeof r.kind === 'string' && Array.isArray(r.legs);
  return false;
}

/**
 * Replays journal text. A line that is not a whole record (the torn tail of a
 * write cut short by a crash, never acknowledged) is skipped and counted.
 */
export function replayJournal(text: string, states = new Map<string, MessageState>()): { states: Map<string, MessageState>; skipped: number } {
  let skipped = 0;
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const line = text.slice(start, nl);
    start = nl + 1;
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (isRecord(v)) applyRecord(states, v);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { states, skipped };
}

/** The records that rebuild `st` (compaction writes these). */
export function stateRecords(st: MessageState): LegRecord[] {
  return [...st.legs.values()].map((l) => ({
    t: 'leg',
    id: st.id,
    rcpt: l.rcpt,
    addr: l.addr,
    ch: l.ch,
    outcome: l.outcome,
    status: l.status,
    diag: l.diag,
    ...(l.mta !== undefined ? { mta: l.mta } : {}),
    ...(l.peer ? { peer: true } : {}),
    at: l.at,
    ...(l.next !== undefined ? { next: l.next } : {}),
    ...(l.tries ? { tries: l.tries } : {}),
    ...(l.notified.size ? { notified: [...l.notified] } : {}),
  }));
}
