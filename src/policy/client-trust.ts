// Who counts as a trusted client for the hygiene checks: an authenticated one, or
// one inside the LAN (`relay.lanNetworks`, default loopback only; see networks.ts).
// Trusted clients skip the PTR check (H2, MailEnable: "Local IP addresses are not
// checked") and are reported as trusted with H5 abuse events (H6 never denies them).

import type { SessionInfo } from '../core/envelope.js';
import type { Snapshot } from '../config/load.js';
import { isLan } from './networks.js';

/** True when the client address is inside relay.lanNetworks. */
export function isLanAddress(ip: string, config: Pick<Snapshot, 'relay'>): boolean {
  return isLan(ip, config);
}

/** Authenticated, or connecting from the LAN. */
export function isTrustedClient(session: Readonly<Pick<SessionInfo, 'remoteAddress' | 'authUser'>>, config: Pick<Snapshot, 'relay'>): boolean {
  return session.authUser !== undefined || isLanAddress(session.remoteAddress, config);
}
