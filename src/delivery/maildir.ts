// Q1 local delivery into Maildir (the layout Dovecot reads: <home>/Maildir with
// tmp/, new/, cur/). The file is written in tmp/, fsync'd, then renamed into new/
// and new/ is fsync'd, so a delivered message survives a crash. Return-Path and
// Delivered-To are prepended; the rest is the queued message byte for byte.

import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { DirSync } from '../spool/dir-sync.js';
import { mailboxNameProblem } from '../core/mailbox-name.js';

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

export interface MaildirSource {
  /** The whole message, from its first octet (spool/message-source.ts openMessage). */
  open(): Readable;
  /** Octets open() yields. */
  size: number;
}

/**
 * Maildir of a mailbox: <dataDir>/mail/<domain>/<local>/Maildir. A name that cannot
 * be stored (core/mailbox-name.ts; e.g. a row written into the directory before it
 * validated names) fails permanently: retrying could never deliver it.
 */
export function maildirPath(dataDir: string, mailbox: string): string {
  const at = mailbox.lastIndexOf('@');
  const local = mailbox.slice(0, at);
  const domain = mailbox.slice(at + 1);
  const problem = mailboxNameProblem(local) ?? (/[/\\\0]|^\.|^$/.test(domain) ? 'the domain cannot be a folder name' : undefined);
  if (problem) throw Object.assign(new Error(`unsafe mailbox name ${mailbox}: ${problem}`), { permanent: true });
  return join(dataDir, 'mail', domain, local, 'Maildir');
}

/** Maildirs known to exist, so a delivery costs no mkdir calls (bounded by the mailbox count). */
const knownMaildirs = new Set<string>();

export async function ensureMaildir(dir: string): Promise<void> {
  if (knownMaildirs.has(dir)) return;
  await Promise.all(['tmp', 'new', 'cur'].map((d) => mkdir(join(dir, d), { recursive: true, mode: 0o700 })));
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

/** Writes the prefix and the message; the prefix goes out with the first chunk (one write for a small message). */
async function copyMessage(out: FileHandle, head: Buffer, src: MaildirSource): Promise<void> {
  let first = true;
  let copied = 0;
  for await (const chunk of src.open() as AsyncIterable<Buffer>) {
    copied += chunk.length;
    await writeAll(out, first ? [head, chunk] : [chunk]);
    first = false;
  }
  if (first) await writeAll(out, [head]);
  if (copied !== src.size) throw new Error(`the queued message has ${copied} octets, expected ${src.size}`);
}

async function writeAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  let data = bufs.length === 1 ? bufs[0] : Buffer.concat(bufs);
  while (data.length) {
    const { bytesWritten } = await fh.write(data);
    data = data.subarray(bytesWritten);
  }
}

/** The headers a local delivery adds (RFC 5321 4.4 Return-Path; Delivered-To for loop detection). */
export function deliveryHeaders(mailFrom: string, mailbox: string): string {
  return `Return-Path: <${mailFrom}>\r\nDelivered-To: ${mailbox}\r\n`;
}
