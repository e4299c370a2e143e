// H8 (Sun recipientcutoff): when more recipients were presented in the transaction
// than the cutoff (every RCPT with a well-formed address counts, accepted or
// refused), the whole message is refused at DATA, or at the first BDAT chunk,
// with 550 5.5.3. Off unless limits.recipientCutoff or the sender's (or sender
// domain's) directory attribute recipientCutoff is set.

import { reject, type Verdict } from '../../core/decision.js';
import { senderLimit } from '../sender-limit.js';
import type { Check, CheckContext } from '../types.js';

export const recipientCutoff: Check = {
  name: 'data.recipientCutoff',
  feature: 'H8',
  run(ctx: CheckContext): Verdict {
    const env = ctx.envelope;
    if (!env) return undefined;
    const cutoff = senderLimit(ctx, 'recipientCutoff', env.mailFrom);
    const presented = env.presented ?? env.rcpts.length;
    if (cutoff === undefined || presented <= cutoff) return undefined;
    return reject('data.recipientCutoff', 550, '5.5.3', 'Too many recipients for this message', `${presented} recipients presented, cutoff ${cutoff}`, 'H8');
  },
};
