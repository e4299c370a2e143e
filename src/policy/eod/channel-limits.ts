// S3 (Sun blocklimit, linelimit) at end of data: a message over a limit of a
// channel one of its recipients routes to - unless that channel's alternate
// (Q4) takes it - is refused with 552 5.3.4, before the 250. Which channel
// finally carries it is the scheduler's choice, made once and recorded
// (scheduler/alternates.ts); this check only refuses what no channel would take.
// Lines are counted (one pass over the stored message) only when a channel
// involved has a line limit.

import { causedBy, reject, tempfail, type Verdict } from '../../core/decision.js';
import type { Channel } from '../../config/channels-schema.js';
import { anyLimits, blocksOf, chooseChannel, hasLimits, needsLines } from '../../config/channel-choice.js';
import { countLines } from '../../core/count-lines.js';
import { channelOfRecipient } from '../channel-route.js';
import type { Check, CheckContext } from '../types.js';

export const channelLimits: Check = {
  name: 'eod.channelLimits',
  feature: 'S3',
  async run(ctx: CheckContext): Promise<Verdict> {
    const env = ctx.envelope;
    const message = ctx.message;
    if (!env || !message) return undefined;
    if (!anyLimits(ctx.config.channels)) return undefined; // the common case: no routing lookups at all
    const counts = new Map<string, { channel: Channel; recipients: number }>();
    for (const r of env.rcpts) {
      const c = channelOfRecipient(ctx, r.address);
      if (!c || !hasLimits(c)) continue;
      const e = counts.get(c.name) ?? { channel: c, recipients: 0 };
      e.recipients++;
      counts.set(c.name, e);
    }
    if (!counts.size) return undefined;
    const blocks = blocksOf(message.size, ctx.config.limits.blockSize);
    let lines: number | undefined;
    for (const { channel, recipients } of counts.values()) {
      if (lines === undefined && needsLines(channel, ctx.config.channels)) lines = await countLines(message.stream());
      const choice = chooseChannel(channel, ctx.config.channels, { blocks, lines, recipients });
      if (choice.kind !== 'refuse') continue;
      if (choice.limit === 'blocks') return reject('eod.channelLimits', 552, '5.3.4', 'Message too big for this destination', choice.reason, 'S3');
      if (choice.limit === 'lines') return reject('eod.channelLimits', 552, '5.3.4', 'Message has too many lines for this destination', choice.reason, 'S3');
      return causedBy(tempfail('eod.channelLimits', 452, '4.5.3', 'Too many recipients for this destination in one message', choice.reason, 'S3'), 'none');
    }
    return undefined;
  },
};
