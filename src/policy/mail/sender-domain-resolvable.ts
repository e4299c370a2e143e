// H1 (MailEnable "Sender email domain must be local or resolvable through DNS"):
// the MAIL FROM domain must be one of ours, or have an MX record, else an A or
// AAAA record. "Does not exist" is permanent (550 5.1.8); "could not find out" is
// temporary (451 4.4.3), so a DNS outage never refuses good mail for ever and
// never lets unknown mail through. A null MX (RFC 7505: one MX, preference 0,
// exchange ".") says the domain sends no mail it can take replies for: 550 5.7.27
// (RFC 7505 4.2). The null sender <> is exempt (bounces must get through), and
// so are clients inside relay.lanNetworks (by default the machine itself: cron
// and scripts sending as root@<unqualified host>), which may relay anyway - the
// way Postfix sites put permit_mynetworks before reject_unknown_sender_domain.
// Authenticated clients are checked (R5/R6 usually pin them to local domains).
// Domain literals (user@[192.0.2.1]) name no domain to check: an IPv4/IPv6 literal
// passes only when R8 literals are on (relay.domainLiterals.enabled), else - and
// always for a general literal - 550 5.1.8.

import { domainToASCII } from 'node:url';
import { localFailure, reject, type Verdict } from '../../core/decision.js';
import type { Lookup } from '../../dns/resolver.js';
import type { Check, CheckContext } from '../types.js';
import { isLanAddress } from '../client-trust.js';

const NAME = 'mail.senderDomainResolvable';
const FEATURE = 'H1';

const notFound = (reason: string) => reject(NAME, 550, '5.1.8', 'Sender address rejected: Domain not found', reason, FEATURE);

/** RFC 7505 3: exactly one MX, preference 0, exchange "." (Node gives ""). */
export function isNullMx(records: Array<{ exchange: string; priority: number }>): boolean {
  return records.length === 1 && records[0].priority === 0 && (records[0].exchange === '' || records[0].exchange === '.');
}

export const senderDomainResolvable: Check = {
  name: NAME,
  feature: FEATURE,
  async run(ctx: CheckContext): Promise<Verdict> {
    if (!ctx.config.policy.senderDomainResolvable) return undefined;
    const from = ctx.envelope?.mailFrom;
    if (!from) return undefined; // null sender <>
    if (isLanAddress(ctx.session.remoteAddress, ctx.config)) return undefined; // trusted network
    if (from.literal) {
      // An IP literal needs no lookup; it is accepted only where R8 literals are on.
      if (ctx.config.relay.domainLiterals.enabled && from.literal.kind !== 'general') return undefined;
      return notFound(`sender ${from.domain} is a domain literal (relay.domainLiterals.enabled is off, or a general literal)`);
    }
    if (from.domain === '') return undefined; // never produced for MAIL; nothing to look up
    const domain = from.domain.toLowerCase();
    if (ctx.deps.directory.isLocalDomain(domain) || domain === ctx.config.hostname.toLowerCase()) return undefined;
    const ascii = domainToASCII(domain);
    if (!ascii) return notFound(`sender domain ${domain} is not a valid IDN`);
    const dns = ctx.deps.dns;

    const mx = await dns.mx(ascii);
    if (mx.kind === 'ok') {
      if (isNullMx(mx.records)) {
        return reject(NAME, 550, '5.7.27', 'Sender address rejected: Domain does not accept mail (null MX)', `sender domain ${ascii} publishes a null MX`, FEATURE);
      }
      return undefined;
    }
    if (mx.kind === 'nxdomain') return notFound(`sender domain ${ascii}: NXDOMAIN`);
    // No MX (or the MX lookup failed): the domain is still resolvable through A or AAAA.
    const [a, aaaa] = await Promise.all([dns.a(ascii), dns.aaaa(ascii)]);
    if (a.kind === 'ok' || aaaa.kind === 'ok') return undefined;
    const failed = [mx, a, aaaa].find((l): l is Extract<Lookup<unknown>, { kind: 'error' }> => l.kind === 'error');
    if (failed) {
      // A DNS outage is our trouble, not the client's: H5 never counts it.
      return localFailure(NAME, 451, '4.4.3', 'Sender address rejected: Domain lookup failed, please try again later', `sender domain ${ascii}: DNS ${failed.code}`, FEATURE);
    }
    return notFound(`sender domain ${ascii}: no MX, A or AAAA record`);
  },
};
