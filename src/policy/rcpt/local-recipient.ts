// R7: a recipient in a local domain must be a mailbox, an alias, or covered by its
// domain's catchall (unless `relay.disableAllCatchalls`); anyone else gets 550 5.1.1
// at RCPT, so we never accept-then-bounce. A catchall whose target no longer resolves
// (a removed local mailbox) accepts nothing.

import { reject, type Verdict } from '../../core/decision.js';
import type { Check, CheckContext } from '../types.js';
import { localDomainOf } from './recipient-domain.js';

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
    if (dir.lookupRecipient(rcpt.local, domain)) return undefined;
    const catchalls = !ctx.config.relay.disableAllCatchalls;
    if (catchalls && dir.catchalls.targetFor(domain) !== undefined) {
      const exp = dir.expandRecipient(`${rcpt.local}@${domain}`, { catchalls: true });
      if (exp.mailboxes.length || exp.external.length) return undefined;
    }
    const why = catchalls ? '' : ' (catchalls disabled)';
    return reject('rcpt.localRecipient', 550, '5.1.1', 'User unknown in local recipient table', `no mailbox or alias ${rcpt.local}@${domain}${why}`, 'R7');
  },
};
