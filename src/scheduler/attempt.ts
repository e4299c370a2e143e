// One delivery attempt of one queued message: expand and route its recipients
// into legs, hand the legs that are due to their transports (grouped by channel
// and destination), record every outcome in the journal, send the notices owed,
// and either finish the message (queue file removed, durably) or say when to
// come back. A 4xx leg waits alone on its channel's retry schedule; a 5xx leg
// fails alone; legs already final are never delivered again.
//
// Journal writes: with several destinations, each group's outcomes are recorded
// as soon as it answers (a crash later must not repeat it). A message finished in
// one hand-over with no notice owed writes nothing: the durable removal of its
// queue file is its record, which saves one fsync per ordinary message.

import { isQuarantined } from '../score/quarantine.js';
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Snapshot } from '../config/load.js';
import type { Directory } from '../directory/store.js';
import type { Logger } from '../log/logger.js';
import type { OutboundMessage, OutboundRecipient, RecipientResult } from '../delivery/types.js';
import type { Notifier } from '../bounce/notifier.js';
import type { DirSync } from '../spool/dir-sync.js';
import { messageSize, readQueueFile, type QueuedMessage } from '../spool/queue-file.js';
import { openMessage } from '../spool/open-message.js';
import type { Spool, Committed } from '../spool/spool.js';
import type { RecipientJournal } from '../spool/recipient-journal.js';
import { applyRecord, isFinal, type LegOutcome, type LegRecord, type LegState, type MessageState } from '../spool/journal-records.js';
import { legsOf, type DeliverLeg, type ForwardLeg, type Leg } from './legs.js';
import type { Dispatcher } from './dispatcher.js';
import { forwardLegs } from './forward.js';
import { applyAlternates } from './alternates.js';
import { countLines } from '../core/count-lines.js';
import { noticesDue, sendNotices } from './notices.js';

export interface AttemptDeps {
  config: () => Snapshot;
  spool: Spool;
  directory: Directory;
  journal: RecipientJournal;
  dispatcher: Dispatcher;
  notifier: Notifier;
  log: Logger;
  now: () => number;
  /** fsync of spool/queue, so a removal is durable. */
  queueSync: DirSync;
}

export interface AttemptInput {
  id: string;
  /** What the spool handed over at commit (envelope, maybe the bytes). */
  mem?: Committed;
  /** Try every unfinished leg now, not only those due (queue retry). */
  force?: boolean;
  /** Return every unfinished leg to the sender now (queue bounce). */
  bounce?: boolean;
}

export type AttemptOutcome = { kind: 'done' } | { kind: 'gone' } | { kind: 'broken' } | { kind: 'wait'; at: number };

/** A transport's answer, or our own (forwarded: 'expanded'). */
type LegResult = Pick<RecipientResult, 'status' | 'diagnostic' | 'remoteMta' | 'fromPeer' | 'notifyPassed'> & { outcome: LegOutcome };

const FINAL_EVENTS = new Set(['delivered', 'relayed', 'expanded']);

/** The channel a leg is recorded under (forwards belong to the local side). */
function channelName(l: Leg): string {
  return l.kind === 'deliver' ? l.channel.name : l.kind === 'forward' ? 'local' : l.channel;
}

/** A copy of the recorded state, to apply this attempt's records to before they are written. */
function cloneState(st: MessageState | undefined, id: string): Map<string, MessageState> {
  const m = new Map<string, MessageState>();
  m.set(id, { id, legs: new Map([...(st?.legs ?? new Map<string, LegState>())].map(([k, v]) => [k, { ...v, notified: new Set(v.notified) }])) });
  return m;
}

function retryWait(config: Snapshot, ch: string, tries: number): number {
  const schedule = config.channels[ch]?.retryMs ?? config.delivery.retryMs;
  return schedule[Math.min(Math.max(tries, 1) - 1, schedule.length - 1)];
}

function giveUpMs(config: Snapshot, ch: string): number {
  return config.channels[ch]?.giveUpMs ?? config.delivery.giveUpMs;
}

function duration(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 48 ? `${Math.round(h / 24)} days` : h >= 1 ? `${Math.round(h)} hours` : `${Math.max(1, Math.round(ms / 60_000))} minutes`;
}

async function load(deps: AttemptDeps, inp: AttemptInput): Promise<QueuedMessage | 'gone' | 'broken'> {
  const path = deps.spool.queuePath(inp.id);
  if (inp.mem) {
    if (!existsSync(path)) return 'gone'; // purged or deleted since it was queued
    const { envelope, bodyOffset, size, prepend, fileSize } = inp.mem;
    return { id: inp.id, envelope, bodyOffset, size, prepend, fileSize };
  }
  try {
    return await readQueueFile(path, inp.id);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    deps.log.error({ event: 'queue', queueId: inp.id, err: (e as Error).message }, 'cannot read queue file; moved to spool/failed');
    const dir = join(deps.spool.root, 'failed');
    await mkdir(dir, { recursive: true });
    await rename(path, join(dir, inp.id)).catch(() => {});
    return 'broken';
  }
}

export async function runAttempt(deps: AttemptDeps, inp: AttemptInput): Promise<AttemptOutcome> {
  const { id } = inp;
  const q = await load(deps, inp);
  if (q === 'gone' || q === 'broken') return { kind: q };
  const config = deps.config();
  const now = deps.now();
  const env = q.envelope;
  const path = deps.spool.queuePath(id);
  const msg: OutboundMessage = {
    id,
    mailFrom: env.mailFrom,
    params: { body: env.params.body, smtputf8: env.params.smtputf8, ret: env.params.ret, envid: env.params.envid },
    size: messageSize(q), // with the fields added at end of data: what open() yields, SIZE= and Maildir S=
    open: () => openMessage({ path, bodyOffset: q.bodyOffset, size: q.size, prepend: q.prepend, body: inp.mem?.body }),
    quarantined: isQuarantined(q.prepend),
  };
  const prior = deps.journal.get(id);
  const stored = { path, bodyOffset: q.bodyOffset, size: q.size, body: inp.mem?.body };
  const alt = await applyAlternates(legsOf(env, { config, directory: deps.directory }), { id, config, prior, size: q.size, lines: () => countLines(openMessage(stored)), log: deps.log, now });
  const legs = alt.legs;
  await deps.journal.record(alt.records); // Q4: the channel choice is durable before anything leaves by it
  const due = legs.filter((l) => {
    const p = prior?.legs.get(l.key);
    return !p || (!isFinal(p.outcome) && (inp.force || inp.bounce || (p.next ?? 0) <= now));
  });

  const records: LegRecord[] = [];
  const written = new Set<LegRecord>();
  const record = (l: Leg, ch: string, r: LegResult): LegRecord => {
    const at = deps.now(); // a remote delivery may have taken a while since the attempt began
    const rec: LegRecord = { t: 'leg', id, rcpt: l.rcpt, addr: l.address, ch, outcome: r.outcome, status: r.status, diag: r.diagnostic, at };
    if (r.remoteMta) rec.mta = r.remoteMta;
    if (r.fromPeer) rec.peer = true;
    if (r.notifyPassed) rec.notified = ['success']; // the next hop reports success (RFC 3461 5.2.1)
    if (r.outcome === 'deferred') {
      const tries = (prior?.legs.get(l.key)?.tries ?? 0) + 1;
      rec.tries = tries;
      rec.next = at + retryWait(config, ch, tries);
      if (at - env.receivedAt >= giveUpMs(config, ch)) {
        // Q5 hold mode: mail that never fitted its mailbox is returned as "mailbox full" (5.2.2, Sun holdexquota), not as expired.
        Object.assign(rec, { outcome: 'failed', status: r.status === '4.2.2' ? '5.2.2' : '4.4.7', diag: `${r.diagnostic} (gave up after ${tries} attempts over ${duration(at - env.receivedAt)})`, next: undefined });
      }
    }
    records.push(rec);
    const level = FINAL_EVENTS.has(rec.outcome) ? 'info' : 'warn';
    deps.log[level]({ event: rec.outcome, queueId: id, rcpt: l.rcptAddress, ...(l.address !== l.rcptAddress.toLowerCase() ? { to: l.address } : {}), channel: ch, status: rec.status, reason: rec.diag, ...(rec.mta ? { relay: rec.mta } : {}), ...(rec.tries ? { attempt: rec.tries } : {}) }, `recipient ${rec.outcome}`);
    return rec;
  };
  const flush = async (): Promise<void> => {
    const fresh = records.filter((r) => !written.has(r));
    fresh.forEach((r) => written.add(r));
    await deps.journal.record(fresh);
  };

  if (inp.bounce) {
    for (const l of due) record(l, channelName(l), { outcome: 'failed', status: '5.0.0', diagnostic: 'returned to the sender by the mail administrator' });
  } else {
    await deliverDue(deps, msg, due, record, flush, prior !== undefined, { id, envelope: env, open: msg.open });
  }

  // Effective state: what is recorded plus this attempt, before deciding what is owed.
  const effMap = cloneState(prior, id);
  for (const r of records) applyRecord(effMap, r);
  const eff = effMap.get(id)!;
  const soleForwards = new Set(legs.filter((l): l is ForwardLeg => l.kind === 'forward' && l.sole).map((l) => l.key));
  const owed = noticesDue(env, eff.legs.values(), soleForwards, config, deps.now());
  const unfinished = legs.filter((l) => !isFinal(eff.legs.get(l.key)?.outcome ?? 'deferred'));
  if (!existsSync(path)) {
    deps.journal.forget(id); // deleted or purged meanwhile: nothing to record or owe
    return { kind: 'gone' };
  }
  if (owed.length || unfinished.length || prior) await flush();
  let noticeFailed = false;
  if (owed.length) {
    const sent = await sendNotices(deps.notifier, { id, envelope: env, original: { open: msg.open, size: msg.size } }, owed, config, deps.now());
    await deps.journal.record(sent.records);
    if (sent.failed) {
      noticeFailed = true;
      deps.log.error({ event: 'dsn', queueId: id, err: sent.failed.message }, 'cannot queue a delivery status notice; will try again');
    }
  }
  if (!unfinished.length && !noticeFailed) {
    await deps.spool.remove(id, q.fileSize);
    await deps.queueSync.sync();
    deps.journal.forget(id);
    return { kind: 'done' };
  }
  const nexts = unfinished.map((l) => eff.legs.get(l.key)?.next).filter((t): t is number => t !== undefined);
  return { kind: 'wait', at: nexts.length ? Math.min(...nexts) : deps.now() + config.delivery.retryMs[0] };
}

/** Delivers the due legs: settled ones recorded, forwards queued, the rest through the dispatcher. */
async function deliverDue(
  deps: AttemptDeps,
  msg: OutboundMessage,
  due: Leg[],
  record: (l: Leg, ch: string, r: LegResult) => LegRecord,
  flush: () => Promise<void>,
  hasPrior: boolean,
  src: Parameters<typeof forwardLegs>[1],
): Promise<void> {
  for (const l of due) if (l.kind === 'fail' || l.kind === 'defer') record(l, l.channel, { outcome: l.kind === 'fail' ? 'failed' : 'deferred', status: l.status, diagnostic: l.diag });
  const forwards = due.filter((l): l is ForwardLeg => l.kind === 'forward');
  if (forwards.length) {
    try {
      const f = await forwardLegs({ submitter: deps.spool, log: deps.log, now: deps.now }, src, forwards);
      for (const l of f.forwarded) record(l, 'local', { outcome: 'expanded', status: '2.0.0', diagnostic: `forwarded to ${l.address} as ${f.newId}` });
      for (const l of f.loops) record(l, 'local', { outcome: 'failed', status: '5.4.6', diagnostic: `mail forwarding loop for ${l.rcptAddress}` });
    } catch (e) {
      for (const l of forwards) record(l, 'local', { outcome: 'deferred', status: '4.3.0', diagnostic: `cannot queue the forwarded copy: ${(e as Error).message}` });
    }
    await flush(); // a forwarded copy exists now: never make it twice
  }
  const jobs = groupJobs(due.filter((l): l is DeliverLeg => l.kind === 'deliver'));
  const early = jobs.length > 1 || hasPrior;
  await Promise.all(
    jobs.map(async (legs) => {
      const rcpts: OutboundRecipient[] = legs.map((l) => ({ index: l.rcpt, address: l.address, notify: l.notify, orcpt: l.orcpt }));
      const results = await deps.dispatcher.submit({ channel: legs[0].channel, destination: legs[0].destination, msg, rcpts });
      const byIndex = new Map(results.map((r) => [r.index, r]));
      for (const l of legs) record(l, l.channel.name, byIndex.get(l.rcpt)!);
      if (early) await flush();
    }),
  );
}

/** Legs grouped by channel and destination; a group never holds one recipient index twice (results are per index). */
function groupJobs(legs: DeliverLeg[]): DeliverLeg[][] {
  const groups = new Map<string, DeliverLeg[][]>();
  for (const l of legs) {
    const key = `${l.channel.name}\0${l.destination}`;
    const list = groups.get(key) ?? [];
    groups.set(key, list);
    let job = list.find((j) => !j.some((x) => x.rcpt === l.rcpt));
    if (!job) {
      job = [];
      list.push(job);
    }
    job.push(l);
  }
  return [...groups.values()].flat();
}
