// H2 (MailEnable "PTR Record Check"): does the client IP have a PTR record? Like
// MailEnable, only existence is checked (no forward confirmation), and only for
// clients that are neither authenticated nor inside the LAN. It runs at MAIL, not
// at connect, so a submission client that authenticates first is never checked.
//   never  - no lookup (the seed's default, "Never reject senders")
//   reject - no PTR: 550 5.7.25; DNS failure: 451 4.7.25 (RFC 7372 X.7.25)
//   mark   - no PTR: the message passes with "X-Rampart-PTR: none" and a spam
//            score (policy.ptrMarkScore) for the filter stage; a DNS failure adds
//            "X-Rampart-PTR: temperror" with no score. Mark mode never refuses.
// One answer per connection: a found / not-found answer is remembered for the
// session (keyed by its SessionInfo object); a failure is asked again next MAIL.

import { localFailure, reject, type Verdict } from '../../core/decision.js';
import type { SessionInfo } from '../../core/envelope.js';
import type { Lookup } from '../../dns/resolver.js';
import { isTrustedClient } from '../client-trust.js';
import type { Check, CheckContext } from '../types.js';

const NAME = 'mail.ptr';
const FEATURE = 'H2';
export const PTR_HEADER = 'X-Rampart-PTR';

const answers = new WeakMap<Readonly<SessionInfo>, Lookup<string>>();

async function lookup(ctx: CheckContext): Promise<Lookup<string>> {
  const known = answers.get(ctx.session);
  if (known) return known;
  const r = await ctx.deps.dns.ptr(ctx.session.remoteAddress);
  if (r.kind !== 'error') answers.set(ctx.session, r);
  return r;
}

export const ptr: Check = {
  name: NAME,
  feature: FEATURE,
  async run(ctx: CheckContext): Promise<Verdict> {
    const mode = ctx.config.policy.ptr;
    if (mode === 'never') return undefined;
    if (isTrustedClient(ctx.session, ctx.config)) return undefined;
    const ip = ctx.session.remoteAddress;
    const r = await lookup(ctx);
    if (r.kind === 'ok' && r.records.some((n) => n !== '')) return undefined;
    if (r.kind === 'error') {
      if (mode === 'mark') {
        ctx.mark?.({ check: NAME, feature: FEATURE, header: { name: PTR_HEADER, value: `temperror (client ${ip})` }, score: 0, reason: `PTR lookup for ${ip} failed: ${r.code}` });
        return undefined;
      }
      // A DNS failure is not the client's doing: H5 does not count it (localFailure).
      return localFailure(NAME, 451, '4.7.25', 'Client host rejected: cannot find your reverse hostname, please try again later', `PTR lookup for ${ip} failed: ${r.code}`, FEATURE);
    }
    if (mode === 'mark') {
      ctx.mark?.({ check: NAME, feature: FEATURE, header: { name: PTR_HEADER, value: `none (client ${ip} has no PTR record)` }, score: ctx.config.policy.ptrMarkScore, reason: `no PTR record for ${ip} (${r.kind})` });
      return undefined;
    }
    return reject(NAME, 550, '5.7.25', 'Client host rejected: cannot find your reverse hostname', `no PTR record for ${ip} (${r.kind})`, FEATURE);
  },
};
