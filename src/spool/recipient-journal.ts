// Durable per-recipient delivery state: one append-only journal for the whole
// spool (spool/journal), records as in journal-records.ts. A record is durable
// (fdatasync'd) before record() resolves; records written meanwhile share one
// fdatasync (group commit), so many deliveries finishing together cost one sync.
//
// Crash rules: a torn last line is skipped at replay; records of messages whose
// queue file is gone are dropped; start-up rewrites the file with only the live
// records (compaction: write journal.new, fsync, rename, fsync the folder), and
// so does a running server once the file has grown well past its live content.

import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DirSync } from './dir-sync.js';
import { applyRecord, replayJournal, stateRecords, type JournalRecord, type MessageState } from './journal-records.js';

export const JOURNAL_FILE = 'journal';
/** The file is compacted once it is past this size and past twice its live content. */
const COMPACT_MIN = 4 * 1024 * 1024;

interface Waiter {
  data: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

export function journalPath(spoolRoot: string): string {
  return join(spoolRoot, JOURNAL_FILE);
}

/** Reads the journal as it is now (a running server may be appending): states by queue id. */
export async function readJournal(spoolRoot: string): Promise<Map<string, MessageState>> {
  let text: string;
  try {
    text = await readFile(journalPath(spoolRoot), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  return replayJournal(text).states;
}

export class RecipientJournal {
  private fh: FileHandle | undefined;
  private size = 0;
  private compactAt = COMPACT_MIN;
  private waiting: Waiter[] = [];
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly rootSync: DirSync;

  private constructor(
    readonly spoolRoot: string,
    private readonly states: Map<string, MessageState>,
    private readonly compactMin: number,
  ) {
    this.rootSync = new DirSync(spoolRoot);
    this.compactAt = compactMin;
  }

  /** Replays the journal, keeps the states of `liveIds` (queued messages) and compacts the file. */
  static async open(spoolRoot: string, liveIds: Iterable<string>, opts: { compactMinBytes?: number } = {}): Promise<{ journal: RecipientJournal; skipped: number }> {
    let text = '';
    try {
      text = await readFile(journalPath(spoolRoot), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const { states, skipped } = replayJournal(text);
    const live = new Set(liveIds);
    for (const id of states.keys()) if (!live.has(id)) states.delete(id);
    const j = new RecipientJournal(spoolRoot, states, opts.compactMinBytes ?? COMPACT_MIN);
    await j.rewrite();
    return { journal: j, skipped };
  }

  get path(): string {
    return journalPath(this.spoolRoot);
  }

  /** The recorded state of a message, if it has any records. */
  get(id: string): MessageState | undefined {
    return this.states.get(id);
  }

  /** Messages with recorded state. */
  ids(): IterableIterator<string> {
    return this.states.keys();
  }

  /** Applies the records now and resolves once they are on disk. */
  record(records: JournalRecord[]): Promise<void> {
    if (!records.length) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error('recipient journal is closed'));
    for (const r of records) applyRecord(this.states, r);
    const data = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    return new Promise((resolve, reject) => {
      this.waiting.push({ data, resolve, reject });
      this.running ??= this.loop();
    });
  }

  /** Drops a finished message's state (its records go at the next compaction). */
  forget(id: string): void {
    this.states.delete(id);
  }

  private async loop(): Promise<void> {
    while (this.waiting.length) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        const buf = Buffer.from(batch.map((w) => w.data).join(''), 'utf8');
        this.fh ??= await open(this.path, 'a', 0o600);
        let off = 0;
        while (off < buf.length) off += (await this.fh.write(buf, off, buf.length - off)).bytesWritten;
        await this.fh.datasync();
        this.size += buf.length;
        for (const w of batch) w.resolve();
      } catch (e) {
        // The handle may be broken: reopen for the next batch; these callers retry or defer.
        await this.fh?.close().catch(() => {});
        this.fh = undefined;
        for (const w of batch) w.reject(e as Error);
      }
      if (this.size > this.compactAt && !this.waiting.length) await this.rewrite().catch(() => {});
    }
    this.running = undefined;
  }

  /** Writes the live state as a new file and swaps it in (only while no append is in flight). */
  private async rewrite(): Promise<void> {
    const lines: string[] = [];
    for (const st of this.states.values()) for (const r of stateRecords(st)) lines.push(JSON.stringify(r));
    const buf = Buffer.from(lines.length ? lines.join('\n') + '\n' : '', 'utf8');
    const tmp = `${this.path}.new`;
    const out = await open(tmp, 'w', 0o600);
    try {
      let off = 0;
      while (off < buf.length) off += (await out.write(buf, off, buf.length - off)).bytesWritten;
      await out.datasync();
    } catch (e) {
      await out.close().catch(() => {});
      await unlink(tmp).catch(() => {});
      throw e;
    }
    await out.close();
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
    await rename(tmp, this.path);
    await this.rootSync.sync();
    this.size = buf.length;
    this.compactAt = Math.max(this.compactMin, buf.length * 2);
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
    await this.rootSync.close();
  }
}
