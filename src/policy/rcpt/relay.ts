// R1 (first part): a recipient outside the local domains is relaying, and
// relaying is refused. Authenticated and LAN relay come with the relay issue.
// Domain literals are not local (R8 is off), so they are refused here too.

import { reject, type Verdict } from '../../core/decision.js';
import type { Check, CheckContext } from '../types.js';

export const relay: Check = {
  name: 'rcpt.relay',
  feature: 'R1',
  run(ctx: CheckContext): Verdict {
    const rcpt = ctx.rcpt!;
    if (rcpt.domain === '') return undefined; // bare <postmaster>: always local (RFC 5321 4.5.1)
    if (!rcpt.literal && ctx.deps.directory.isLocalDomain(rcpt.domain)) return undefined;
    return reject('rcpt.relay', 554, '5.7.1', 'Relay access denied', `domain ${rcpt.domain} is not local`, 'R1');
  },
};
