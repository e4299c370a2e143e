// A9 greylisting at RCPT (greylist.enabled, off by default; src/greylist/greylist.ts
// holds the triplet logic). Exempt: the LAN, authenticated clients, R2 allow-listed
// clients and clients an allow-list zone (a DNSBL site with a negative weight) lists.
// The 451 4.7.1 carries fault "none": asking a sender to retry is our policy, and a
// client with many recipients must not reach H5's limit of failed commands for it.
// A store failure throws: the runner answers 451 4.3.0 (our fault), never a pass.

import { causedBy, type Verdict } from '../../core/decision.js';
import { formatAddress } from '../../core/address.js';
import { greylist } from '../../greylist/greylist.js';
import { isLan } from '../networks.js';
import { dnsblReport } from '../connect/dnsbl.js';
import type { Check, CheckContext } from '../types.js';

export const rcptGreylist: Check = {
  name: 'rcpt.greylist',
  feature: 'A9',
  async run(ctx: CheckContext): Promise<Verdict> {
    const g = ctx.config.greylist;
    if (!g.enabled || !ctx.rcpt || !ctx.envelope) return undefined;
    const ip = ctx.session.remoteAddress;
    if (ctx.session.authUser !== undefined || isLan(ip, ctx.config) || ctx.deps.access?.lookup(ip).allow) return undefined;
    const report = await dnsblReport(ctx);
    const verdict = await greylist(
      { ip, sender: formatAddress(ctx.envelope.mailFrom), recipient: formatAddress(ctx.rcpt), now: ctx.deps.now(), dnswlListed: report?.allowListed },
      ctx.deps.store,
      g,
    );
    return verdict && causedBy(verdict, 'none');
  },
};
