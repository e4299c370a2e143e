// Q3 the destination of a recipient within its channel: the unit the scheduler
// groups deliveries by (one hand-over per channel and destination, bounded by
// channels.<name>.concurrency) and the smtp transport keys its connection pool
// by. One function for both, so the two limits count the same thing.

import type { Channel } from '../config/channels-schema.js';

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** Relay host as written in Postfix syntax, the destination of a relayed channel. */
function relayText(c: Channel): string | undefined {
  const r = c.relayHost;
  if (!r) return undefined;
  if (r.kind === 'unix') return `unix:${r.path}`;
  const host = r.mx ? r.host : `[${r.host}]`;
  return r.port ? `${host}:${r.port}` : host;
}

/**
 * Where a recipient goes, within its channel: the mailbox for maildir, the relay
 * host when the channel has one, else the recipient domain (smtp, lmtp); one lane
 * for discard.
 */
export function destinationOf(channel: Channel, address: string): string {
  switch (channel.transport) {
    case 'maildir':
      return address.toLowerCase();
    case 'discard':
      return channel.name;
    default:
      return relayText(channel) ?? domainOf(address);
  }
}
