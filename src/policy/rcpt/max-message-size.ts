// S2 at RCPT (MDaemon per-domain size): a recipient whose domain's maxMessageSize
// (directory attribute) is below the SIZE= declared at MAIL gets 552 5.3.4, and
// the other recipients stay (RFC 1870 6.1 allows the refusal per recipient).
// Without SIZE= the smallest limit of the accepted recipients' domains is enforced
// during the data (smtp/size-guard.ts).

import { reject, type Verdict } from '../../core/decision.js';
import { recipientDomainLimit } from '../size-limits.js';
import type { Check, CheckContext } from '../types.js';

export const maxMessageSize: Check = {
  name: 'rcpt.maxMessageSize',
  feature: 'S2',
  run(ctx: CheckContext): Verdict {
    const size = ctx.envelope?.mailParams.size;
    if (size === undefined) return undefined;
    const rcpt = ctx.rcpt!;
    const domain = (rcpt.domain === '' ? ctx.config.hostname : rcpt.domain).toLowerCase();
    const limit = recipientDomainLimit(domain, ctx.deps.directory.limits.forDomain(domain));
    if (!limit || size <= limit.bytes) return undefined;
    return reject('rcpt.maxMessageSize', 552, '5.3.4', 'Message size exceeds fixed maximum message size for this recipient', `SIZE=${size} over ${limit.bytes} (${limit.source})`, 'S2');
  },
};
