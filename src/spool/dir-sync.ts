// Group commit for directory fsyncs: many renames into one directory are made
// durable by one fsync of that directory. A caller's promise resolves only after
// an fsync that started after its rename, so no caller is acknowledged early.

import { open } from 'node:fs/promises';

export class DirSync {
  private running: Promise<void> | undefined;
  private waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  constructor(private readonly dir: string) {}

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) this.running = this.loop();
    });
  }

  private async loop(): Promise<void> {
    while (this.waiting.length) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        const fh = await open(this.dir, 'r');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        for (const w of batch) w.resolve();
      } catch (e) {
        for (const w of batch) w.reject(e as Error);
      }
    }
    this.running = undefined;
  }
}
