// A3 what Rampart does with a DMARC outcome, from the settings: the published
// policy (after pct=/t= and the ARC override) mapped by senderAuth.dmarc.onReject /
// onQuarantine, a per-domain override (the From domain, then its organizational
// domain) in senderAuth.dmarc.domains, and onTemperror. p=reject -> 550 5.7.1 at
// end of data (RFC 7489 7.2 suggests 5.7.1); quarantine is accepted and marked. A
// temperror is a DNS failure, not the client's doing: 451 4.7.1 with fault 'server'.

import { localFailure, reject, type Verdict } from '../core/decision.js';
import type { DmarcOutcome } from './dmarc.js';

export type DmarcAction = 'none' | 'mark' | 'quarantine' | 'reject' | 'tempfail';

export interface DmarcActionSettings {
  onReject: 'reject' | 'quarantine' | 'mark';
  onQuarantine: 'reject' | 'quarantine' | 'mark';
  onTemperror: 'tempfail' | 'mark';
  domains: Readonly<Record<string, 'reject' | 'quarantine' | 'mark'>>;
}

export const DMARC_CHECK = 'eod.dmarc';

export function dmarcAction(o: DmarcOutcome, s: DmarcActionSettings): DmarcAction {
  if (o.result === 'temperror') return o.record && o.policy === 'none' ? 'mark' : s.onTemperror;
  if (o.result !== 'fail') return o.result === 'pass' ? 'none' : 'mark';
  if (o.disposition === 'none') return 'mark';
  const domains = Object.fromEntries(Object.entries(s.domains).map(([k, v]) => [k.toLowerCase().replace(/\.$/, ''), v]));
  const override = domains[o.domain] ?? domains[o.orgDomain];
  if (override) return override;
  return o.disposition === 'reject' ? s.onReject : s.onQuarantine;
}

/** The SMTP answer for an action (undefined: the message is accepted). */
export function dmarcVerdict(o: DmarcOutcome, action: DmarcAction): Verdict {
  const why = `DMARC ${o.result} for ${o.domain} (p=${o.policy}, disposition ${o.disposition}${o.override ? `, ${o.override.comment}` : ''}${o.comment ? `, ${o.comment}` : ''})`;
  if (action === 'reject') return reject(DMARC_CHECK, 550, '5.7.1', `Message refused: the DMARC policy of ${o.domain} says to reject it`, why, 'A3');
  if (action === 'tempfail') return localFailure(DMARC_CHECK, 451, '4.7.1', 'Message deferred: the sender\'s DMARC policy cannot be checked now, please try again later', why, 'A3');
  return undefined;
}
