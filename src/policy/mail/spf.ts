// A1 SPF (RFC 7208) at MAIL, for clients that are neither authenticated nor in the
// LAN (they skip it as they skip H2). The MAIL FROM identity is evaluated (the HELO
// identity for the null sender, RFC 7208 2.4) and, with senderAuth.spf.helo, the
// HELO identity too (once per connection and HELO name). The outcomes stay with the
// transaction: eod.dkim writes them into Authentication-Results, DMARC aligns on
// them, eod.score weighs them. senderAuth.spf.mode "reject" refuses a fail (550
// 5.7.23) and a temperror (451 4.7.24, our fault) here; "mark" never refuses.
// SPF records come through the DNS answer cache (dns.cache, src/dns/answer-cache.ts).

import type { Verdict } from '../../core/decision.js';
import type { Envelope, SessionInfo } from '../../core/envelope.js';
import { formatAddress } from '../../core/address.js';
import { checkSpfHelo, checkSpfMailFrom, type SpfOutcome, type SpfRequest } from '../../sender-auth/spf.js';
import { spfVerdict } from '../../sender-auth/spf-verdict.js';
import { isTrustedClient } from '../client-trust.js';
import type { Check, CheckContext } from '../types.js';

export interface SpfResults {
  /** The MAIL FROM identity (the HELO identity for the null sender). */
  mailFrom: SpfOutcome;
  /** The HELO identity, when checked on its own (senderAuth.spf.helo). */
  helo?: SpfOutcome;
}

const byTransaction = new WeakMap<Readonly<Envelope>, SpfResults>();
const heloBySession = new WeakMap<Readonly<SessionInfo>, { helo: string; outcome: Promise<SpfOutcome> }>();

/** The SPF outcomes of a transaction, when SPF was evaluated at its MAIL. */
export function spfResults(envelope: Readonly<Envelope> | undefined): SpfResults | undefined {
  return envelope ? byTransaction.get(envelope) : undefined;
}

function heloOutcome(ctx: CheckContext, req: SpfRequest): Promise<SpfOutcome> {
  const known = heloBySession.get(ctx.session);
  if (known && known.helo === req.helo) return known.outcome;
  const outcome = checkSpfHelo(req, ctx.deps.dns);
  heloBySession.set(ctx.session, { helo: req.helo, outcome });
  // A temperror is not kept: the next MAIL asks again.
  void outcome.then((o) => o.result === 'temperror' && heloBySession.delete(ctx.session), () => heloBySession.delete(ctx.session));
  return outcome;
}

export const spf: Check = {
  name: 'mail.spf',
  feature: 'A1',
  async run(ctx: CheckContext): Promise<Verdict> {
    const mode = ctx.config.senderAuth.spf.mode;
    if (mode === 'off' || !ctx.envelope || isTrustedClient(ctx.session, ctx.config)) return undefined;
    const req: SpfRequest = { ip: ctx.session.remoteAddress, helo: ctx.session.helo ?? '', mailFrom: formatAddress(ctx.envelope.mailFrom), hostname: ctx.config.hostname };
    const nullSender = ctx.envelope.mailFrom === null;
    const [mailFrom, helo] = await Promise.all([
      nullSender ? heloOutcome(ctx, req) : checkSpfMailFrom(req, ctx.deps.dns),
      ctx.config.senderAuth.spf.helo && !nullSender ? heloOutcome(ctx, req) : undefined,
    ]);
    byTransaction.set(ctx.envelope, { mailFrom, helo });
    return spfVerdict(mailFrom, mode);
  },
};
