// R7: a recipient in a local domain must be a mailbox, an alias, or covered by its
// domain's catchall (unless `relay.disableAllCatchalls`); anyone else gets 550 5.1.1
// at RCPT, so we never accept-then-bounce. A catchall whose target no longer resolves
// (a removed local mailbox) accepts nothing. A recipient that leads to a mailbox whose
// name Maildir cannot store (a row written before the directory validated names) is
// refused too, with 550 5.2.1: delivery would refuse it (core/mailbox-name.ts). That
// refusal is not the client's fault (the address is valid; our directory row is
// bad), so it never counts for H5: fault "none", like a disabled mailbox.

import { causedBy, reject, type Verdict } from '../../core/decision.js';
import type { Check, CheckContext } from '../types.js';
import { localDomainOf } from './recipient-domain.js';
import { mailboxNameProblem } from '../../core/mailbox-name.js';

export const localRecipient: Check = {
  name: 'rcpt.localRecipient',
  feature: 'R7',
  run(ctx: CheckContext): Verdict {
    const rcpt = ctx.rcpt!;
    const dir = ctx.deps.directory;
    // R1/R8: relayed recipients (not local; rcpt.relay already allowed them) are not ours
    // to look up; a bare postmaster or one of our own domain literals maps to a local domain.
    const domain = localDomainOf(rcpt, ctx.config, dir);
    if (domain === undefined) return undefined;
    const catchalls = !ctx.config.relay.disableAllCatchalls;
    const found = dir.lookupRecipient(rcpt.local, domain);
    if (found) return unstorable(found.kind === 'mailbox' ? [found.address] : dir.expandRecipient(found.address, { catchalls }).mailboxes);
    if (catchalls && dir.catchalls.targetFor(domain) !== undefined) {
      const exp = dir.expandRecipient(`${rcpt.local}@${domain}`, { catchalls: true });
      if (exp.mailboxes.length || exp.external.length) return unstorable(exp.mailboxes);
    }
    const why = catchalls ? '' : ' (catchalls disabled)';
    return reject('rcpt.localRecipient', 550, '5.1.1', 'User unknown in local recipient table', `no mailbox or alias ${rcpt.local}@${domain}${why}`, 'R7');
  },
};

/** A refusal when one of the mailboxes cannot be stored as a Maildir folder (delivery would refuse it). */
function unstorable(mailboxes: string[]): Verdict {
  for (const m of mailboxes) {
    const problem = mailboxNameProblem(m.slice(0, m.lastIndexOf('@')));
    if (problem) return causedBy(reject('rcpt.localRecipient', 550, '5.2.1', 'Mailbox unavailable: it cannot receive mail', `mailbox ${m} cannot be delivered to: ${problem}`, 'R7'), 'none');
  }
  return undefined;
}
