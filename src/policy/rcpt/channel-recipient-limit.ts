// S3 (Sun recipientlimit) at RCPT: when this recipient would put more recipients
// of the message on its channel than the channel takes - and no alternate
// channel (Q4) would take them instead - 452 4.5.3, so the client sends the rest
// in a new transaction (RFC 5321 4.5.3.1.10), as for H7. Flow control, not a
// fault (fault 'none'): H5 does not count it.

import { causedBy, tempfail, type Verdict } from '../../core/decision.js';
import { anyLimits, chooseChannel, hasLimits } from '../../config/channel-choice.js';
import { channelOfRecipient } from '../channel-route.js';
import type { Check, CheckContext } from '../types.js';

export const channelRecipientLimit: Check = {
  name: 'rcpt.channelRecipientLimit',
  feature: 'S3',
  run(ctx: CheckContext): Verdict {
    const env = ctx.envelope;
    if (!env || !ctx.rcpt) return undefined;
    if (!anyLimits(ctx.config.channels)) return undefined; // the common case: no routing lookups at all
    const channel = channelOfRecipient(ctx, ctx.rcpt);
    if (!channel || !hasLimits(channel)) return undefined;
    // Recipients of one domain share a channel: one routing lookup per domain, not per recipient
    // (this runs at every RCPT, over every earlier recipient of the transaction).
    const byDomain = new Map<string, boolean>();
    let same = 0;
    for (const r of env.rcpts) {
      const key = r.address.literal ? undefined : r.address.domain.toLowerCase();
      let on = key === undefined ? undefined : byDomain.get(key);
      if (on === undefined) {
        on = channelOfRecipient(ctx, r.address)?.name === channel.name;
        if (key !== undefined) byDomain.set(key, on);
      }
      if (on) same++;
    }
    const choice = chooseChannel(channel, ctx.config.channels, { recipients: same + 1 });
    if (choice.kind !== 'refuse') return undefined;
    return causedBy(tempfail('rcpt.channelRecipientLimit', 452, '4.5.3', 'Too many recipients for this destination in one message', choice.reason, 'S3'), 'none');
  },
};
