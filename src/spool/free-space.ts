// Free space of the spool's file system (P5 spool.minFreeBytes), from statfs.
// The reading is cached for a second and concurrent callers share one call, so
// a busy server makes at most one statfs per second whatever its message rate.

import { statfs } from 'node:fs/promises';

export const FREE_SPACE_CACHE_MS = 1000;

export class SpoolFreeSpace {
  private reading: { at: number; value: Promise<number> } | undefined;

  constructor(private readonly dir: string, private readonly now: () => number = Date.now, private readonly cacheMs = FREE_SPACE_CACHE_MS) {}

  /** Octets available to an unprivileged writer (f_bavail x f_bsize). */
  freeBytes(): Promise<number> {
    const t = this.now();
    if (!this.reading || t - this.reading.at >= this.cacheMs) {
      const value = statfs(this.dir).then((s) => s.bavail * s.bsize);
      value.catch(() => {
        if (this.reading?.value === value) this.reading = undefined; // a failure is not cached
      });
      this.reading = { at: t, value };
    }
    return this.reading.value;
  }
}
