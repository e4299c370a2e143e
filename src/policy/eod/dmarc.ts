// A3 DMARC at end of data: what the From domain's policy asks for a message that
// failed (evaluated by eod.dkim in its pass), mapped by senderAuth.dmarc
// (sender-auth/dmarc-action.ts): reject -> 550 5.7.1; quarantine -> accepted and
// marked (eod.score writes "quarantine" into X-Rampart-Score); none -> the result in
// Authentication-Results and the score only; a temperror -> 451 4.7.1, our fault.
// Per-domain overrides: senderAuth.dmarc.domains. Never for authenticated or LAN
// clients (eod.dkim does not evaluate their mail).

import type { Verdict } from '../../core/decision.js';
import type { MessageView } from '../../core/message-view.js';
import { dmarcAction, dmarcVerdict } from '../../sender-auth/dmarc-action.js';
import type { Check, CheckContext } from '../types.js';
import { messageAuth } from './dkim.js';

const quarantined = new WeakSet<MessageView>();

/** True when the From domain's DMARC policy had this message quarantined. */
export function dmarcQuarantined(message: MessageView | undefined): boolean {
  return message !== undefined && quarantined.has(message);
}

export const dmarc: Check = {
  name: 'eod.dmarc',
  feature: 'A3',
  run(ctx: CheckContext): Verdict {
    const outcome = messageAuth(ctx.message)?.dmarc;
    if (!outcome) return undefined;
    const action = dmarcAction(outcome, ctx.config.senderAuth.dmarc);
    if (action === 'quarantine') quarantined.add(ctx.message!);
    return dmarcVerdict(outcome, action);
  },
};
