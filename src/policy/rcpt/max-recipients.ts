// H7 (Sun recipientlimit, MailEnable "Restrict the number of recipients per
// email"): recipients accepted per message. Past the limit, 452 4.5.3: the client
// sends the rest in a new transaction (RFC 5321 4.5.3.1.10). The limit comes from
// the envelope sender's directory entry, else its domain's, else limits.maxRecipients
// (which is also advertised as LIMITS RCPTMAX=). This 452 is flow control, not a
// fault (fault 'none'), so H5 does not count it as a failed command.

import { causedBy, tempfail, type Verdict } from '../../core/decision.js';
import { senderLimit } from '../sender-limit.js';
import type { Check, CheckContext } from '../types.js';

export const maxRecipients: Check = {
  name: 'rcpt.maxRecipients',
  feature: 'H7',
  run(ctx: CheckContext): Verdict {
    const env = ctx.envelope;
    if (!env) return undefined;
    const limit = senderLimit(ctx, 'maxRecipients', env.mailFrom)!;
    if (env.rcpts.length < limit) return undefined;
    return causedBy(tempfail('rcpt.maxRecipients', 452, '4.5.3', 'Too many recipients', `${env.rcpts.length} recipients accepted, limit ${limit}`, 'H7'), 'none');
  },
};
