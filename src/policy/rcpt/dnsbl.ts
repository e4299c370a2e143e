// A6 the DNSBL threshold at RCPT (dnsbl.refuseAt "rcpt", the default; postscreen's
// "enforce"): a client whose DNSBL score reaches dnsbl.threshold gets 554 5.7.1 for
// every recipient, so the log shows whom it wanted to reach. The lookup was started
// at connect (connect/dnsbl.ts); authenticated clients are exempt.

import type { Verdict } from '../../core/decision.js';
import { dnsblVerdict } from '../../dnsbl/verdict.js';
import { dnsblReport, dnsblSites } from '../connect/dnsbl.js';
import type { Check, CheckContext } from '../types.js';

export const rcptDnsbl: Check = {
  name: 'rcpt.dnsbl',
  feature: 'A6',
  async run(ctx: CheckContext): Promise<Verdict> {
    const { threshold, refuseAt } = ctx.config.dnsbl;
    if (refuseAt !== 'rcpt' || threshold === undefined || ctx.session.authUser !== undefined) return undefined;
    const report = dnsblReport(ctx);
    if (!report) return undefined;
    return dnsblVerdict(await report, dnsblSites(ctx.config), threshold, 'rcpt', ctx.session.remoteAddress);
  },
};
