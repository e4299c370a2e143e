// Takes queued messages to their recipients. Each recipient is expanded through
// the directory (aliases) to local mailboxes and delivered to Maildir. Temporary
// failures are retried on the configured schedule until giveUpMs; permanent ones
// move the message to spool/failed/ with a log line per recipient.

import { mkdir, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Snapshot } from '../config/load.js';
import type { Directory } from '../directory/store.js';
import type { Logger } from '../log/logger.js';
import { deliverToMaildir, deliveryHeaders, maildirPath } from '../delivery/maildir.js';
import { readQueueFile, messageSize, type QueuedMessage } from '../spool/queue-file.js';
import { openMessage } from '../spool/open-message.js';
import type { Spool, Committed } from '../spool/spool.js';
import { access } from 'node:fs/promises';

/** Message bytes held in memory for delivery, over all queued messages. */
const MEMORY_CAP = 32 * 1024 * 1024;
import { isHeld } from '../spool/hold.js';

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

interface Pending {
  attempts: number;
  /** What the spool handed over at commit (envelope, maybe the bytes): no need to read the file back. */
  mem?: Committed;
  /** Recipients (by index) already delivered or permanently failed. */
  finished: Set<number>;
  failures: Array<{ rcpt: string; reason: string }>;
  timer?: { cancel(): void };
}

export class Scheduler {
  private readonly ready: string[] = [];
  private readonly pending = new Map<string, Pending>();
  private running = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  private memBytes = 0;
  /** R10: spool/HOLD exists (`rampart queue hold`); refreshed before each pump and every second. */
  private flagHeld = false;
  private holdPoll?: { cancel(): void };

  constructor(
    private config: Snapshot,
    private readonly spool: Spool,
    private readonly directory: Directory,
    private readonly log: Logger,
    private readonly clock: Clock = realClock,
  ) {
    this.flagHeld = isHeld(this.spool.root);
    this.pollHold();
  }

  /** Delivery is held by config (`delivery.hold`) or at runtime (spool/HOLD). */
  get held(): boolean {
    return this.config.delivery.hold || this.flagHeld;
  }

  /** Re-reads spool/HOLD; logs a change. */
  private refreshHold(): void {
    const now = isHeld(this.spool.root);
    if (now !== this.flagHeld) this.log.info({ event: 'hold', held: now, by: 'spool/HOLD' }, now ? 'delivery held' : 'delivery released');
    this.flagHeld = now;
  }

  /** Polls spool/HOLD every second, so a release takes effect without a signal. */
  private pollHold(): void {
    this.holdPoll = this.clock.setTimeout(() => {
      if (this.stopped) return;
      const was = this.flagHeld;
      this.refreshHold();
      if (was && !this.flagHeld) this.pump();
      this.pollHold();
    }, 1000);
  }

  setConfig(c: Snapshot): void {
    this.config = c;
    this.pump(); // a release (hold: false) or a higher concurrency takes effect now
  }

  enqueue(id: string, committed?: Committed): void {
    if (this.stopped || this.pending.has(id)) return;
    let mem = committed;
    if (mem?.body) {
      if (this.memBytes + mem.body.length > MEMORY_CAP) mem = { ...mem, body: undefined };
      else this.memBytes += mem.body.length;
    }
    this.pending.set(id, { attempts: 0, finished: new Set(), failures: [], mem });
    this.ready.push(id);
    this.pump();
  }

  /** Number of messages not yet finished (queued, in delivery or waiting to retry). */
  get size(): number {
    return this.pending.size;
  }

  /** Resolves when nothing is queued or in delivery (tests, shutdown). */
  idle(): Promise<void> {
    this.pump(); // notices a hold or release of spool/HOLD made since the last poll
    if (this.running === 0 && (this.ready.length === 0 || this.held)) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops taking new work; resolves when deliveries in progress have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.holdPoll?.cancel();
    for (const p of this.pending.values()) p.timer?.cancel();
    this.ready.length = 0;
    if (this.running) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    if (this.ready.length) this.refreshHold();
    while (!this.stopped && !this.held && this.running < this.config.delivery.concurrency && this.ready.length) {
      const id = this.ready.shift()!;
      this.running++;
      void this.attempt(id).finally(() => {
        this.running--;
        this.pump();
        if (this.running === 0 && this.ready.length === 0) {
          const w = this.idleWaiters;
          this.idleWaiters = [];
          w.forEach((f) => f());
        }
      });
    }
  }

  private async attempt(id: string): Promise<void> {
    const p = this.pending.get(id)!;
    p.attempts++;
    let msg: QueuedMessage;
    try {
      if (p.mem) {
        await access(this.spool.queuePath(id)); // still queued? (a purge removes the file)
        const { envelope, bodyOffset, size, prepend, fileSize } = p.mem;
        msg = { id, envelope, bodyOffset, size, prepend, fileSize };
      } else {
        msg = await readQueueFile(this.spool.queuePath(id), id);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return this.gone(id, p);
      this.log.error({ event: 'queue', queueId: id, err: (e as Error).message }, 'cannot read queue file');
      return this.moveToFailed(id, p);
    }
    let temporary: string | undefined;
    for (let i = 0; i < msg.envelope.rcpts.length; i++) {
      if (p.finished.has(i)) continue;
      const rcpt = msg.envelope.rcpts[i].address;
      try {
        await this.deliverRecipient(msg, rcpt);
        p.finished.add(i);
      } catch (e) {
        const err = e as Error & { permanent?: boolean };
        if (err.permanent) {
          p.finished.add(i);
          p.failures.push({ rcpt, reason: err.message });
          this.log.warn({ event: 'failed', queueId: id, rcpt, reason: err.message }, 'delivery failed permanently');
        } else {
          temporary = err.message;
          this.log.warn({ event: 'deferred', queueId: id, rcpt, attempt: p.attempts, reason: err.message }, 'delivery deferred');
        }
      }
    }
    // Purged (`rampart queue purge`) while we were delivering: nothing left to retry or move.
    if (!existsSync(this.spool.queuePath(id))) return this.gone(id, p);
    if (temporary === undefined) {
      if (p.failures.length) return this.moveToFailed(id, p);
      await this.spool.remove(id, msg.fileSize).catch((e) => this.log.error({ queueId: id, err: (e as Error).message }, 'cannot remove delivered queue file'));
      this.forget(id);
      return;
    }
    const age = this.clock.now() - msg.envelope.receivedAt;
    if (age >= this.config.delivery.giveUpMs) {
      for (let i = 0; i < msg.envelope.rcpts.length; i++) {
        if (!p.finished.has(i)) p.failures.push({ rcpt: msg.envelope.rcpts[i].address, reason: `gave up after ${p.attempts} attempts: ${temporary}` });
      }
      return this.moveToFailed(id, p);
    }
    const schedule = this.config.delivery.retryMs;
    const wait = schedule[Math.min(p.attempts - 1, schedule.length - 1)];
    p.timer = this.clock.setTimeout(() => {
      p.timer = undefined;
      if (this.stopped) return;
      this.ready.push(id);
      this.pump();
    }, wait);
  }

  /** Delivers to every local mailbox the recipient expands to. Throws Error & {permanent} on failure. */
  private async deliverRecipient(msg: QueuedMessage, rcpt: string): Promise<void> {
    const exp = this.directory.expandRecipient(rcpt, { catchalls: !this.config.relay.disableAllCatchalls });
    if (exp.mailboxes.length === 0) {
      const why = exp.external.length ? `forwarding to ${exp.external.join(', ')} needs remote delivery, which this server does not do yet` : 'no such local mailbox';
      throw Object.assign(new Error(why), { permanent: true });
    }
    for (const mailbox of exp.mailboxes) {
      const dir = maildirPath(this.config.dataDir, mailbox);
      const source = { path: this.spool.queuePath(msg.id), bodyOffset: msg.bodyOffset, size: msg.size, prepend: msg.prepend, body: this.pending.get(msg.id)?.mem?.body };
      const file = await deliverToMaildir(dir, deliveryHeaders(msg.envelope.mailFrom, mailbox), { size: messageSize(msg), open: () => openMessage(source) });
      this.log.info({ event: 'delivered', queueId: msg.id, rcpt, mailbox, file, size: messageSize(msg) }, 'delivered to maildir');
    }
    if (exp.external.length || exp.unresolved.length) {
      this.log.warn({ event: 'failed', queueId: msg.id, rcpt, external: exp.external, unresolved: exp.unresolved }, 'some alias targets could not be delivered');
    }
  }

  /** R10: the queue file vanished (purged by `rampart queue purge`): forget the message, no retry. */
  private gone(id: string, p: Pending): void {
    p.timer?.cancel();
    this.forget(id);
    this.log.info({ event: 'gone', queueId: id, attempts: p.attempts }, 'queue file removed (purged?); message dropped from the schedule');
  }

  private async moveToFailed(id: string, p: Pending): Promise<void> {
    const dir = join(this.spool.root, 'failed');
    await mkdir(dir, { recursive: true });
    await rename(this.spool.queuePath(id), join(dir, id)).catch(() => {});
    this.log.warn({ event: 'failed', queueId: id, failures: p.failures }, 'message kept in spool/failed');
    this.forget(id);
  }

  /** Drops a finished message from the schedule and releases its in-memory bytes. */
  private forget(id: string): void {
    const body = this.pending.get(id)?.mem?.body;
    if (body) this.memBytes -= body.length;
    this.pending.delete(id);
  }
}
