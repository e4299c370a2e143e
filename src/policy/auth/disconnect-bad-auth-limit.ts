// R4 (Sun "disconnectbadauthlimit"): runs after each failed AUTH. When this
// session has failed auth.disconnectBadAuthLimit times (default 3), or this client
// address has failed auth.maxFailedAuthPerIp times within auth.failedAuthWindowMs
// over every session and node (a counter in the shared store, so brute force
// spread over many connections is caught too), the answer is 421 4.7.0 and the
// connection is closed; finalize() then reports a "bad-auth" abuse event (H6).
// The per-session limit needs no store; a store failure answers 451 4.3.0
// through the runner (never a free pass).

import { drop, reportsAbuse, type Verdict } from '../../core/decision.js';
import type { Check, CheckContext } from '../types.js';

/** Shared-store key of the per-address failed AUTH counter. */
export function failedAuthKey(ip: string): string {
  return `auth:failed:${ip}`;
}

const TEXT = 'Too many failed authentication attempts, closing connection';

export const disconnectBadAuthLimit: Check = {
  name: 'auth.disconnectBadAuthLimit',
  feature: 'R4',
  async run(ctx: CheckContext): Promise<Verdict> {
    const failed = ctx.session.failedAuth ?? 0;
    if (failed === 0) return undefined;
    const cfg = ctx.config.auth;
    const ip = ctx.session.remoteAddress;
    const host = ctx.config.hostname;
    if (failed >= cfg.disconnectBadAuthLimit) {
      // Still count it for the address, but the session limit decides without the store.
      await ctx.deps.store.incr(failedAuthKey(ip), 1, cfg.failedAuthWindowMs).catch(() => undefined);
      return reportsAbuse(drop('auth.disconnectBadAuthLimit', 421, '4.7.0', `${host} ${TEXT}`, `${failed} failed AUTH attempts in this session (limit ${cfg.disconnectBadAuthLimit})`, 'R4'), 'bad-auth');
    }
    const perIp = await ctx.deps.store.incr(failedAuthKey(ip), 1, cfg.failedAuthWindowMs);
    if (perIp >= cfg.maxFailedAuthPerIp) {
      return reportsAbuse(drop('auth.maxFailedAuthPerIp', 421, '4.7.0', `${host} ${TEXT}`, `${perIp} failed AUTH attempts from ${ip} within ${cfg.failedAuthWindowMs} ms (limit ${cfg.maxFailedAuthPerIp})`, 'R4'), 'bad-auth');
    }
    return undefined;
  },
};
