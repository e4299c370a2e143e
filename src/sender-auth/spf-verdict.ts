// A1 the MAIL-stage answer in senderAuth.spf.mode "reject": fail 550 5.7.23 (RFC
// 7372 "SPF validation failed"), temperror 451 4.7.24 ("SPF validation error",
// temporary); every other result (and every result in "mark" mode) lets the
// transaction go on and feeds Authentication-Results and the score. A temperror is
// a DNS failure (ours or the domain's), never the client's doing: fault 'server'.

import { localFailure, reject, type Verdict } from '../core/decision.js';
import type { SpfOutcome } from './spf.js';

export const SPF_CHECK = 'mail.spf';

export function spfVerdict(o: SpfOutcome, mode: 'off' | 'mark' | 'reject'): Verdict {
  if (mode !== 'reject') return undefined;
  const why = `SPF ${o.result} for ${o.sender} from ${o.ip}${o.record ? ` (${o.record})` : ''}${o.dnsFailures ? `; ${o.dnsFailures.join(', ')}` : ''}`;
  if (o.result === 'fail') return reject(SPF_CHECK, 550, '5.7.23', `SPF check failed: ${o.domain} does not allow your address to send its mail`, why, 'A1');
  if (o.result === 'temperror') return localFailure(SPF_CHECK, 451, '4.7.24', 'SPF check could not be completed, please try again later', why, 'A1');
  return undefined;
}
