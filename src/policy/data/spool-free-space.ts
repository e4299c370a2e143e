// P5 free space (Postfix queue_minfree): before the client sends a body, the
// spool's file system must keep spool.minFreeBytes free (default 100 MiB), or
// twice the declared SIZE= when that is more. Checked at MAIL when SIZE= is given
// and at DATA / the first BDAT; below the reserve the answer is 452 4.3.1 (RFC
// 3463 "mail system full"), which is our trouble, not the client's (fault
// 'server': H5 never counts it). The reading is statfs, cached for a second
// (spool/free-space.ts), so a busy server does not call it per message.

import { localFailure, type Verdict } from '../../core/decision.js';
import type { Check, CheckContext } from '../types.js';

async function belowReserve(ctx: CheckContext, name: string): Promise<Verdict> {
  const min = ctx.config.spool.minFreeBytes;
  const space = ctx.deps.spoolSpace;
  if (min <= 0 || !space) return undefined;
  const size = ctx.envelope?.mailParams.size ?? 0;
  const reserve = Math.max(min, 2 * size);
  const free = await space.freeBytes();
  if (free >= reserve) return undefined;
  return localFailure(name, 452, '4.3.1', 'Insufficient system storage, please try again later', `spool file system has ${free} octets free, reserve ${reserve}`, 'P5');
}

/** At MAIL: only with SIZE= (the reserve then grows with it). */
export const mailSpoolFreeSpace: Check = {
  name: 'mail.spoolFreeSpace',
  feature: 'P5',
  run(ctx: CheckContext) {
    if (ctx.envelope?.mailParams.size === undefined) return undefined;
    return belowReserve(ctx, 'mail.spoolFreeSpace');
  },
};

/** At DATA / the first BDAT: always, before the body is sent. */
export const dataSpoolFreeSpace: Check = {
  name: 'data.spoolFreeSpace',
  feature: 'P5',
  run: (ctx: CheckContext) => belowReserve(ctx, 'data.spoolFreeSpace'),
};
