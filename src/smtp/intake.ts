// One message being received: every slice is counted against the size limits
// (S1-S4, the policy's guard) before it is stored, then cleaned (S5-S8) on its
// way into the spool sink. Once nothing more may be stored - a limit crossed, or
// the sink failed (ENOSPC...) - the sink is aborted at once (file recycled, handle
// closed) and the rest of the message is only counted, so the session can read it
// to its end and answer. Nothing here ever rejects: failures are kept for finish.

import type { Decision } from '../core/decision.js';
import type { MessageSink } from '../core/submission.js';
import type { MessageSizeGuard } from '../policy/types.js';
import type { CleanupPipeline } from '../cleanup/pipeline.js';
import type { LineEndingScanner } from './line-endings.js';

export class Intake {
  /** Octets received (decoded content, without our Received field). */
  bytes = 0;
  /** The sink's failure (e.g. ENOSPC), if storing failed. */
  failure: unknown;
  /** True once nothing more is stored (limit crossed, or the sink failed); the sink was aborted. */
  private stopped = false;
  private discarding: Promise<void> | undefined;

  constructor(
    readonly sink: MessageSink,
    readonly guard: MessageSizeGuard,
    /** S5-S8 cleanup stage between the intake and the sink. */
    readonly cleanup: CleanupPipeline,
  ) {}

  /** Counts and stores a slice; once stopped, bytes are only counted. The promise never rejects. */
  write(b: Buffer): Promise<void> | undefined {
    this.bytes += b.length;
    const stop = this.guard.count(b); // S1-S4 (policy/size-guard.ts), before anything is stored
    if (this.stopped) return undefined;
    if (stop) return this.discard(); // nothing of an oversized message stays on disk
    const wait = this.cleanup.write(b, this.sink); // S5-S8 (cleanup/pipeline.ts)
    return wait?.catch((e: unknown) => this.fail(e));
  }

  /** Writes what the cleanup stage held back; the cleanup refusal (S5/S7), if any. Never rejects. */
  async finishCleanup(): Promise<Decision | undefined> {
    if (this.stopped) return undefined;
    try {
      return await this.cleanup.finish(this.sink);
    } catch (e) {
      await this.fail(e);
      return undefined;
    }
  }

  /** Storing failed: keep the error for the reply, drop the file. */
  fail(e: unknown): Promise<void> {
    this.failure ??= e;
    return this.discard();
  }

  /** Aborts the sink once (its file recycled, its handle closed); waits for it. */
  discard(): Promise<void> {
    this.stopped = true;
    return (this.discarding ??= this.sink.abort().catch(() => {}));
  }
}

/** A BDAT transaction across its chunks. */
export interface BdatState {
  intake?: Intake;
  scanner: LineEndingScanner;
  /** Once a chunk failed, every later chunk of the transaction gets this answer. */
  error?: Decision;
}
