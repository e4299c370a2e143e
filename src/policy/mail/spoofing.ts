// R6 (MailEnable "Address Spoofing"): who may use an envelope sender (MAIL FROM)
// in one of our local domains. Only the envelope sender is checked, never headers.
//   anyone         no check ("Anyone can spoof sender addresses").
//   authenticated  only an authenticated user, and only an address that is its own
//                  mailbox or an alias expanding to it ("Authenticated senders cannot
//                  impersonate"). Catchalls never make an address someone's own.
//   authorized     authenticated users and clients in relay.privilegedNetworks may
//                  use any local-domain address ("Authorized connections can spoof").
// Refusal: 553 5.7.1. The null sender and senders in other domains are not checked.

import { reject, type Verdict } from '../../core/decision.js';
import { formatAddress } from '../../core/address.js';
import type { Check, CheckContext } from '../types.js';
import { isPrivileged } from '../networks.js';

export const spoofing: Check = {
  name: 'mail.spoofing',
  feature: 'R6',
  run(ctx: CheckContext): Verdict {
    const mode = ctx.config.relay.spoofing;
    const from = ctx.envelope?.mailFrom;
    if (mode === 'anyone' || !from || from.literal || from.domain === '') return undefined;
    const dir = ctx.deps.directory;
    if (!dir.isLocalDomain(from.domain)) return undefined;
    const sender = formatAddress(from).toLowerCase();
    const user = ctx.session.authUser?.toLowerCase();
    const refuse = (text: string, why: string) => reject('mail.spoofing', 553, '5.7.1', text, why, 'R6');
    if (mode === 'authorized') {
      if (user || isPrivileged(ctx.session.remoteAddress, ctx.config)) return undefined;
      return refuse('Sender address rejected: authentication required', `local sender ${sender} from unauthenticated client ${ctx.session.remoteAddress} outside relay.privilegedNetworks (spoofing: authorized)`);
    }
    if (!user) return refuse('Sender address rejected: authentication required', `local sender ${sender} from unauthenticated client ${ctx.session.remoteAddress} (spoofing: authenticated)`);
    if (sender === user) return undefined;
    if (dir.expandRecipient(sender).mailboxes.includes(user)) return undefined;
    return refuse('Sender address rejected: not owned by the authenticated user', `authenticated user ${user} may not use ${sender} (not its mailbox or an alias of it; spoofing: authenticated)`);
  },
};
