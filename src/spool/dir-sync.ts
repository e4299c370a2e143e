// Group commit for directory fsyncs: many renames into one directory are made
// durable by one fsync of that directory. A caller's promise resolves only after
// an fsync that started after its rename, so no caller is acknowledged early.

import { open, type FileHandle } from 'node:fs/promises';

/** A kept-open directory handle is closed after this long without a sync. */
const IDLE_CLOSE_MS = 1000;

export class DirSync {
  private running: Promise<void> | undefined;
  private waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private fh: FileHandle | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  /** keepOpen: hold the directory open between syncs (for a busy directory like the queue). */
  constructor(private readonly dir: string, private readonly keepOpen = false) {}

  sync(): Promise<void> {
    clearTimeout(this.idleTimer);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) this.running = this.loop();
    });
  }

  private async syncOnce(): Promise<void> {
    if (this.keepOpen) {
      this.fh ??= await open(this.dir, 'r');
      await this.fh.sync();
      return;
    }
    const fh = await open(this.dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  private async loop(): Promise<void> {
    while (this.waiting.length) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        await this.syncOnce();
        for (const w of batch) w.resolve();
      } catch (e) {
        // A broken handle is not reused: the next sync opens the directory again.
        await this.fh?.close().catch(() => {});
        this.fh = undefined;
        for (const w of batch) w.reject(e as Error);
      }
    }
    this.running = undefined;
    // A directory that went quiet gives its handle back (and none is left to the garbage collector).
    if (this.fh) {
      this.idleTimer = setTimeout(() => {
        if (this.running) return;
        const fh = this.fh;
        this.fh = undefined;
        void fh?.close().catch(() => {});
      }, IDLE_CLOSE_MS);
      this.idleTimer.unref();
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    while (this.running) await this.running;
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
  }
}
