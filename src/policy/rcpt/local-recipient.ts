// R7 (without catchalls): a recipient in a local domain must be a mailbox or an
// alias; anyone else gets 550 5.1.1 at RCPT, so we never accept-then-bounce.

import { reject, type Verdict } from '../../core/decision.js';
import type { Check, CheckContext } from '../types.js';

export const localRecipient: Check = {
  name: 'rcpt.localRecipient',
  feature: 'R7',
  run(ctx: CheckContext): Verdict {
    const rcpt = ctx.rcpt!;
    const dir = ctx.deps.directory;
    const domain = rcpt.domain === '' ? ctx.config.hostname.toLowerCase() : rcpt.domain;
    if (dir.lookupRecipient(rcpt.local, domain)) return undefined;
    return reject('rcpt.localRecipient', 550, '5.1.1', 'User unknown in local recipient table', `no mailbox or alias ${rcpt.local}@${domain}`, 'R7');
  },
};
