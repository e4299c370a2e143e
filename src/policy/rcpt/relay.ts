// R1: a recipient outside the local domains is relaying. Relaying is allowed
// only to an authenticated client or to a client inside relay.lanNetworks
// (Mailtraq "Relay for non-local senders inside this LAN"); everyone else gets
// 554 5.7.1. Local-ness is decided by the domain alone (recipient-domain.ts):
// "%", "!", quoted "@" and source routes never make a remote address local or a
// local one remote. R8: a domain literal is local only when literals are on and
// the address is one of ours; any other literal is refused for everybody, even
// authenticated clients (we never deliver to a bare IP on a client's say-so).
// This check cannot run in warn mode (config validation refuses it).

import { reject, type Verdict } from '../../core/decision.js';
import type { Check, CheckContext } from '../types.js';
import { isLan } from '../networks.js';
import { localDomainOf } from './recipient-domain.js';

const DENIED = 'Relay access denied';

export const relay: Check = {
  name: 'rcpt.relay',
  feature: 'R1',
  run(ctx: CheckContext): Verdict {
    const rcpt = ctx.rcpt!;
    if (localDomainOf(rcpt, ctx.config, ctx.deps.directory) !== undefined) return undefined;
    if (rcpt.literal) {
      const why = ctx.config.relay.domainLiterals.enabled ? `domain literal ${rcpt.domain} is not one of our addresses` : `domain literal ${rcpt.domain} refused (relay.domainLiterals.enabled is off)`;
      return reject('rcpt.relay', 554, '5.7.1', DENIED, why, 'R8');
    }
    if (ctx.session.authUser) return undefined; // authenticated relay
    if (isLan(ctx.session.remoteAddress, ctx.config)) return undefined; // LAN relay
    return reject('rcpt.relay', 554, '5.7.1', DENIED, `domain ${rcpt.domain} is not local and client ${ctx.session.remoteAddress} is neither authenticated nor in relay.lanNetworks`, 'R1');
  },
};
