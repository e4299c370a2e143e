// H9 (MailEnable "Limit number of recipients per hour"): a sliding hour of
// recipients per sender, kept in the shared store (src/state/rate-window.ts) so
// every node behind one MX name sees the same count. The sender is the
// authenticated user, else the envelope sender together with the client IP.
// Past the limit: 450 4.7.1 at RCPT.
//
// What counts: outbound recipients only - every recipient of an authenticated
// client, and recipients outside the local domains (relayed, so from the LAN).
// Not counted: the null sender (bounces), mail from unauthenticated clients to
// local recipients (ordinary inbound mail), and a recipient repeated in the same
// transaction. A recipient is counted when this check accepts it, so the check
// runs last at the rcpt stage (after relay and localRecipient have decided).
//
// Limit: the directory attribute recipientsPerHour of the authenticated user
// (else of the envelope sender), then of its domain, then limits.recipientsPerHour;
// none set: off.

import { tempfail, type Verdict } from '../../core/decision.js';
import { formatAddress } from '../../core/address.js';
import { RateWindow } from '../../state/rate-window.js';
import type { SharedStore } from '../../state/store.js';
import { senderLimit } from '../sender-limit.js';
import { localDomainOf } from './recipient-domain.js';
import type { Check, CheckContext } from '../types.js';

const NAME = 'rcpt.recipientsPerHour';
const FEATURE = 'H9';

/** One window object per store and clock (they are stateless apart from those). */
const windows = new WeakMap<SharedStore, Map<() => number, RateWindow>>();

export function recipientWindow(store: SharedStore, now: () => number): RateWindow {
  let byClock = windows.get(store);
  if (!byClock) windows.set(store, (byClock = new Map()));
  let w = byClock.get(now);
  if (!w) byClock.set(now, (w = new RateWindow(store, { name: 'rcpt-hour', windowMs: 3_600_000, buckets: 60, now })));
  return w;
}

/** The rate key and the directory subject for this transaction, or undefined when it is not counted. */
export function recipientRateSubject(ctx: CheckContext): { key: string; subject: string } | undefined {
  const env = ctx.envelope;
  const rcpt = ctx.rcpt;
  if (!env || !rcpt || !env.mailFrom) return undefined; // the null sender is never counted
  const user = ctx.session.authUser;
  if (user) return { key: `user:${user.toLowerCase()}`, subject: user };
  if (localDomainOf(rcpt, ctx.config, ctx.deps.directory) !== undefined) return undefined; // inbound mail to our own domains
  const sender = formatAddress(env.mailFrom).toLowerCase();
  return { key: `sender:${sender}|${ctx.session.remoteAddress}`, subject: sender };
}

export const recipientsPerHour: Check = {
  name: NAME,
  feature: FEATURE,
  async run(ctx: CheckContext): Promise<Verdict> {
    const who = recipientRateSubject(ctx);
    if (!who) return undefined;
    const limit = senderLimit(ctx, 'recipientsPerHour', who.subject);
    if (limit === undefined) return undefined;
    const me = formatAddress(ctx.rcpt!).toLowerCase();
    if (ctx.envelope!.rcpts.some((r) => formatAddress(r.address).toLowerCase() === me)) return undefined; // already counted
    const r = await recipientWindow(ctx.deps.store, ctx.deps.now).take(who.key, 1, limit);
    if (r.ok) return undefined;
    return tempfail(NAME, 450, '4.7.1', 'Too many recipients this hour, please try again later', `${who.key}: ${r.total} recipients in the last hour, limit ${limit}`, FEATURE);
  },
};
