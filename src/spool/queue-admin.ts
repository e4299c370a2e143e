// R10 / Q6 queue tools on the embedded spool, for `rampart queue ...`: list and
// show queued messages, purge them by filter. Safe while the server runs: a purge
// renames queue/<id> to purged/<id> (atomic; an open reader keeps its file), and
// the scheduler treats a vanished queue file as gone (no retry). Messages still
// being received (incoming/) are not queued yet and never listed.

import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpoolEnvelope } from '../core/submission.js';
import { readQueueFile, messageSize } from './queue-file.js';
import { openMessage } from './open-message.js';
import { readHeaderBlock } from '../core/header-block.js';
import { QUEUE_ID } from './queue-id.js';
import type { QueueFilter } from './queue-filter.js';

export type QueueState = 'queued' | 'failed' | 'purged';
/** Folder under the spool root for each state. */
export const STATE_DIRS: Record<QueueState, string> = { queued: 'queue', failed: 'failed', purged: 'purged' };

export interface QueueEntry {
  id: string;
  /** "" for the null sender. */
  mailFrom: string;
  rcpts: string[];
  clientIp: string;
  helo?: string;
  authUser?: string;
  listener: string;
  receivedAt: number;
  /** Message size in octets. */
  size: number;
}

export interface ScanResult {
  entries: QueueEntry[];
  /** Queue files whose envelope could not be read (with the reason); never matched by a filter. */
  unreadable: Array<{ id: string; error: string }>;
  /** Files in the folder, matched or not. */
  total: number;
}

function toEntry(id: string, env: SpoolEnvelope, size: number): QueueEntry {
  return {
    id,
    mailFrom: env.mailFrom,
    rcpts: env.rcpts.map((r) => r.address),
    clientIp: env.client.ip,
    helo: env.client.helo,
    authUser: env.client.authUser,
    listener: env.client.listener,
    receivedAt: env.receivedAt,
    size,
  };
}

/** Runs `fn` over `items` with at most `n` at a time, keeping order in the result. */
async function mapLimit<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** Ids of the files in one state folder, oldest first (ids sort by time). */
export async function queueIds(spoolRoot: string, state: QueueState = 'queued'): Promise<string[]> {
  try {
    return (await readdir(join(spoolRoot, STATE_DIRS[state]))).filter((f) => QUEUE_ID.test(f)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** A page of a scan: ids after `after` (ids sort by time), until `limit` matches are found. */
export interface ScanPage {
  after?: string;
  limit?: number;
}

/**
 * Reads the envelopes of queued messages and keeps those the filter matches; with
 * a page, only ids after `page.after`, in order, until `page.limit` matched
 * (`more` says whether others may follow).
 */
export async function scanQueue(spoolRoot: string, filter: QueueFilter = () => true, state: QueueState = 'queued', page: ScanPage = {}): Promise<ScanResult & { more: boolean }> {
  const dir = join(spoolRoot, STATE_DIRS[state]);
  const ids = await queueIds(spoolRoot, state);
  const after = page.after;
  const todo = after === undefined ? ids : ids.filter((id) => id > after);
  const limit = page.limit ?? Infinity;
  const entries: QueueEntry[] = [];
  const unreadable: ScanResult['unreadable'] = [];
  // In batches, so that a page of a long queue reads only the files it needs.
  const batch = limit === Infinity ? todo.length : 64;
  let i = 0;
  while (i < todo.length && entries.length <= limit) {
    const slice = todo.slice(i, i + batch);
    i += slice.length;
    const read = await mapLimit(slice, 16, async (id) => {
      try {
        const q = await readQueueFile(join(dir, id), id);
        return { id, q };
      } catch (e) {
        return { id, error: e as NodeJS.ErrnoException };
      }
    });
    for (const r of read) {
      if ('q' in r && r.q) {
        if (filter(r.q.envelope)) entries.push(toEntry(r.id, r.q.envelope, messageSize(r.q)));
      } else if (r.error?.code !== 'ENOENT') {
        unreadable.push({ id: r.id, error: r.error?.message ?? 'unknown error' }); // ENOENT: delivered meanwhile
      }
    }
  }
  const more = entries.length > limit;
  return { entries: more ? entries.slice(0, limit) : entries, unreadable, total: ids.length, more };
}

export interface PurgeResult {
  /** Messages removed from the queue. */
  purged: QueueEntry[];
  /** Matched, but gone before the purge reached them (delivered meanwhile). */
  vanished: string[];
  /** Where purged files went (undefined when deleted). */
  purgedDir?: string;
}

/**
 * Removes every queued message the filter matches: moved to spool/purged/ (kept as
 * evidence, and recoverable), or deleted with `del`. `dryRun` only reports.
 */
export async function purgeQueue(spoolRoot: string, filter: QueueFilter, opts: { dryRun?: boolean; del?: boolean } = {}): Promise<PurgeResult & { unreadable: ScanResult['unreadable'] }> {
  const scan = await scanQueue(spoolRoot, filter);
  const purgedDir = opts.del ? undefined : join(spoolRoot, STATE_DIRS.purged);
  if (opts.dryRun) return { purged: scan.entries, vanished: [], purgedDir, unreadable: scan.unreadable };
  if (purgedDir) await mkdir(purgedDir, { recursive: true });
  const purged: QueueEntry[] = [];
  const vanished: string[] = [];
  for (const e of scan.entries) {
    const from = join(spoolRoot, STATE_DIRS.queued, e.id);
    try {
      if (purgedDir) await rename(from, join(purgedDir, e.id));
      else await unlink(from);
      purged.push(e);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      vanished.push(e.id);
    }
  }
  if (purgedDir && purged.length) await syncDir(purgedDir);
  await syncDir(join(spoolRoot, STATE_DIRS.queued));
  return { purged, vanished, purgedDir, unreadable: scan.unreadable };
}

/** fsyncs a folder after renames in it (a folder that does not exist has nothing to make durable). */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface ShownMessage {
  state: QueueState;
  entry: QueueEntry;
  envelope: SpoolEnvelope;
  /** The message's header section (up to the empty line; at most 64 KiB), latin1. */
  headers: string;
  path: string;
}

const MAX_HEADERS = 64 * 1024;

/** Finds a message by id in queue/, failed/ or purged/; undefined when absent. Throws on a malformed id. */
export async function showMessage(spoolRoot: string, id: string): Promise<ShownMessage | undefined> {
  const wanted = id.trim().toUpperCase();
  if (!QUEUE_ID.test(wanted)) throw new Error(`"${id}" is not a queue id.`);
  for (const state of Object.keys(STATE_DIRS) as QueueState[]) {
    const path = join(spoolRoot, STATE_DIRS[state], wanted);
    let q;
    try {
      q = await readQueueFile(path, wanted);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    // The whole message as delivery reads it: the fields added at end of data come first.
    const headers = (await readHeaderBlock(openMessage({ path, ...q }), MAX_HEADERS)).toString('latin1');
    return { state, entry: toEntry(wanted, q.envelope, messageSize(q)), envelope: q.envelope, headers, path };
  }
  return undefined;
}
