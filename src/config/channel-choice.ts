// S3 channel limits and Q4 alternate channels (Sun blocklimit, linelimit,
// recipientlimit, alternatechannel and its alternate* limits): given a message's
// size in blocks, its lines and its recipients on one channel, which channel
// takes it - the channel itself, its alternate (one hop, never chained) - or
// which limit refuses it. Pure, so the intake's checks (refusals at RCPT and
// end of data) and the scheduler (the choice made once per message) agree.

import type { Channel } from './channels-schema.js';

/** What is known of the message; a value not known yet (lines at RCPT) is left out and never exceeds. */
export interface MessageStats {
  blocks?: number;
  lines?: number;
  /** Recipients of the message on this channel. */
  recipients?: number;
}

export type ChannelChoice =
  | { kind: 'channel'; channel: Channel; /** "alternate: blocks 12000 > 10000" when the alternate took it. */ reason?: string }
  | { kind: 'refuse'; limit: 'blocks' | 'lines' | 'recipients'; channel: Channel; reason: string };

const ALTERNATE = [
  ['blocks', 'alternateBlockLimit'],
  ['lines', 'alternateLineLimit'],
  ['recipients', 'alternateRecipientLimit'],
] as const;

const OWN = [
  ['blocks', 'blockLimit'],
  ['lines', 'lineLimit'],
  ['recipients', 'recipientLimit'],
] as const;

/** Blocks of `blockSize` octets a message of `size` octets takes (a part block counts, as in Sun). */
export function blocksOf(size: number, blockSize: number): number {
  return Math.ceil(size / blockSize);
}

/** True when a choice on these channels depends on the message's line count (counting lines costs a pass). */
export function needsLines(channel: Channel, channels: Readonly<Record<string, Channel>>): boolean {
  if (channel.lineLimit !== undefined) return true;
  if (!channel.alternateChannel) return false;
  return channel.alternateLineLimit !== undefined || channels[channel.alternateChannel]?.lineLimit !== undefined;
}

/** True when the channel has any limit or alternate at all (the common case is no: nothing to count). */
export function hasLimits(c: Channel): boolean {
  return c.blockLimit !== undefined || c.lineLimit !== undefined || c.recipientLimit !== undefined || c.alternateChannel !== undefined;
}

/** True when some channel has a limit or an alternate: otherwise the intake checks have nothing to count. */
export function anyLimits(channels: Readonly<Record<string, Channel>>): boolean {
  for (const c of Object.values(channels)) if (hasLimits(c)) return true;
  return false;
}

function over(stats: MessageStats, what: 'blocks' | 'lines' | 'recipients', limit: number | undefined): string | undefined {
  const v = stats[what];
  return limit !== undefined && v !== undefined && v > limit ? `${what} ${v} > ${limit}` : undefined;
}

/** The channel that takes the message, or the limit that refuses it. */
export function chooseChannel(channel: Channel, channels: Readonly<Record<string, Channel>>, stats: MessageStats): ChannelChoice {
  let chosen = channel;
  let reason: string | undefined;
  const alt = channel.alternateChannel === undefined ? undefined : channels[channel.alternateChannel];
  if (alt) {
    for (const [what, key] of ALTERNATE) {
      const why = over(stats, what, channel[key]);
      if (why) {
        chosen = alt;
        reason = `alternate: ${why}`;
        break;
      }
    }
  }
  for (const [what, key] of OWN) {
    const why = over(stats, what, chosen[key]);
    if (why) return { kind: 'refuse', limit: what, channel: chosen, reason: `channel ${chosen.name}: ${why} (channels.${chosen.name}.${key})` };
  }
  return { kind: 'channel', channel: chosen, reason };
}
