// A7 scoring at end of data: the marks earlier stages left (H2's PTR mark with
// policy.ptrMarkScore), the SPF outcome of MAIL (A1), DKIM and DMARC (A2, A3, from
// eod.dkim) and the connection's DNSBL score (A6) are weighed (score.weights) and
// summed (src/score/score.ts). Each contribution is a mark (logged once, by its
// check name); X-Rampart-Score carries the total, the verdict and the non-zero
// contributions, X-Rampart-DNSBL the lists that matched. At score.reject: 550
// 5.7.1. At score.quarantine, or when the From domain's DMARC policy quarantines
// (eod.dmarc): accepted and marked "quarantine" for the mailbox's filter.
// Nothing scored (every check off, no mark): no header. Never for authenticated or
// LAN clients.

import type { Verdict } from '../../core/decision.js';
import { score, SCORE_HEADER } from '../../score/score.js';
import { scoreVerdict } from '../../score/verdict.js';
import { scoreRange } from '../../dnsbl/verdict.js';
import { isTrustedClient } from '../client-trust.js';
import { dnsblReport, dnsblSites } from '../connect/dnsbl.js';
import { spfResults } from '../mail/spf.js';
import type { Check, CheckContext } from '../types.js';
import { messageAuth } from './dkim.js';
import { dmarcQuarantined } from './dmarc.js';

export const scoreCheck: Check = {
  name: 'eod.score',
  feature: 'A7',
  async run(ctx: CheckContext): Promise<Verdict> {
    const message = ctx.message;
    if (!message || isTrustedClient(ctx.session, ctx.config)) return undefined;
    const spf = spfResults(ctx.envelope)?.mailFrom;
    const auth = messageAuth(message);
    const dnsbl = await dnsblReport(ctx);
    const marks = [...(ctx.envelope?.marks ?? [])];
    if (!spf && !auth && !dnsbl && !marks.length) return undefined;
    const settings = ctx.config.score;
    const outcome = score({ marks, spf, dkim: auth?.dkim.signatures, dmarc: auth?.dmarc, dnsbl, quarantinedBy: dmarcQuarantined(message) ? 'eod.dmarc' : undefined }, settings);
    for (const m of outcome.marks) ctx.mark?.(m);
    message.addHeader(SCORE_HEADER, outcome.value);
    let unknown = { down: 0, up: 0 };
    if (dnsbl?.failures.length) {
      const r = scoreRange(dnsbl, dnsblSites(ctx.config));
      unknown = { down: (dnsbl.score - r.low) * settings.weights.dnsbl, up: (r.high - dnsbl.score) * settings.weights.dnsbl };
    }
    return scoreVerdict(outcome, unknown);
  },
};
