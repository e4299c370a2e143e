// Q5 at RCPT: a recipient that is a local mailbox already over its quota - or
// that a message of the announced SIZE= would push over - is refused now, in
// the mailbox's quota mode: `hold` 452 4.2.2 (the client keeps the message and
// tries again later; Sun holdexquota), `return` 552 5.2.2 (Sun noexquota). Not
// the client's fault (fault 'none'): H5 never counts it. Alias members are
// judged at delivery, where each mailbox has its own outcome. A usage that
// cannot be read fails closed: 451 4.3.0, our fault.

import { causedBy, localFailure, reject, tempfail, type Verdict } from '../../core/decision.js';
import { quotaState, wouldExceed } from '../../quota/mailbox-quota.js';
import type { Check, CheckContext } from '../types.js';
import { localDomainOf } from './recipient-domain.js';

export const mailboxQuota: Check = {
  name: 'rcpt.mailboxQuota',
  feature: 'Q5',
  async run(ctx: CheckContext): Promise<Verdict> {
    const rcpt = ctx.rcpt!;
    const dir = ctx.deps.directory;
    const domain = localDomainOf(rcpt, ctx.config, dir);
    if (domain === undefined) return undefined;
    const found = dir.lookupRecipient(rcpt.local, domain);
    if (found?.kind !== 'mailbox') return undefined;
    let st;
    try {
      st = await quotaState(dir, ctx.config.dataDir, found.address, ctx.envelope?.mailParams.size ?? 0);
    } catch (e) {
      return localFailure('rcpt.mailboxQuota', 451, '4.3.0', 'Temporary local problem, try again later', `cannot read the usage of ${found.address}: ${(e as Error).message}`, 'Q5');
    }
    if (!st) return undefined;
    const why = wouldExceed(st, ctx.envelope?.mailParams.size ?? 0);
    if (!why) return undefined;
    const d = st.quota.mode === 'return' ? reject('rcpt.mailboxQuota', 552, '5.2.2', 'Mailbox full', why, 'Q5') : tempfail('rcpt.mailboxQuota', 452, '4.2.2', 'Mailbox full, try again later', why, 'Q5');
    return causedBy(d, 'none');
  },
};
