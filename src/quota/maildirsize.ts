// Q5 mailbox usage, kept the Maildir++ way (the `maildirsize` file Courier and
// Dovecot's "maildir" quota backend read and write), so Rampart and Dovecot
// agree on one number:
//
//   line 1          the quota: "<bytes>S", "<count>C" or both, comma separated
//   other lines     "<bytes> <count>": a change (a delivery +, an expunge by Dovecot -)
//
// Usage is the sum of the lines after the first. A delivery appends one line
// (O_APPEND: concurrent appends never interleave). The file is recalculated -
// every message file of the Maildir and its Maildir++ folders counted, written to
// tmp/ and renamed over - when (Maildir++ rules, maildirquota(7)):
//   - it is missing or unreadable;
//   - it has grown past 5120 octets (many small updates);
//   - its first line differs from the quota now set (a `quota set` changed it);
//   - the sum refuses the message being asked about (or, asked about none, says
//     "over quota") and the file is at least 15 minutes old: a client that deleted
//     mail without writing a line - e.g. Dovecot without its maildir quota backend,
//     or rm - cannot keep a mailbox full for longer than that.

import { mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const MAILDIRSIZE = 'maildirsize';
/** Maildir++: recalculate once the file is larger than this. */
export const RECALC_OVER_OCTETS = 5120;
/** Maildir++: recalculate a sum that refuses mail once the file is this old. */
export const RECALC_OVER_QUOTA_AGE_MS = 15 * 60 * 1000;

export interface Usage {
  bytes: number;
  messages: number;
}

/** The limits as Maildir++ writes them. */
export interface QuotaLimits {
  bytes?: number;
  messages?: number;
}

/** "1073741824S,1000C": the first line of maildirsize. */
export function quotaLine(q: QuotaLimits): string {
  const parts: string[] = [];
  if (q.bytes !== undefined) parts.push(`${q.bytes}S`);
  if (q.messages !== undefined) parts.push(`${q.messages}C`);
  return parts.join(',');
}

export function isOver(u: Usage, q: QuotaLimits): boolean {
  return (q.bytes !== undefined && u.bytes > q.bytes) || (q.messages !== undefined && u.messages > q.messages);
}

/** Size of a message file: Maildir's ",S=<n>" in the name when present (no stat), else its stat. */
async function fileSize(dir: string, name: string): Promise<number | undefined> {
  const m = /,S=(\d+)/.exec(name);
  if (m) return Number(m[1]);
  try {
    return (await stat(join(dir, name))).size;
  } catch {
    return undefined; // expunged while we counted
  }
}

/** Counts every message in new/ and cur/ of the Maildir and of its Maildir++ folders (".Name"). */
export async function countMaildir(maildir: string): Promise<Usage> {
  const usage: Usage = { bytes: 0, messages: 0 };
  const folders = [maildir];
  try {
    for (const e of await readdir(maildir, { withFileTypes: true })) if (e.isDirectory() && e.name.startsWith('.') && e.name !== '.' && e.name !== '..') folders.push(join(maildir, e.name));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return usage;
    throw e;
  }
  for (const f of folders) {
    for (const sub of ['new', 'cur']) {
      const dir = join(f, sub);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const n of names) {
        if (n.startsWith('.')) continue;
        const size = await fileSize(dir, n);
        if (size === undefined) continue;
        usage.bytes += size;
        usage.messages++;
      }
    }
  }
  return usage;
}

/** Recounts in progress, by Maildir: questions asked meanwhile share one count instead of racing renames. */
const recounting = new Map<string, Promise<Usage>>();

/** Recounts the Maildir and rewrites maildirsize (tmp/ then rename, as Maildir++ does). */
export function recalculate(maildir: string, q: QuotaLimits): Promise<Usage> {
  const key = `${maildir}\0${quotaLine(q)}`;
  let p = recounting.get(key);
  if (!p) {
    p = recount(maildir, q).finally(() => recounting.delete(key));
    recounting.set(key, p);
  }
  return p;
}

async function recount(maildir: string, q: QuotaLimits): Promise<Usage> {
  const usage = await countMaildir(maildir);
  // A Maildir whose only delivery so far went to a folder (A7 quarantine into .Junk) has no tmp/ yet:
  // without it every recount failed, and with it every quota question - the mailbox refused all mail.
  await mkdir(join(maildir, 'tmp'), { recursive: true, mode: 0o700 });
  const tmp = join(maildir, 'tmp', `${Date.now()}.${process.pid}.${Math.random().toString(36).slice(2)}.maildirsize`);
  await writeFile(tmp, `${quotaLine(q)}\n${usage.bytes} ${usage.messages}\n`, { mode: 0o600 });
  await rename(tmp, join(maildir, MAILDIRSIZE));
  return usage;
}

/** The sum of the change lines, or undefined when the file cannot be used as it is (see the rules above). */
function parse(text: string, q: QuotaLimits): Usage | undefined {
  if (text.length > RECALC_OVER_OCTETS) return undefined;
  const lines = text.split('\n');
  if (lines[0].trim() !== quotaLine(q)) return undefined;
  const usage: Usage = { bytes: 0, messages: 0 };
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i].trim();
    if (!l) continue;
    const m = /^(-?\d+)\s+(-?\d+)$/.exec(l);
    if (!m) return undefined;
    usage.bytes += Number(m[1]);
    usage.messages += Number(m[2]);
  }
  return usage;
}

export interface UsageQuestion {
  now?: number;
  /** Whether a usage would refuse the message being asked about; default: whether it is over quota. */
  refuses?: (u: Usage) => boolean;
  /** false: a file that needs a recount is counted but not rewritten. Default true. */
  write?: boolean;
}

/**
 * The mailbox's usage under quota `q`, from maildirsize (recalculated when the
 * rules say so). A Maildir that does not exist yet holds nothing.
 */
export async function maildirUsage(maildir: string, q: QuotaLimits, ask: UsageQuestion = {}): Promise<Usage> {
  const { now = Date.now(), refuses = (u: Usage) => isOver(u, q), write = true } = ask;
  const path = join(maildir, MAILDIRSIZE);
  const refresh = () => (write ? recalculate(maildir, q) : countMaildir(maildir));
  let text: string;
  try {
    text = await readFile(path, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    try {
      await stat(maildir);
    } catch {
      return { bytes: 0, messages: 0 }; // never delivered to
    }
    return refresh();
  }
  const usage = parse(text, q);
  if (!usage) return refresh();
  if (refuses(usage) && now - (await stat(path)).mtimeMs >= RECALC_OVER_QUOTA_AGE_MS) return refresh();
  return usage;
}

/** Adds one delivered message of `bytes` octets to maildirsize (creating it by a recount when missing). */
export async function addDelivery(maildir: string, bytes: number, q: QuotaLimits): Promise<void> {
  const path = join(maildir, MAILDIRSIZE);
  let fh;
  try {
    fh = await open(path, 'a');
  } catch {
    await recount(maildir, q); // its own count (not a shared one begun earlier): it must include the message just delivered
    return;
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) {
      await fh.close();
      fh = undefined;
      await recount(maildir, q);
      return;
    }
    await fh.write(`${bytes} 1\n`);
  } finally {
    await fh?.close();
  }
}
