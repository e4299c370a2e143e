// Which delivery status notices a message owes, from its recorded leg states
// (RFC 3461 NOTIFY per recipient): one failure notice for the legs that failed,
// one success notice for legs delivered/relayed/expanded when SUCCESS was asked,
// one delay warning, once, for legs still deferred past delayWarningMs when DELAY
// was asked. Without NOTIFY only failures are reported (Postfix's default too:
// its delay_warning_time is 0, off). Each notice is recorded in the journal once
// queued (or dropped by the rules), so a restart neither loses nor repeats it,
// except in the short window between queueing the notice and recording it.

import type { Snapshot } from '../config/load.js';
import type { SpoolEnvelope } from '../core/submission.js';
import type { LegState, NoticeRecord } from '../spool/journal-records.js';
import type { DsnAction, DsnKind, DsnRecipient } from '../bounce/dsn-message.js';
import { wantsNotice, type Notifier, type NoticeSubject } from '../bounce/notifier.js';

export interface DueNotice {
  kind: DsnKind;
  legs: LegState[];
}

const ACTIONS: Record<LegState['outcome'], DsnAction> = {
  failed: 'failed',
  deferred: 'delayed',
  delivered: 'delivered',
  relayed: 'relayed',
  expanded: 'expanded',
};

function channelSetting(config: Snapshot, ch: string, key: 'delayWarningMs' | 'giveUpMs'): number {
  return config.channels[ch]?.[key] ?? config.delivery[key];
}

/**
 * The notices owed now. `soleForwards`: keys of legs forwarded as the only target
 * of their recipient; their NOTIFY travelled with the copy, so no success notice here.
 */
export function noticesDue(env: SpoolEnvelope, legs: Iterable<LegState>, soleForwards: ReadonlySet<string>, config: Snapshot, now: number): DueNotice[] {
  const due: Record<DsnKind, LegState[]> = { failure: [], success: [], delay: [] };
  for (const l of legs) {
    const notify = env.rcpts[l.rcpt]?.notify;
    if (l.outcome === 'failed') {
      if (!l.notified.has('failure') && wantsNotice('failure', notify)) due.failure.push(l);
    } else if (l.outcome === 'deferred') {
      const late = now - env.receivedAt >= channelSetting(config, l.ch, 'delayWarningMs');
      if (late && !l.notified.has('delay') && wantsNotice('delay', notify)) due.delay.push(l);
    } else if (!l.notified.has('success') && wantsNotice('success', notify) && !(l.outcome === 'expanded' && soleForwards.has(`${l.rcpt} ${l.addr}`))) {
      due.success.push(l);
    }
  }
  return (Object.keys(due) as DsnKind[]).filter((k) => due[k].length).map((kind) => ({ kind, legs: due[kind] }));
}

/** The per-recipient part of a notice for one leg. */
export function dsnRecipient(env: SpoolEnvelope, leg: LegState, config: Snapshot): DsnRecipient {
  const r = env.rcpts[leg.rcpt];
  const action = ACTIONS[leg.outcome];
  const success = action === 'delivered' || action === 'relayed' || action === 'expanded';
  return {
    finalRecipient: leg.addr,
    orcpt: r?.orcpt,
    expandedFrom: r && r.address.toLowerCase() !== leg.addr.toLowerCase() ? r.address : undefined,
    action,
    status: leg.status,
    // A local success needs no diagnostic; a peer's 250 reply is worth showing.
    diagnostic: success && !leg.peer ? undefined : leg.diag,
    fromPeer: leg.peer,
    remoteMta: leg.mta,
    lastAttempt: leg.at,
    willRetryUntil: action === 'delayed' ? env.receivedAt + channelSetting(config, leg.ch, 'giveUpMs') : undefined,
  };
}

/**
 * Queues the due notices; returns the records marking them sent (or dropped by
 * the rules). A notice the spool refused is left due: `failed` says to retry later.
 */
export async function sendNotices(notifier: Notifier, msg: NoticeSubject, due: DueNotice[], config: Snapshot, now: number): Promise<{ records: NoticeRecord[]; failed: Error | undefined }> {
  const records: NoticeRecord[] = [];
  let failed: Error | undefined;
  for (const n of due) {
    try {
      const out = await notifier.send(n.kind, msg, n.legs.map((l) => dsnRecipient(msg.envelope, l, config)));
      records.push({ t: 'notice', id: msg.id, kind: n.kind, legs: n.legs.map((l) => [l.rcpt, l.addr]), ...('dsnId' in out ? { dsn: out.dsnId } : {}), at: now });
    } catch (e) {
      failed = e as Error;
    }
  }
  return { records, failed };
}
