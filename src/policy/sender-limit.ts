// The most specific recipient limit for a transaction (H7, H8, H9): the sender
// address's own directory attribute, then its domain's, then the global config.

import { formatAddress, type Address } from '../core/address.js';
import type { Limits } from '../directory/sender-limits.js';
import type { CheckContext } from './types.js';

type RecipientLimit = 'maxRecipients' | 'recipientCutoff' | 'recipientsPerHour';

/** Directory attribute for `subject` (an address; null sender: none), else the global `limits.<key>`. */
export function senderLimit(ctx: CheckContext, key: RecipientLimit, subject: Address | string | null | undefined): number | undefined {
  const who = typeof subject === 'string' ? subject : subject ? formatAddress(subject) : '';
  const own: Limits = who ? ctx.deps.directory.limits.forSender(who) : {};
  return own[key] ?? ctx.config.limits[key];
}
