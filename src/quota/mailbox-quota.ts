// Q5 the one quota question, asked at RCPT (policy/rcpt/mailbox-quota.ts), at
// delivery (delivery/maildir-transport.ts) and by `rampart user show`: what
// quota applies to a mailbox (directory/quotas.ts, read per question so a change
// applies at once), how much it uses (quota/maildirsize.ts), and whether a
// message of a given size would not fit.

import type { Directory } from '../directory/store.js';
import type { EffectiveQuota } from '../directory/quotas.js';
import { maildirPath } from '../core/mailbox-name.js';
import { addDelivery, maildirUsage, type Usage } from './maildirsize.js';

export interface QuotaState {
  mailbox: string;
  quota: EffectiveQuota;
  usage: Usage;
}

/**
 * The quota and usage of a mailbox, or undefined when no quota applies (nothing
 * is read then). `bytes`: the size of the message being asked about (0: none, or
 * unknown at RCPT); a maildirsize that would refuse it is recounted once it is
 * old, so mail deleted behind our back frees room within the Maildir++ window.
 */
export async function quotaState(directory: Pick<Directory, 'quotas'>, dataDir: string, mailbox: string, bytes = 0, now?: number): Promise<QuotaState | undefined> {
  const quota = directory.quotas.effective(mailbox);
  if (!quota) return undefined;
  // A message larger than the whole quota is refused whatever a recount finds: no recount for it.
  const refuses = (usage: Usage) => !(quota.bytes !== undefined && bytes > quota.bytes) && wouldExceed({ mailbox, quota, usage }, bytes) !== undefined;
  return { mailbox, quota, usage: await maildirUsage(maildirPath(dataDir, mailbox), quota, { now, refuses }) };
}

/**
 * The same answer for `rampart user show` and the admin API, without writing: a
 * maildirsize that needs a recount is counted, not rewritten, so a CLI run as
 * root never leaves a root-owned file the server then cannot update.
 */
export async function peekQuotaState(directory: Pick<Directory, 'quotas'>, dataDir: string, mailbox: string): Promise<QuotaState | undefined> {
  const quota = directory.quotas.effective(mailbox);
  if (!quota) return undefined;
  return { mailbox, quota, usage: await maildirUsage(maildirPath(dataDir, mailbox), quota, { write: false }) };
}

/**
 * Why a message of `bytes` octets does not fit ("mailbox alice@example.org is
 * full: 2147483000 + 5120 > 2147483648 octets"), or undefined when it fits. With
 * `bytes` 0 it asks whether the mailbox is already full (at RCPT without SIZE=).
 */
export function wouldExceed(st: QuotaState, bytes: number): string | undefined {
  const { quota: q, usage: u } = st;
  if (q.bytes !== undefined && (bytes === 0 ? u.bytes >= q.bytes : u.bytes + bytes > q.bytes)) {
    return bytes === 0 ? `mailbox ${st.mailbox} is full: ${u.bytes} of ${q.bytes} octets used` : `mailbox ${st.mailbox} is full: ${u.bytes} + ${bytes} > ${q.bytes} octets`;
  }
  if (q.messages !== undefined && u.messages + 1 > q.messages) return `mailbox ${st.mailbox} is full: ${u.messages} of ${q.messages} messages`;
  return undefined;
}

/** Records a delivered message in the mailbox's maildirsize (only when a quota applies). */
export async function recordDelivered(st: QuotaState, maildir: string, bytes: number): Promise<void> {
  await addDelivery(maildir, bytes, st.quota);
}
