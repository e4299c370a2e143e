// Q1-Q3/Q6 the queue manager. Every queued message is an entry: waiting (in a
// min-heap by due time, with ONE timer for the earliest), ready, running, or
// parked (held). At most delivery.concurrency messages are in an attempt at
// once (attempt.ts); their hand-overs to transports are bounded per destination
// and per channel by the dispatcher. Message bytes are not kept: the spool's
// in-memory copy of a small new message serves its first attempt only (32 MiB in
// all), later attempts read the queue file. Per-recipient state lives in the
// journal (spool/recipient-journal.ts), so a restart delivers nobody twice.
//
// Holds and queue tools reach a running scheduler through spool files, polled
// every second: spool/HOLD (everything), spool/held/<id> (one message) and
// requests in spool/control/ (retry, bounce, enqueue, forget).

import type { Snapshot } from '../config/load.js';
import type { Directory } from '../directory/store.js';
import type { Logger } from '../log/logger.js';
import { isHeld } from '../spool/hold.js';
import { DirSync } from '../spool/dir-sync.js';
import { readQueueFile } from '../spool/queue-file.js';
import type { Spool, Committed } from '../spool/spool.js';
import { RecipientJournal } from '../spool/recipient-journal.js';
import { answerRequest, heldIds, readRequests, type ControlRequest } from '../spool/queue-control.js';
import { Notifier } from '../bounce/notifier.js';
import { DueHeap } from './due-heap.js';
import { Dispatcher, type TransportMap } from './dispatcher.js';
import { runAttempt, type AttemptDeps } from './attempt.js';

/** Message bytes held in memory for first attempts, over all queued messages. */
const MEMORY_CAP = 32 * 1024 * 1024;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export interface SchedulerOptions {
  config: Snapshot;
  spool: Spool;
  directory: Directory;
  log: Logger;
  clock?: Clock;
  /** Transports by channel transport name. */
  transports: TransportMap;
}

interface Entry {
  id: string;
  state: 'waiting' | 'ready' | 'running' | 'parked';
  due: number;
  mem?: Committed;
  force?: boolean;
  bounce?: boolean;
  /** A request arrived while running: go again at once afterwards. */
  again?: boolean;
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly heap = new DueHeap();
  private ready: string[] = [];
  private readyHead = 0;
  private timer?: { cancel(): void; at: number };
  private running = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  private memBytes = 0;
  /** R10: spool/HOLD exists (`rampart queue hold`). */
  private flagHeld = false;
  /** Q6: per-message hold flags (spool/held/). */
  private heldSet = new Set<string>();
  /** spool/held could not be read at the last look (logged once until it can again). */
  private heldUnreadable = false;
  private poller?: { cancel(): void };
  private config: Snapshot;
  private readonly clock: Clock;
  private readonly dispatcher: Dispatcher;
  private readonly attemptDeps: AttemptDeps;

  private constructor(
    private readonly opts: SchedulerOptions,
    private readonly journal: RecipientJournal,
  ) {
    this.config = opts.config;
    this.clock = opts.clock ?? realClock;
    this.dispatcher = new Dispatcher(opts.transports, opts.log);
    this.attemptDeps = {
      config: () => this.config,
      spool: opts.spool,
      directory: opts.directory,
      journal,
      dispatcher: this.dispatcher,
      notifier: new Notifier({ submitter: opts.spool, config: () => this.config, log: opts.log, now: () => this.clock.now() }),
      log: opts.log,
      now: () => this.clock.now(),
      queueSync: new DirSync(opts.spool.queueDir, true),
    };
  }

  /**
   * Opens the journal, takes spool.onQueued, and takes over the queued messages (ids
   * from spool.open()): those with deferred recipients wait for their recorded retry
   * time, the rest go now.
   */
  static async open(opts: SchedulerOptions, queued: string[] = []): Promise<Scheduler> {
    const { journal, skipped } = await RecipientJournal.open(opts.spool.root, queued);
    if (skipped) opts.log.warn({ event: 'journal', skipped }, 'recipient journal: incomplete records skipped (a write cut short by a crash)');
    const s = new Scheduler(opts, journal);
    opts.spool.onQueued = (id, committed) => s.enqueue(id, committed); // new messages, notices and forwarded copies
    s.refreshHold();
    for (const id of queued) s.schedule(id, await s.resumeAt(id));
    s.poll();
    s.pump();
    return s;
  }

  /** When a message found at start is due: now, unless every recipient has a recorded wait. */
  private async resumeAt(id: string): Promise<number> {
    const now = this.clock.now();
    const st = this.journal.get(id);
    if (!st) return now;
    const nexts = [...st.legs.values()].filter((l) => l.outcome === 'deferred').map((l) => l.next ?? now);
    if (!nexts.length) return now;
    const q = await readQueueFile(this.opts.spool.queuePath(id), id).catch(() => undefined);
    const recorded = new Set([...st.legs.values()].map((l) => l.rcpt));
    if (!q || q.envelope.rcpts.some((_, i) => !recorded.has(i))) return now; // a recipient in flight at the crash
    return Math.min(...nexts);
  }

  /** Delivery is held by config (`delivery.hold`) or at runtime (spool/HOLD). */
  get held(): boolean {
    return this.config.delivery.hold || this.flagHeld;
  }

  /** Messages not yet finished (waiting, ready, running or held). */
  get size(): number {
    return this.entries.size;
  }

  /** Counts for tests and metrics: entries by state, message bytes held, waits in the heap. */
  stats(): { entries: number; waiting: number; ready: number; running: number; parked: number; memBytes: number; heap: number; timerArmed: boolean } {
    const by = { waiting: 0, ready: 0, running: 0, parked: 0 };
    for (const e of this.entries.values()) by[e.state]++;
    return { entries: this.entries.size, ...by, memBytes: this.memBytes, heap: this.heap.size, timerArmed: this.timer !== undefined };
  }

  /**
   * Queued messages by state and channel (metrics): a message counts under each
   * channel its unfinished recipients were routed to at its last attempt (the
   * journal's deferred legs), or under "unrouted" when it has had no attempt yet.
   */
  messagesByStateAndChannel(): Map<string, { state: Entry['state']; channel: string; n: number }> {
    const out = new Map<string, { state: Entry['state']; channel: string; n: number }>();
    for (const e of this.entries.values()) {
      const channels = new Set<string>();
      for (const leg of this.journal.get(e.id)?.legs.values() ?? []) if (leg.outcome === 'deferred') channels.add(leg.ch);
      if (!channels.size) channels.add('unrouted');
      for (const channel of channels) {
        const key = `${e.state} ${channel}`;
        const row = out.get(key);
        if (row) row.n++;
        else out.set(key, { state: e.state, channel, n: 1 });
      }
    }
    return out;
  }

  /** Recipients of queued messages waiting for a retry, by channel (the journal's deferred legs; metrics). */
  deferredByChannel(): Map<string, number> {
    const out = new Map<string, number>();
    for (const id of this.entries.keys()) {
      for (const leg of this.journal.get(id)?.legs.values() ?? []) if (leg.outcome === 'deferred') out.set(leg.ch, (out.get(leg.ch) ?? 0) + 1);
    }
    return out;
  }

  setConfig(c: Snapshot): void {
    this.config = c;
    this.pump(); // a release (hold: false) or a higher concurrency takes effect now
  }

  /** A newly committed message (spool.onQueued), or one put back by `queue requeue`. */
  enqueue(id: string, committed?: Committed): void {
    if (this.stopped || this.entries.has(id)) return;
    let mem = committed;
    if (mem?.body) {
      if (this.memBytes + mem.body.length > MEMORY_CAP) mem = { ...mem, body: undefined };
      else this.memBytes += mem.body.length;
    }
    this.entries.set(id, { id, state: 'waiting', due: 0, mem });
    this.makeReady(this.entries.get(id)!);
    this.pump();
  }

  /** Resolves when nothing is ready or running (tests, shutdown); held and waiting messages do not count. */
  idle(): Promise<void> {
    this.refreshHold();
    this.pump();
    if (this.running === 0 && (this.readyCount() === 0 || this.held)) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * Stops taking new work; resolves when attempts in progress have ended and
   * transports are closed. Attempts get timeouts.shutdownMs to finish; then the
   * transports are closed under them (a transport's close() ends its deliveries
   * in flight, which come back deferred and are retried after the restart).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.poller?.cancel();
    this.timer?.cancel();
    this.ready = [];
    this.readyHead = 0;
    if (this.running) {
      const drained = new Promise<void>((r) => this.idleWaiters.push(r));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), this.config.timeouts.shutdownMs)));
      const first = await Promise.race([drained, late]);
      clearTimeout(timer);
      if (first === 'late') {
        this.opts.log.warn({ event: 'stop', running: this.running }, 'deliveries still running at the shutdown deadline: closing transports');
        await this.dispatcher.close();
        await drained;
      }
    }
    await this.dispatcher.close();
    await this.journal.close();
    await this.attemptDeps.queueSync.close();
  }

  // ---- queue mechanics

  private schedule(id: string, at: number): void {
    const e: Entry = this.entries.get(id) ?? { id, state: 'waiting', due: at };
    this.entries.set(id, e);
    if (at <= this.clock.now()) return this.makeReady(e);
    e.state = 'waiting';
    e.due = at;
    this.heap.push(at, id);
    this.arm();
  }

  private makeReady(e: Entry): void {
    e.state = 'ready';
    this.ready.push(e.id);
  }

  private readyCount(): number {
    return this.ready.length - this.readyHead;
  }

  private nextReady(): string | undefined {
    if (this.readyHead >= this.ready.length) return undefined;
    const id = this.ready[this.readyHead++];
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
    return id;
  }

  /** One timer, for the earliest waiting message. */
  private arm(): void {
    const top = this.heap.peek();
    if (top === undefined || this.stopped) return;
    if (this.timer && this.timer.at <= top) return;
    this.timer?.cancel();
    const t = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, Math.max(0, top - this.clock.now()));
    this.timer = { cancel: t.cancel, at: top };
  }

  /** Moves every message whose time has come from the heap to the ready list. */
  private wake(): void {
    const now = this.clock.now();
    while ((this.heap.peek() ?? Infinity) <= now) {
      const { at, id } = this.heap.pop()!;
      const e = this.entries.get(id);
      if (e && e.state === 'waiting' && e.due === at) this.makeReady(e);
    }
    this.arm();
    this.pump();
  }

  private pump(): void {
    if (this.readyCount()) this.refreshHold();
    while (!this.stopped && !this.held && this.running < this.config.delivery.concurrency) {
      const id = this.nextReady();
      if (id === undefined) break;
      const e = this.entries.get(id);
      if (!e || e.state !== 'ready') continue;
      if (this.heldSet.has(id) && !e.bounce) {
        e.state = 'parked';
        continue;
      }
      this.start(e);
    }
    if (this.running === 0 && (this.readyCount() === 0 || this.held)) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      w.forEach((f) => f());
    }
  }

  private start(e: Entry): void {
    e.state = 'running';
    this.running++;
    const { mem, force, bounce } = e;
    e.force = e.bounce = e.again = undefined;
    void runAttempt(this.attemptDeps, { id: e.id, mem, force, bounce })
      .catch((err: Error) => {
        this.opts.log.error({ event: 'queue', queueId: e.id, err: err.message }, 'delivery attempt failed; will try again');
        return { kind: 'wait' as const, at: this.clock.now() + this.config.delivery.retryMs[0] };
      })
      .then((out) => {
        if (e.mem?.body) this.memBytes -= e.mem.body.length;
        e.mem = undefined; // later attempts read the file
        this.running--;
        if (out.kind === 'wait') {
          if (!this.stopped && this.entries.get(e.id) === e) this.schedule(e.id, e.again ? this.clock.now() : out.at);
        } else {
          if (out.kind === 'gone') this.opts.log.info({ event: 'gone', queueId: e.id }, 'queue file removed (deleted or purged); message dropped from the schedule');
          if (this.entries.get(e.id) === e) this.entries.delete(e.id);
        }
        this.pump();
      });
  }

  // ---- holds and queue tool requests (polled)

  /** Re-reads spool/HOLD (logging a change) and the per-message flags: before starting work, and every second. */
  private refreshHold(): void {
    try {
      this.heldSet = heldIds(this.opts.spool.root);
      this.heldUnreadable = false;
    } catch (err) {
      // An unreadable spool/held keeps the holds last read (a held message stays held); logged once, never thrown from a timer.
      if (!this.heldUnreadable) this.opts.log.error({ event: 'hold', err: (err as Error).message }, 'cannot read spool/held; keeping the per-message holds last read');
      this.heldUnreadable = true;
    }
    const now = isHeld(this.opts.spool.root);
    if (now !== this.flagHeld) this.opts.log.info({ event: 'hold', held: now, by: 'spool/HOLD' }, now ? 'delivery held' : 'delivery released');
    this.flagHeld = now;
  }

  /** Every second: holds, per-message holds and requests from the queue tools. */
  private poll(): void {
    this.poller = this.clock.setTimeout(() => {
      if (this.stopped) return;
      try {
        this.checkControl();
      } catch (err) {
        // A spool folder that cannot be read (spool/control/ replaced, permissions) must not stop the poll or the process.
        this.opts.log.error({ event: 'control', err: (err as Error).message }, 'cannot read the queue tools\' requests; trying again in a second');
      }
      this.poll();
    }, 1000);
  }

  /** Applies hold changes and answers pending requests now (the poll calls it; tests may too). */
  checkControl(): void {
    this.refreshHold();
    const root = this.opts.spool.root;
    for (const e of this.entries.values()) {
      if (e.state === 'parked' && !this.heldSet.has(e.id)) this.makeReady(e);
    }
    for (const { name, req } of readRequests(root, Date.now())) {
      const answer = this.apply(req);
      try {
        answerRequest(root, name, req, answer);
      } catch (err) {
        this.opts.log.error({ event: 'control', request: name, err: (err as Error).message }, 'cannot answer a queue request');
      }
    }
    this.pump();
  }

  private apply(req: ControlRequest): { op: ControlRequest['op']; done: string[]; unknown: string[]; at: number } {
    const done: string[] = [];
    const unknown: string[] = [];
    const ids = req.all ? [...this.entries.keys()] : (req.ids ?? []);
    for (const id of ids) {
      if (req.op === 'enqueue') {
        if (this.entries.has(id)) unknown.push(id);
        else {
          this.enqueue(id);
          done.push(id);
        }
        continue;
      }
      const e = this.entries.get(id);
      if (!e) {
        unknown.push(id);
        continue;
      }
      done.push(id);
      if (req.op === 'forget') {
        if (e.state !== 'running') this.entries.delete(id);
        this.journal.forget(id);
        this.opts.log.info({ event: 'gone', queueId: id }, 'queue file removed (deleted or purged); message dropped from the schedule');
        continue;
      }
      if (req.op === 'bounce') e.bounce = true;
      else e.force = true;
      if (e.state === 'running') e.again = true;
      else if (e.state !== 'ready') this.makeReady(e);
    }
    this.opts.log.info({ event: 'control', op: req.op, done, unknown }, `queue ${req.op} request`);
    return { op: req.op, done, unknown, at: this.clock.now() };
  }
}
