// Q6 / R10 every queue operation, in one module: `rampart queue ...` calls it, and
// so will the admin HTTP API, so each operation has one code path. It works on
// the spool folder, whether or not a server runs: listing reads queue files and
// the recipient journal; per-message holds are flag files; retry, bounce,
// requeue and delete also leave a request in spool/control/ that a running
// scheduler answers within a second (queue-control.ts).

import { existsSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Snapshot } from '../config/load.js';
import { routeDomain } from '../config/routing.js';
import { clearHold, readHold, setHold, type HoldState } from './hold.js';
import { readJournal } from './recipient-journal.js';
import type { MessageState } from './journal-records.js';
import { purgeQueue, queueIds, scanQueue, showMessage, STATE_DIRS, syncDir, type QueueEntry, type ScanPage, type ScanResult, type ShownMessage } from './queue-admin.js';
import type { QueueFilter } from './queue-filter.js';
import { clearMessageHold, heldIds, setMessageHold, takeAnswer, writeRequest, type ControlAnswer, type ControlOp } from './queue-control.js';
import { QUEUE_ID } from './queue-id.js';

/** A request the caller got wrong (bad id); the message is one sentence. */
export class QueueOpError extends Error {
  override name = 'QueueOpError';
}

export interface QueueContext {
  spoolRoot: string;
  config: Snapshot;
  /** Whether a domain is ours (the directory); routes a recipient not yet attempted. */
  isLocalDomain: (domain: string) => boolean;
  now?: number;
}

export type RecipientShownState = 'pending' | 'deferred' | 'delivered' | 'failed' | 'forwarded';

export interface ListedRecipient {
  address: string;
  channel: string;
  /** Q4: why the message left by this channel rather than the one its domain routes to ("alternate: blocks 12000 > 10000"). */
  channelReason?: string;
  state: RecipientShownState;
  /** RFC 3463 status and the last reply (peer's or ours), once there is an outcome. */
  status?: string;
  reply?: string;
  /** When the outcome was reached; for deferred, when the next attempt is due. */
  at?: number;
  next?: number;
  /** Where an alias recipient went: one entry per mailbox or forward target. */
  legs?: Array<{ address: string; state: RecipientShownState; status: string; reply: string }>;
}

export interface ListedMessage extends QueueEntry {
  ageMs: number;
  /** Held by `queue hold ID`. */
  held: boolean;
  /** Next attempt (ms), null when held or when every recipient is finished (notices pending). */
  nextAttempt: number | null;
  recipients: ListedRecipient[];
}

export interface GlobalHold {
  held: boolean;
  flag?: { since?: string; reason?: string };
  config: boolean;
}

export interface QueueListing extends GlobalHold {
  total: number;
  count: number;
  messages: ListedMessage[];
  unreadable: ScanResult['unreadable'];
  /** With a page: whether more matching messages may follow the last one listed. */
  more: boolean;
}

// ---- reading

export function globalHold(ctx: QueueContext): GlobalHold {
  const flag: HoldState | undefined = readHold(ctx.spoolRoot);
  return {
    held: flag !== undefined || ctx.config.delivery.hold,
    flag: flag ? { since: flag.since ? new Date(flag.since).toISOString() : undefined, reason: flag.reason } : undefined,
    config: ctx.config.delivery.hold,
  };
}

const SHOWN: Record<string, RecipientShownState> = { delivered: 'delivered', relayed: 'delivered', expanded: 'forwarded', failed: 'failed', deferred: 'deferred' };

function recipientsOf(ctx: QueueContext, rcpts: string[], st: MessageState | undefined): ListedRecipient[] {
  return rcpts.map((address, i) => {
    const legs = [...(st?.legs.values() ?? [])].filter((l) => l.rcpt === i);
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    const routed = routeDomain(domain, ctx.config, ctx.isLocalDomain);
    const choice = st?.routes?.get(routed);
    const channel = legs[0]?.ch ?? choice?.to ?? routed;
    const why = choice?.to === channel && choice.reason ? { channelReason: choice.reason } : {};
    if (!legs.length) return { address, channel, ...why, state: 'pending' };
    const deferred = legs.filter((l) => l.outcome === 'deferred');
    const failed = legs.find((l) => l.outcome === 'failed');
    const last = deferred.sort((a, b) => b.at - a.at)[0] ?? failed ?? legs.sort((a, b) => b.at - a.at)[0];
    const state: RecipientShownState = deferred.length ? 'deferred' : failed ? 'failed' : legs.every((l) => l.outcome === 'expanded') ? 'forwarded' : 'delivered';
    const out: ListedRecipient = { address, channel, ...why, state, status: last.status, reply: last.diag, at: last.at };
    if (deferred.length) out.next = Math.min(...deferred.map((l) => l.next ?? last.at));
    if (legs.length > 1 || legs[0].addr !== address.toLowerCase()) {
      out.legs = legs.map((l) => ({ address: l.addr, state: SHOWN[l.outcome], status: l.status, reply: l.diag }));
    }
    return out;
  });
}

function listed(ctx: QueueContext, e: QueueEntry, st: MessageState | undefined, held: boolean, now: number): ListedMessage {
  const recipients = recipientsOf(ctx, e.rcpts, st);
  let nextAttempt: number | null = null;
  if (!held) {
    if (recipients.some((r) => r.state === 'pending')) nextAttempt = now;
    else {
      const nexts = recipients.filter((r) => r.next !== undefined).map((r) => r.next!);
      if (nexts.length) nextAttempt = Math.min(...nexts);
    }
  }
  return { ...e, ageMs: Math.max(0, now - e.receivedAt), held, nextAttempt, recipients };
}

/** Queued messages the filter matches, oldest first, with per-recipient state (all, or one page). */
export async function listQueue(ctx: QueueContext, filter?: QueueFilter, page: ScanPage = {}): Promise<QueueListing> {
  const scan = await scanQueue(ctx.spoolRoot, filter, 'queued', page);
  const journal = await readJournal(ctx.spoolRoot);
  const held = heldIds(ctx.spoolRoot);
  const now = ctx.now ?? Date.now();
  const messages = scan.entries.map((e) => listed(ctx, e, journal.get(e.id), held.has(e.id), now));
  return { ...globalHold(ctx), total: scan.total, count: messages.length, messages, unreadable: scan.unreadable, more: scan.more };
}

/** One message (queue/, failed/ or purged/) with envelope, header section and, when queued, recipient state. */
export async function showQueued(ctx: QueueContext, id: string): Promise<(ShownMessage & { listed?: ListedMessage }) | undefined> {
  const m = await showMessage(ctx.spoolRoot, normalizeId(id));
  if (!m || m.state !== 'queued') return m;
  const journal = await readJournal(ctx.spoolRoot);
  return { ...m, listed: listed(ctx, m.entry, journal.get(m.entry.id), heldIds(ctx.spoolRoot).has(m.entry.id), ctx.now ?? Date.now()) };
}

// ---- acting

export function normalizeId(id: string): string {
  const wanted = id.trim().toUpperCase();
  if (!QUEUE_ID.test(wanted)) throw new QueueOpError(`"${id}" is not a queue id.`);
  return wanted;
}

function normalizeIds(ids: string[]): string[] {
  if (!ids.length) throw new QueueOpError('give at least one queue id.');
  return [...new Set(ids.map(normalizeId))];
}

function isQueued(ctx: QueueContext, id: string): boolean {
  return existsSync(join(ctx.spoolRoot, STATE_DIRS.queued, id));
}

export function holdAll(ctx: QueueContext, reason?: string): { wasHeld: boolean } {
  const was = readHold(ctx.spoolRoot) !== undefined;
  setHold(ctx.spoolRoot, reason);
  return { wasHeld: was };
}

export function releaseAll(ctx: QueueContext): { released: boolean; configHold: boolean } {
  return { released: clearHold(ctx.spoolRoot), configHold: ctx.config.delivery.hold };
}

/** Per-message hold: no new attempt starts (within a second on a running server). */
export function holdMessages(ctx: QueueContext, ids: string[]): { held: string[]; already: string[]; missing: string[] } {
  const out = { held: [] as string[], already: [] as string[], missing: [] as string[] };
  for (const id of normalizeIds(ids)) {
    if (!isQueued(ctx, id)) out.missing.push(id);
    else if (setMessageHold(ctx.spoolRoot, id)) out.held.push(id);
    else out.already.push(id);
  }
  return out;
}

export function releaseMessages(ctx: QueueContext, ids: string[]): { released: string[]; notHeld: string[] } {
  const out = { released: [] as string[], notHeld: [] as string[] };
  for (const id of normalizeIds(ids)) (clearMessageHold(ctx.spoolRoot, id) ? out.released : out.notHeld).push(id);
  return out;
}

export interface RequestResult {
  /** False when no running scheduler answered in time; the request then waits for the next start. */
  answered: boolean;
  answer?: ControlAnswer;
  request: string;
}

/** Leaves a request for the scheduler and waits (bounded) for its answer. */
async function request(ctx: QueueContext, op: ControlOp, ids: string[] | undefined, waitMs: number): Promise<RequestResult> {
  const name = writeRequest(ctx.spoolRoot, ids ? { op, ids, reply: true } : { op, all: true, reply: true });
  const deadline = Date.now() + waitMs;
  for (;;) {
    const answer = takeAnswer(ctx.spoolRoot, name);
    if (answer) return { answered: true, answer, request: name };
    if (Date.now() >= deadline) return { answered: false, request: name };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Q6 retry now (postqueue -f / -i): every unfinished recipient of these messages, or of all. */
export async function retryMessages(ctx: QueueContext, ids: string[] | 'all', waitMs = 3000): Promise<RequestResult & { missing: string[] }> {
  if (ids === 'all') return { ...(await request(ctx, 'retry', undefined, waitMs)), missing: [] };
  const wanted = normalizeIds(ids);
  const missing = wanted.filter((id) => !isQueued(ctx, id));
  const present = wanted.filter((id) => !missing.includes(id));
  if (!present.length) return { answered: false, request: '', missing };
  return { ...(await request(ctx, 'retry', present, waitMs)), missing };
}

/** Q6 return to sender now: every unfinished recipient fails (5.0.0) and the sender gets a DSN. */
export async function bounceMessages(ctx: QueueContext, ids: string[], waitMs = 3000): Promise<RequestResult & { missing: string[] }> {
  const wanted = normalizeIds(ids);
  const missing = wanted.filter((id) => !isQueued(ctx, id));
  const present = wanted.filter((id) => !missing.includes(id));
  if (!present.length) return { answered: false, request: '', missing };
  return { ...(await request(ctx, 'bounce', present, waitMs)), missing };
}

/** Q6 delete (postsuper -d): the messages leave the queue without any notice. */
export async function deleteMessages(ctx: QueueContext, ids: string[]): Promise<{ deleted: string[]; missing: string[] }> {
  const out = { deleted: [] as string[], missing: [] as string[] };
  for (const id of normalizeIds(ids)) {
    try {
      await unlink(join(ctx.spoolRoot, STATE_DIRS.queued, id));
      clearMessageHold(ctx.spoolRoot, id);
      out.deleted.push(id);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      out.missing.push(id);
    }
  }
  if (out.deleted.length) {
    await syncDir(join(ctx.spoolRoot, STATE_DIRS.queued));
    writeRequest(ctx.spoolRoot, { op: 'forget', ids: out.deleted }); // a running scheduler drops them now
  }
  return out;
}

/** Q6 requeue: messages parked in spool/failed/ go back to the queue (all of them, or these). */
export async function requeueFailed(ctx: QueueContext, ids: string[] | 'all', waitMs = 3000): Promise<{ requeued: string[]; missing: string[]; result?: RequestResult }> {
  const wanted = ids === 'all' ? await queueIds(ctx.spoolRoot, 'failed') : normalizeIds(ids);
  const out = { requeued: [] as string[], missing: [] as string[] };
  await mkdir(join(ctx.spoolRoot, STATE_DIRS.queued), { recursive: true });
  for (const id of wanted) {
    try {
      await rename(join(ctx.spoolRoot, STATE_DIRS.failed, id), join(ctx.spoolRoot, STATE_DIRS.queued, id));
      out.requeued.push(id);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      out.missing.push(id);
    }
  }
  if (!out.requeued.length) return out;
  await syncDir(join(ctx.spoolRoot, STATE_DIRS.queued));
  await syncDir(join(ctx.spoolRoot, STATE_DIRS.failed));
  return { ...out, result: await request(ctx, 'enqueue', out.requeued, waitMs) };
}

/** R10 purge by filter (moved to spool/purged/, or deleted); a running scheduler forgets them at once. */
export async function purgeMessages(ctx: QueueContext, filter: QueueFilter, opts: { dryRun?: boolean; del?: boolean } = {}): ReturnType<typeof purgeQueue> {
  const r = await purgeQueue(ctx.spoolRoot, filter, opts);
  if (!opts.dryRun && r.purged.length) {
    for (const e of r.purged) clearMessageHold(ctx.spoolRoot, e.id);
    writeRequest(ctx.spoolRoot, { op: 'forget', ids: r.purged.map((e) => e.id) });
  }
  return r;
}
