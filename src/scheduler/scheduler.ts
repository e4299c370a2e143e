// Takes queued messages to their recipients. Each recipient is expanded through
// the directory (aliases) to local mailboxes and delivered to Maildir. Temporary
// failures are retried on the configured schedule until giveUpMs; permanent ones
// move the message to spool/failed/ with a log line per recipient.

import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Snapshot } from '../config/load.js';
import type { Directory } from '../directory/store.js';
import type { Logger } from '../log/logger.js';
import { deliverToMaildir, deliveryHeaders, maildirPath } from '../delivery/maildir.js';
import { readQueueFile, type QueuedMessage } from '../spool/queue-file.js';
import type { Spool } from '../spool/spool.js';

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

  constructor(
    private config: Snapshot,
    private readonly spool: Spool,
    private readonly directory: Directory,
    private readonly log: Logger,
    private readonly clock: Clock = realClock,
  ) {}

  setConfig(c: Snapshot): void {
    this.config = c;
    this.pump(); // a release (hold: false) or a higher concurrency takes effect now
  }

  enqueue(id: string): void {
    if (this.stopped || this.pending.has(id)) return;
    this.pending.set(id, { attempts: 0, finished: new Set(), failures: [] });
    this.ready.push(id);
    this.pump();
  }

  /** Number of messages not yet finished (queued, in delivery or waiting to retry). */
  get size(): number {
    return this.pending.size;
  }

  /** Resolves when nothing is queued or in delivery (tests, shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && (this.ready.length === 0 || this.config.delivery.hold)) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops taking new work; resolves when deliveries in progress have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of this.pending.values()) p.timer?.cancel();
    this.ready.length = 0;
    if (this.running) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (!this.stopped && !this.config.delivery.hold && this.running < this.config.delivery.concurrency && this.ready.length) {
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
      msg = await readQueueFile(this.spool.queuePath(id), id);
    } catch (e) {
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
    if (temporary === undefined) {
      if (p.failures.length) return this.moveToFailed(id, p);
      await this.spool.remove(id).catch((e) => this.log.error({ queueId: id, err: (e as Error).message }, 'cannot remove delivered queue file'));
      this.pending.delete(id);
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
    const exp = this.directory.expandRecipient(rcpt);
    if (exp.mailboxes.length === 0) {
      const why = exp.external.length ? `forwarding to ${exp.external.join(', ')} needs remote delivery, which this server does not do yet` : 'no such local mailbox';
      throw Object.assign(new Error(why), { permanent: true });
    }
    for (const mailbox of exp.mailboxes) {
      const dir = maildirPath(this.config.dataDir, mailbox);
      const file = await deliverToMaildir(dir, deliveryHeaders(msg.envelope.mailFrom, mailbox), {
        path: this.spool.queuePath(msg.id),
        offset: msg.bodyOffset,
        size: msg.size,
      });
      this.log.info({ event: 'delivered', queueId: msg.id, rcpt, mailbox, file, size: msg.size }, 'delivered to maildir');
    }
    if (exp.external.length || exp.unresolved.length) {
      this.log.warn({ event: 'failed', queueId: msg.id, rcpt, external: exp.external, unresolved: exp.unresolved }, 'some alias targets could not be delivered');
    }
  }

  private async moveToFailed(id: string, p: Pending): Promise<void> {
    const dir = join(this.spool.root, 'failed');
    await mkdir(dir, { recursive: true });
    await rename(this.spool.queuePath(id), join(dir, id)).catch(() => {});
    this.log.warn({ event: 'failed', queueId: id, failures: p.failures }, 'message kept in spool/failed');
    this.pending.delete(id);
  }
}
