// P4 connection rate per client IP (Postfix anvil smtpd_client_connection_rate_limit):
// every new connection from an address is counted in a sliding window in the
// shared store (state/rate-window.ts), so all listeners and all nodes behind one
// MX name add up. Past limits.maxConnectionRatePerIp within connectionRateWindowMs
// the connection gets 421 4.7.0 and is closed. Refused attempts count too (as in
// anvil): a client that keeps hammering stays refused until it slows down.
// relay.lanNetworks and allow-listed (R2) clients are exempt. A store failure
// answers 421 4.3.0 through the runner (never a free pass, never the client's fault).

import { drop, type Verdict } from '../../core/decision.js';
import { RateWindow } from '../../state/rate-window.js';
import type { SharedStore } from '../../state/store.js';
import { isLan } from '../networks.js';
import type { Check, CheckContext } from '../types.js';

const NAME = 'connect.connectionRate';

/** One window per store, clock and window length (they hold no other state). */
const windows = new WeakMap<SharedStore, Map<() => number, Map<number, RateWindow>>>();

function rateWindow(store: SharedStore, now: () => number, windowMs: number): RateWindow {
  let byClock = windows.get(store);
  if (!byClock) windows.set(store, (byClock = new Map()));
  let byLength = byClock.get(now);
  if (!byLength) byClock.set(now, (byLength = new Map()));
  let w = byLength.get(windowMs);
  if (!w) byLength.set(windowMs, (w = new RateWindow(store, { name: 'conn-rate', windowMs, buckets: 6, now })));
  return w;
}

export const connectionRate: Check = {
  name: NAME,
  feature: 'P4',
  async run(ctx: CheckContext): Promise<Verdict> {
    const { maxConnectionRatePerIp: limit, connectionRateWindowMs: windowMs } = ctx.config.limits;
    if (limit <= 0) return undefined;
    const ip = ctx.session.remoteAddress;
    if (isLan(ip, ctx.config) || ctx.deps.access?.lookup(ip).allow) return undefined;
    const n = await rateWindow(ctx.deps.store, ctx.deps.now, windowMs).add(ip, 1);
    if (n <= limit) return undefined;
    return drop(NAME, 421, '4.7.0', `${ctx.config.hostname} Too many connections from your address, please try again later`, `${n} connections from ${ip} within ${windowMs} ms (limit ${limit})`, 'P4');
  },
};
