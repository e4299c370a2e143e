// Q4 alternate channels (Sun alternatechannel), at delivery: the recipients of
// a message that route to a channel with an alternateChannel travel by that
// channel or, when the message is over one of its alternate* limits (blocks of
// limits.blockSize, lines, recipients on the channel), by the alternate - with
// the alternate's own concurrency, retry schedule and relay host. Recipients on
// other channels are not affected, so one message can leave by several.
//
// The choice is made once per message and channel, before the first delivery,
// and recorded in the recipient journal (a `route` record, with the reason);
// later attempts and `rampart queue list` read it back, so a reload that
// changes a limit never moves a message half-way. It is logged once, when made.
// Refusals (a message no channel takes) happen at intake, never here.

import type { Snapshot } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { blocksOf, chooseChannel, needsLines } from '../config/channel-choice.js';
import type { MessageState, RouteRecord } from '../spool/journal-records.js';
import { destinationOf } from '../delivery/destination.js';
import type { DeliverLeg, Leg, SettledLeg } from './legs.js';

export interface AlternateInput {
  id: string;
  config: Snapshot;
  prior: MessageState | undefined;
  /** Stored octets of the message (without the fields added at end of data, as counted at intake). */
  size: number;
  /** Lines of the stored octets, counted only when a limit needs them. */
  lines: () => Promise<number>;
  log: Logger;
  now: number;
}

/** The legs with each channel's recorded or new choice applied, and the new choices to record. */
export async function applyAlternates(legs: Leg[], inp: AlternateInput): Promise<{ legs: Leg[]; records: RouteRecord[] }> {
  const { config } = inp;
  const byChannel = new Map<string, Set<number>>();
  for (const l of legs) {
    if (l.kind !== 'deliver' || !l.channel.alternateChannel) continue;
    const set = byChannel.get(l.channel.name) ?? new Set<number>();
    set.add(l.rcpt);
    byChannel.set(l.channel.name, set);
  }
  if (!byChannel.size) return { legs, records: [] };
  const records: RouteRecord[] = [];
  const moved = new Map<string, string>();
  let lines: number | undefined;
  for (const [name, rcpts] of byChannel) {
    const recorded = inp.prior?.routes?.get(name);
    if (recorded) {
      if (recorded.to !== name) moved.set(name, recorded.to);
      continue;
    }
    const channel = config.channels[name];
    if (lines === undefined && needsLines(channel, config.channels)) lines = await inp.lines();
    const choice = chooseChannel(channel, config.channels, { blocks: blocksOf(inp.size, config.limits.blockSize), lines, recipients: rcpts.size });
    const to = choice.channel.name;
    const reason = choice.kind === 'channel' ? choice.reason : undefined;
    records.push({ t: 'route', id: inp.id, ch: name, to, ...(reason ? { reason } : {}), at: inp.now });
    if (to !== name) moved.set(name, to);
    inp.log.info({ event: 'channel', queueId: inp.id, routed: name, channel: to, reason: reason ?? 'within the alternate limits', recipients: rcpts.size }, to === name ? 'channel kept' : 'alternate channel chosen');
  }
  if (!moved.size) return { legs, records };
  const out = legs.map((l): Leg => {
    if (l.kind !== 'deliver') return l;
    const to = moved.get(l.channel.name);
    if (to === undefined) return l;
    const alt = config.channels[to];
    if (!alt) return { ...l, kind: 'defer', channel: to, status: '4.3.5', diag: `alternate channel "${to}" no longer exists` } satisfies SettledLeg;
    return { ...l, channel: alt, destination: destinationOf(alt, l.address) } satisfies DeliverLeg;
  });
  return { legs: out, records };
}
