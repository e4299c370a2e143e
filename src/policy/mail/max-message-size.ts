// S1/S2/S3 at MAIL: a declared SIZE= above the sender's limit gets 552 5.3.4 at
// once (RFC 1870 6.1). The sender's limit is the most specific maxMessageSize
// (sender address, sender domain, listener, global) and sourceBlockLimit (sender
// address, sender domain, listener), capped by the global blockLimit
// (policy/size-limits.ts). Without SIZE= the limit is enforced during the data.

import { reject, type Verdict } from '../../core/decision.js';
import { formatAddress } from '../../core/address.js';
import { senderAttributes, senderSizeLimit } from '../size-limits.js';
import type { Check, CheckContext } from '../types.js';

export const maxMessageSize: Check = {
  name: 'mail.maxMessageSize',
  feature: 'S1',
  run(ctx: CheckContext): Verdict {
    const size = ctx.envelope?.mailParams.size;
    if (size === undefined) return undefined;
    const sender = senderAttributes(ctx.deps.directory.limits, formatAddress(ctx.envelope!.mailFrom));
    const limit = senderSizeLimit(ctx.config, ctx.session.listener, sender);
    if (size <= limit.bytes) return undefined;
    return reject('mail.maxMessageSize', 552, '5.3.4', 'Message size exceeds fixed maximum message size', `SIZE=${size} over ${limit.bytes} (${limit.source})`, limit.feature);
  },
};
