// Which channel a recipient of the transaction routes to, as the queue will see
// it (config/routing.ts, by the domain the spool stores): the S3/Q4 channel
// limit checks at RCPT and end of data count recipients and size per channel.

import type { Address } from '../core/address.js';
import type { Channel } from '../config/channels-schema.js';
import { routeDomain } from '../config/routing.js';
import type { CheckContext } from './types.js';
import { localDomainOf } from './rcpt/recipient-domain.js';

/** The channel of one recipient (undefined only when a route names a missing channel; config validation prevents it). */
export function channelOfRecipient(ctx: CheckContext, a: Address): Channel | undefined {
  const dir = ctx.deps.directory;
  const domain = localDomainOf(a, ctx.config, dir) ?? a.domain;
  return ctx.config.channels[routeDomain(domain, ctx.config, (d) => dir.isLocalDomain(d))];
}
