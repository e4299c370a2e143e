// P5 durability. A message is written to spool/incoming/<id> (format:
// queue-file.ts), fsync'd with the fields added at end of data and the trailer,
// renamed into spool/queue/<id> and the queue directory fsync'd (grouped with
// other messages committing at the same time) before commit() resolves, i.e.
// before the 250. On start, incoming/ is emptied (never acknowledged) and queue/
// rescanned.
//
// Files are recycled: a delivered or aborted message's file moves to spool/free/
// and the next message overwrites it. Creating and deleting a file per message
// is what costs most on a busy file system (ext4 scans recently deleted inodes on
// every create); a rename and an overwrite of allocated blocks cost little.

import { mkdir, open, readdir, rename, unlink, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { MessageSink, SpoolEnvelope, Submitter } from '../core/submission.js';
import { DirSync } from './dir-sync.js';
import { encodePreamble, encodeTrailer } from './queue-file.js';
import { newQueueId, QUEUE_ID } from './queue-id.js';

/** Bytes buffered in memory per message before they are written out. */
const FLUSH_AT = 64 * 1024;
/** Recycled files kept for reuse; past this, freed files are deleted. */
const FREE_POOL_MAX = 1024;

/** Octets read per step when an end-of-data check streams a message back from its file. */
const READ_BACK = 256 * 1024;
const NO_PREPEND = Buffer.alloc(0);

/** A committed message as the spool saw it, so delivery needs not read it back (queue-file.ts's QueuedMessage, plus the bytes). */
export interface Committed {
  id: string;
  envelope: SpoolEnvelope;
  bodyOffset: number;
  /** Stored message octets (without the prepend). */
  size: number;
  /** Header fields added at end of data, emitted before the stored octets (empty when none). */
  prepend: Buffer;
  fileSize: number;
  /** The stored message bytes, when the message was small enough to be held in memory. */
  body?: Buffer;
  /** How long the commit took (metrics): the file's fdatasync, and the whole commit up to the durable rename. */
  timing?: { fsyncSeconds: number; commitSeconds: number };
}

interface FreeFile {
  name: string;
  size: number;
}

export class Spool implements Submitter {
  readonly incomingDir: string;
  readonly queueDir: string;
  readonly freeDir: string;
  private readonly queueSync: DirSync;
  private readonly free: FreeFile[] = [];
  private freeSeq = 0;
  /** Called for each newly committed message (the scheduler listens). */
  onQueued: (id: string, committed?: Committed) => void = () => {};

  constructor(readonly root: string) {
    this.incomingDir = join(root, 'incoming');
    this.queueDir = join(root, 'queue');
    this.freeDir = join(root, 'free');
    this.queueSync = new DirSync(this.queueDir, true);
  }

  /** Creates the folders, recycles unacknowledged incoming files, lists queued ids. */
  async open(): Promise<string[]> {
    await mkdir(this.incomingDir, { recursive: true });
    await mkdir(this.queueDir, { recursive: true });
    await mkdir(this.freeDir, { recursive: true });
    for (const name of await readdir(this.freeDir)) {
      if (this.free.length >= FREE_POOL_MAX) await unlink(join(this.freeDir, name)).catch(() => {});
      else this.free.push({ name, size: (await stat(join(this.freeDir, name)).catch(() => ({ size: Infinity }))).size });
    }
    for (const f of await readdir(this.incomingDir)) await this.recycle(join(this.incomingDir, f), Infinity);
    return (await readdir(this.queueDir)).filter((f) => QUEUE_ID.test(f)).sort();
  }

  queuePath(id: string): string {
    return join(this.queueDir, id);
  }

  async begin(envelope: SpoolEnvelope): Promise<MessageSink> {
    const id = newQueueId();
    return new SpoolSink(this, id, envelope, encodePreamble(envelope), this.acquire(id));
  }

  /** An open file at incoming/<id>: a recycled one if any, else a new one. */
  private async acquire(id: string): Promise<{ fh: FileHandle; oldSize: number }> {
    const path = join(this.incomingDir, id);
    while (this.free.length) {
      const f = this.free.pop()!;
      try {
        await rename(join(this.freeDir, f.name), path);
        return { fh: await open(path, 'r+'), oldSize: f.size };
      } catch {
        // gone or unusable: try the next one
      }
    }
    return { fh: await open(path, 'wx+', 0o600), oldSize: 0 }; // read too: eod checks may stream a large message back
  }

  /** Moves a file that is no longer needed into the free pool (or deletes it when the pool is full). */
  async recycle(path: string, size: number): Promise<void> {
    if (this.free.length >= FREE_POOL_MAX) {
      await unlink(path).catch(() => {});
      return;
    }
    const name = `f${Date.now().toString(36)}${(++this.freeSeq).toString(36)}`;
    try {
      await rename(path, join(this.freeDir, name));
      this.free.push({ name, size });
    } catch {
      await unlink(path).catch(() => {});
    }
  }

  /** Second half of a commit: rename into the queue and make the rename durable. */
  async publish(c: Committed, started?: bigint): Promise<void> {
    await rename(join(this.incomingDir, c.id), this.queuePath(c.id));
    await this.queueSync.sync();
    if (c.timing && started !== undefined) c.timing.commitSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.onQueued(c.id, c);
  }

  /** A delivered message: its file is recycled. `fileSize`: the whole file (QueuedMessage.fileSize), so a reuse cuts what is longer. */
  async remove(id: string, fileSize = Infinity): Promise<void> {
    await this.recycle(this.queuePath(id), fileSize);
  }

  async close(): Promise<void> {
    await this.queueSync.close();
  }
}

class SpoolSink implements MessageSink {
  private fh: FileHandle | undefined;
  private oldSize = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  /** True until the first write to the file: then pending[0] is the preamble and the rest is the whole message. */
  private inMemory = true;
  private readonly preambleLength: number;
  private writing: Promise<void> | undefined;
  private failed: Error | undefined;
  private finished = false;

  constructor(
    private readonly spool: Spool,
    readonly id: string,
    private readonly envelope: SpoolEnvelope,
    preamble: Buffer,
    private readonly file: Promise<{ fh: FileHandle; oldSize: number }>,
  ) {
    file.catch(() => {}); // awaited (and reported) at the first flush
    this.pending.push(preamble);
    this.pendingBytes = preamble.length;
    this.preambleLength = preamble.length;
  }

  private get path(): string {
    return join(this.spool.incomingDir, this.id);
  }

  get size(): number {
    return this.written + this.pendingBytes - this.preambleLength; // the preamble is in one or the other
  }

  write(chunk: Buffer): Promise<void> | undefined {
    if (this.finished) return undefined;
    if (this.failed) return Promise.reject(this.failed);
    // Slices of socket buffers: Node hands each 'data' event a fresh buffer, so holding them is safe.
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < FLUSH_AT) return undefined;
    return this.flush();
  }

  stream(): Readable {
    return Readable.from(this.readBack(), { objectMode: false });
  }

  /** The message octets so far: the pending buffers of a small message, else the file (after a flush). */
  private async *readBack(): AsyncGenerator<Buffer> {
    if (this.inMemory) {
      yield* this.pending.slice(1);
      return;
    }
    await this.flush();
    const fh = await this.handle();
    const end = this.written;
    const buf = Buffer.allocUnsafe(Math.min(READ_BACK, Math.max(end - this.preambleLength, 1)));
    for (let pos = this.preambleLength; pos < end; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) throw new Error(`spool file ${this.id} is shorter than written`);
      pos += bytesRead;
      yield Buffer.from(buf.subarray(0, bytesRead)); // a copy: the buffer is reused
    }
  }

  private async handle(): Promise<FileHandle> {
    if (!this.fh) {
      const f = await this.file;
      this.fh = f.fh;
      this.oldSize = f.oldSize;
    }
    return this.fh;
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
    this.inMemory = false;
    this.writing = (async () => {
      const fh = await this.handle();
      const total = bufs.reduce((n, b) => n + b.length, 0);
      let off = 0;
      while (off < total) {
        const { bytesWritten } = await fh.writev(off === 0 ? bufs : sliceFrom(bufs, off), this.written + off);
        off += bytesWritten;
      }
      this.written += total;
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

  async commit(prepend: Buffer = NO_PREPEND): Promise<void> {
    if (this.finished) throw new Error('message already finished');
    const started = process.hrtime.bigint();
    // A small message never flushed: all its bytes are still here, for delivery from memory.
    const body = this.inMemory ? Buffer.concat(this.pending.slice(1)) : undefined;
    const size = this.size;
    // The fields added at end of data and the trailer go out with the last write, before the fdatasync.
    if (prepend.length) this.pending.push(prepend);
    const trailer = encodeTrailer(size, prepend.length);
    this.pending.push(trailer);
    this.pendingBytes += prepend.length + trailer.length;
    await this.flush();
    const fh = await this.handle();
    this.finished = true;
    if (this.oldSize > this.written) await fh.truncate(this.written); // a recycled file was longer
    const synced = process.hrtime.bigint();
    await fh.datasync();
    const fsyncSeconds = Number(process.hrtime.bigint() - synced) / 1e9;
    const committed: Committed = { id: this.id, envelope: this.envelope, bodyOffset: this.preambleLength, size, prepend, fileSize: this.written, body, timing: { fsyncSeconds, commitSeconds: 0 } };
    try {
      await this.spool.publish(committed, started);
    } finally {
      this.fh = undefined;
      fh.close().catch(() => {}); // closing needs not delay the reply
    }
  }

  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.pending = [];
    while (this.writing) await this.writing.catch(() => {});
    const f = await this.file.catch(() => undefined);
    if (!f) return;
    await f.fh.close().catch(() => {});
    this.fh = undefined;
    await this.spool.recycle(this.path, Math.max(this.written, f.oldSize));
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
