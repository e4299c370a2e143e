// S4 Large Message Safety, the second half: a client that offers again a message
// that was broken off for passing abortOver (same IP, HELO, MAIL and RCPT
// arguments; key in the SharedStore, so any node knows it) is refused permanently
// at DATA or the first BDAT, before any content is read: 554 5.3.4 and the
// connection is closed (a BDAT chunk is then never read). The first half (counting
// and breaking the connection) is smtp/size-guard.ts.

import { drop, type Verdict } from '../../core/decision.js';
import { formatAddress } from '../../core/address.js';
import { isLmsException, lmsSettings, recalledLms } from '../lms.js';
import type { Check, CheckContext } from '../types.js';

export const largeMessageSafety: Check = {
  name: 'data.largeMessageSafety',
  feature: 'S4',
  async run(ctx: CheckContext): Promise<Verdict> {
    const env = ctx.envelope;
    const lms = lmsSettings(ctx.config, ctx.session.listener);
    if (!env?.lms || !lms.enabled || isLmsException(lms.exceptions, formatAddress(env.mailFrom))) return undefined;
    const key = env.lms.key();
    const rec = await recalledLms(ctx.deps.store, key);
    if (!rec) return undefined;
    const when = rec.at ? new Date(rec.at).toISOString() : 'earlier';
    return drop(
      'data.largeMessageSafety',
      554,
      '5.3.4',
      'Message refused: too large, and already broken off once',
      `key ${key.slice(4, 20)} remembered since ${when} (${rec.bytes} octets from ${rec.ip})`,
      'S4',
    );
  },
};
