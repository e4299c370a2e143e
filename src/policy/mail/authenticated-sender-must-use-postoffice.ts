// R5 (MailEnable "Authenticated senders must use address from their postoffice"):
// a client that authenticated as a mailbox may use, as MAIL FROM, only addresses in
// the domains of that mailbox's postoffice. A domain outside every postoffice is a
// postoffice of its own. Unauthenticated sessions and the null sender are not checked
// (bounces and auto-replies carry "<>"; R6 decides about unauthenticated senders).

import { reject, type Verdict } from '../../core/decision.js';
import type { Check, CheckContext } from '../types.js';

export const authenticatedSenderMustUsePostoffice: Check = {
  name: 'mail.authenticatedSenderMustUsePostoffice',
  feature: 'R5',
  run(ctx: CheckContext): Verdict {
    if (!ctx.config.relay.authenticatedSenderMustUsePostoffice) return undefined;
    const user = ctx.session.authUser;
    const from = ctx.envelope?.mailFrom;
    if (!user || !from) return undefined;
    const userDomain = user.slice(user.lastIndexOf('@') + 1);
    const po = ctx.deps.directory.postoffices;
    if (!from.literal && from.domain !== '' && po.sameTenant(userDomain, from.domain)) return undefined;
    const owner = po.ofDomain(userDomain) ?? `(domain ${userDomain})`;
    return reject(
      'mail.authenticatedSenderMustUsePostoffice',
      553,
      '5.7.1',
      'Sender address not allowed for this user',
      `authenticated user ${user} (postoffice ${owner}) used MAIL FROM ${from.raw}`,
      'R5',
    );
  },
};
