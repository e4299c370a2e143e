// P5 durability. A message is written to spool/incoming/<id>, fsync'd, renamed
// into spool/queue/<id> and the queue directory fsync'd (grouped with other
// messages committing at the same time) before commit() resolves, i.e. before
// the 250. On start, incoming/ is emptied (never acknowledged) and queue/ rescanned.

import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageSink, SpoolEnvelope, Submitter } from '../smtp/submitter.js';
import { DirSync } from './dir-sync.js';
import { encodePreamble } from './queue-file.js';
import { newQueueId, QUEUE_ID } from './queue-id.js';

/** Bytes buffered in memory per message before they are written out. */
const FLUSH_AT = 64 * 1024;

export class Spool implements Submitter {
  readonly incomingDir: string;
  readonly queueDir: string;
  private readonly queueSync: DirSync;
  /** Called with the id of each newly committed message (the scheduler listens). */
  onQueued: (id: string) => void = () => {};

  constructor(readonly root: string) {
    this.incomingDir = join(root, 'incoming');
    this.queueDir = join(root, 'queue');
    this.queueSync = new DirSync(this.queueDir);
  }

  /** Creates the folders, removes unacknowledged incoming files, lists queued ids. */
  async open(): Promise<string[]> {
    await mkdir(this.incomingDir, { recursive: true });
    await mkdir(this.queueDir, { recursive: true });
    for (const f of await readdir(this.incomingDir)) await unlink(join(this.incomingDir, f)).catch(() => {});
    return (await readdir(this.queueDir)).filter((f) => QUEUE_ID.test(f)).sort();
  }

  queuePath(id: string): string {
    return join(this.queueDir, id);
  }

  async begin(envelope: SpoolEnvelope): Promise<MessageSink> {
    return new SpoolSink(this, newQueueId(), encodePreamble(envelope));
  }

  /** Second half of a commit: rename into the queue and make the rename durable. */
  async publish(id: string): Promise<void> {
    await rename(join(this.incomingDir, id), this.queuePath(id));
    await this.queueSync.sync();
    this.onQueued(id);
  }

  async remove(id: string): Promise<void> {
    await unlink(this.queuePath(id));
  }
}

class SpoolSink implements MessageSink {
  private fh: FileHandle | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> | undefined;
  private failed: Error | undefined;
  private finished = false;

  constructor(private readonly spool: Spool, readonly id: string, preamble: Buffer) {
    this.pending.push(preamble);
    this.pendingBytes = preamble.length;
  }

  private get path(): string {
    return join(this.spool.incomingDir, this.id);
  }

  write(chunk: Buffer): Promise<void> | undefined {
    if (this.finished) return undefined;
    // Slices of socket buffers are copied only when they must outlive this tick.
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < FLUSH_AT) return undefined;
    return this.flush();
  }

  /** Writes what is pending; one write in flight at a time. */
  private async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failed) throw this.failed;
    if (!this.pending.length) return;
    // Many tiny slices (short dot-stuffed lines) are joined: writev takes at most IOV_MAX.
    const bufs = this.pending.length > 256 ? [Buffer.concat(this.pending)] : this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.writing = (async () => {
      this.fh ??= await open(this.path, 'wx', 0o600);
      let off = 0;
      const total = bufs.reduce((n, b) => n + b.length, 0);
      while (off < total) {
        const { bytesWritten } = await this.fh.writev(off === 0 ? bufs : sliceFrom(bufs, off));
        off += bytesWritten;
      }
    })();
    try {
      await this.writing;
    } catch (e) {
      this.failed = e as Error;
      throw e;
    } finally {
      this.writing = undefined;
    }
  }

  async commit(): Promise<void> {
    if (this.finished) throw new Error('message already finished');
    await this.flush();
    const fh = this.fh!;
    this.finished = true;
    this.fh = undefined;
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.spool.publish(this.id);
  }

  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.pending = [];
    while (this.writing) await this.writing.catch(() => {});
    const fh = this.fh;
    this.fh = undefined;
    if (fh) {
      await fh.close().catch(() => {});
      await unlink(this.path).catch(() => {});
    }
  }
}

/** The buffers of `bufs` from byte offset `off` on (after a short writev). */
function sliceFrom(bufs: Buffer[], off: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (off >= b.length) {
      off -= b.length;
      continue;
    }
    out.push(off ? b.subarray(off) : b);
    off = 0;
  }
  return out;
}
