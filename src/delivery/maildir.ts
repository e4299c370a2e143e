// Q1 local delivery into Maildir (the layout Dovecot reads: <home>/Maildir with
// tmp/, new/, cur/). The file is written in tmp/, fsync'd, then renamed into new/
// and new/ is fsync'd, so a delivered message survives a crash. Return-Path and
// Delivered-To are prepended; the rest is the queued message byte for byte, as
// spool/open-message.ts streams it (the fields added at end of data first).

import { mkdir, open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { basename, join } from 'node:path';
import { DirSync } from '../spool/dir-sync.js';
import type { OutboundMessage } from './types.js';

/** Octets gathered before one write: a small message costs one write. */
const WRITE_BATCH = 256 * 1024;
let counter = 0;
const host = osHostname().replace(/\//g, '\\057').replace(/:/g, '\\072');
/** Open handles on busy Maildir new/ folders for grouped fsyncs; the least recently used is closed past the bound. */
const newDirSyncs = new Map<string, DirSync>();
const OPEN_DIRS_MAX = 64;

function dirSyncFor(dir: string): DirSync {
  let sync = newDirSyncs.get(dir);
  if (sync) {
    newDirSyncs.delete(dir); // re-insert: Map order is the recency order
  } else {
    sync = new DirSync(dir, true);
    if (newDirSyncs.size >= OPEN_DIRS_MAX) {
      const [oldest, old] = newDirSyncs.entries().next().value as [string, DirSync];
      newDirSyncs.delete(oldest);
      void old.close();
    }
  }
  newDirSyncs.set(dir, sync);
  return sync;
}

/** The message to deliver: its size and a fresh stream of it (spool/open-message.ts). */
export type MaildirSource = Pick<OutboundMessage, 'size' | 'open'>;

/** Maildirs known to exist, so a delivery costs no mkdir calls (bounded by the mailbox count). */
const knownMaildirs = new Set<string>();

/**
 * A Maildir++ folder of a mailbox (the layout Dovecot's maildir format reads):
 * <Maildir>/.<name> with its own tmp/, new/, cur/ and an empty `maildirfolder` file.
 */
export function maildirFolder(maildir: string, name: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw Object.assign(new Error(`unsafe Maildir folder name ${JSON.stringify(name)}`), { permanent: true });
  return join(maildir, `.${name}`);
}

export async function ensureMaildir(dir: string): Promise<void> {
  if (knownMaildirs.has(dir)) return;
  await Promise.all(['tmp', 'new', 'cur'].map((d) => mkdir(join(dir, d), { recursive: true, mode: 0o700 })));
  if (basename(dir).startsWith('.')) await writeFile(join(dir, 'maildirfolder'), '', { mode: 0o600, flag: 'a' }); // Maildir++: this is a folder
  knownMaildirs.add(dir);
}

/** Delivers one copy; returns the file name in new/. */
export async function deliverToMaildir(dir: string, prefix: string, src: MaildirSource): Promise<string> {
  await ensureMaildir(dir);
  const head = Buffer.from(prefix, 'utf8');
  const size = head.length + src.size;
  const now = Date.now();
  const name = `${Math.floor(now / 1000)}.M${(now % 1000) * 1000}P${process.pid}Q${++counter}.${host},S=${size}`;
  const tmp = join(dir, 'tmp', name);
  let out;
  try {
    out = await open(tmp, 'wx', 0o600);
  } catch (e) {
    knownMaildirs.delete(dir); // removed behind our back: recreate next time
    throw e;
  }
  try {
    await copyMessage(out, head, src);
    await out.datasync();
  } catch (e) {
    await out.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await out.close();
  const newDir = join(dir, 'new');
  await rename(tmp, join(newDir, name));
  await dirSyncFor(newDir).sync();
  return name;
}

/** Writes `head` and the message, gathering small pieces so a small message costs one write. */
async function copyMessage(out: FileHandle, head: Buffer, src: MaildirSource): Promise<void> {
  let batch: Buffer[] = [head];
  let batched = head.length;
  let copied = 0;
  for await (const chunk of src.open() as AsyncIterable<Buffer>) {
    copied += chunk.length;
    batch.push(chunk);
    batched += chunk.length;
    if (batched >= WRITE_BATCH) {
      await writeAll(out, batch);
      batch = [];
      batched = 0;
    }
  }
  if (batch.length) await writeAll(out, batch);
  if (copied !== src.size) throw new Error(`message stream gave ${copied} octets, ${src.size} expected`);
}

/** Writes the pieces with writev (no copy); many tiny pieces are joined first, writev takes at most IOV_MAX. */
async function writeAll(fh: FileHandle, pieces: Buffer[]): Promise<void> {
  let bufs = pieces.length > 256 ? [Buffer.concat(pieces)] : pieces;
  let left = bufs.reduce((n, b) => n + b.length, 0);
  while (left > 0) {
    const { bytesWritten } = await fh.writev(bufs);
    left -= bytesWritten;
    if (left > 0) bufs = dropFront(bufs, bytesWritten);
  }
}

/** The buffers after the first `n` octets (after a short writev). */
function dropFront(bufs: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (n >= b.length) {
      n -= b.length;
      continue;
    }
    out.push(n ? b.subarray(n) : b);
    n = 0;
  }
  return out;
}

/** The headers a local delivery adds (RFC 5321 4.4 Return-Path; Delivered-To for loop detection). */
export function deliveryHeaders(mailFrom: string, mailbox: string): string {
  return `Return-Path: <${mailFrom}>\r\nDelivered-To: ${mailbox}\r\n`;
}
