// R2 access control at connect (Mailtraq "Access Control"): a client on the deny
// list gets 554 5.7.1 and is disconnected, unless an allow entry covers it (allow
// beats deny). With access.connectPolicy "allowListOnly", only the allow list and
// the LAN (relay.lanNetworks) may connect. 554 at connect is what Postfix answers
// (RFC 5321 3.1: 554 instead of 220 means "no SMTP service here"); a client that
// retries gets the same answer, which is what a deny list means. The lookup is an
// in-memory index (state/access-list.ts); if it was never loaded from the store,
// clients get 421 4.3.0 (try later), never an open door.

import { causedBy, drop, type Verdict } from '../../core/decision.js';
import type { Check, CheckContext } from '../types.js';
import { isLan } from '../networks.js';

function expiry(t: number | undefined): string {
  return t === undefined ? 'never expires' : `expires ${new Date(t).toISOString()}`;
}

export const accessList: Check = {
  name: 'connect.accessList',
  feature: 'R2',
  run(ctx: CheckContext): Verdict {
    const list = ctx.deps.access;
    if (!list) return undefined; // not wired (unit tests of other checks)
    const ip = ctx.session.remoteAddress;
    if (!list.loaded) {
      // Our state is missing, not the client's fault.
      return causedBy(drop('connect.accessList', 421, '4.3.0', `${ctx.config.hostname} Service temporarily unavailable, please try again later`, 'access lists not loaded from the store', 'R2'), 'server');
    }
    const { allow, deny } = list.lookup(ip);
    if (allow) return undefined;
    if (deny) {
      return drop('connect.denyList', 554, '5.7.1', 'Access denied', `${ip} is on the deny list as ${deny.network} (${deny.source}: ${deny.reason || 'no reason given'}; ${expiry(deny.expiresAt)})`, deny.source === 'auto' ? 'H6' : 'R2');
    }
    if (ctx.config.access.connectPolicy === 'allowListOnly' && !isLan(ip, ctx.config)) {
      return drop('connect.connectPolicy', 554, '5.7.1', 'Access denied', `${ip} is not on the allow list (access.connectPolicy: allowListOnly)`, 'R2');
    }
    return undefined;
  },
};
