// A2 DKIM verification at end of data, with what the same pass over the message
// yields: the ARC chain (A4) and the DMARC evaluation of the From domain (A3, when
// senderAuth.dmarc.enabled); then the one Authentication-Results field (A5) with the
// MAIL-stage SPF outcomes. The message streams once through ctx.message.stream()
// (sender-auth/authenticate.ts): no second copy of a big message. Never for
// authenticated or LAN clients (our own mail; eod.dkimSign signs it instead).
// This check never refuses: a failed signature is scored (eod.score) and decides
// through DMARC (eod.dmarc), which read the result kept here.
// Incoming fields claiming our authserv-id were removed in the cleanup stage.

import type { Verdict } from '../../core/decision.js';
import type { MessageView } from '../../core/message-view.js';
import { authenticateMessage, type MessageAuthResult } from '../../sender-auth/authenticate.js';
import { authResultsHeader } from '../../sender-auth/auth-results.js';
import { isTrustedClient } from '../client-trust.js';
import { spfResults } from '../mail/spf.js';
import type { Check, CheckContext } from '../types.js';
import { addField } from './header-field.js';

const byMessage = new WeakMap<MessageView, MessageAuthResult>();

/** DKIM, ARC and DMARC of a message, when eod.dkim verified it. */
export function messageAuth(message: MessageView | undefined): MessageAuthResult | undefined {
  return message ? byMessage.get(message) : undefined;
}

/** The authserv-id of our Authentication-Results (senderAuth.authservId, default the host name). */
export function authservId(config: CheckContext['config']): string {
  return config.senderAuth.authservId ?? config.hostname;
}

export const dkim: Check = {
  name: 'eod.dkim',
  feature: 'A2',
  async run(ctx: CheckContext): Promise<Verdict> {
    const message = ctx.message;
    if (!message || isTrustedClient(ctx.session, ctx.config)) return undefined;
    const sa = ctx.config.senderAuth;
    const spf = spfResults(ctx.envelope);
    const id = authservId(ctx.config);
    if (sa.dkim.verify) {
      const result = await authenticateMessage(message.stream(), {
        spf: spf?.mailFrom,
        spfHelo: spf?.helo,
        dns: ctx.deps.dns, // DKIM keys and DMARC records come through the DNS answer cache (dns.cache)
        settings: { authservId: id, dkim: sa.dkim, dmarc: sa.dmarc, arcTrustedSealers: sa.arcTrustedSealers },
        now: new Date(ctx.deps.now()),
      });
      byMessage.set(message, result);
      addField(message, result.header);
    } else if (spf) {
      addField(message, authResultsHeader({ authservId: id, spf: spf.mailFrom, spfHelo: spf.helo }));
    }
    return undefined;
  },
};
