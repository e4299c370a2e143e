// H3 (MailEnable "EHLO Blocking"): an EHLO/HELO argument on the blocklist drops
// the connection (554 5.7.1, then close). A pattern matches the whole argument,
// case-insensitively; "*" matches any run of characters (so "*ylmf*" is a
// substring match). The default list holds "ylmf-pc", the name a common spam bot
// greets with.

import { drop, type Verdict } from '../../core/decision.js';
import type { Check, CheckContext } from '../types.js';

const NAME = 'helo.heloBlocklist';
const FEATURE = 'H3';

/** Compiles patterns once per (frozen) config list. */
const compiled = new WeakMap<readonly string[], RegExp[]>();

export function heloPattern(p: string): RegExp {
  const body = p
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'is');
}

function patterns(list: readonly string[]): RegExp[] {
  let r = compiled.get(list);
  if (!r) {
    r = list.map(heloPattern);
    compiled.set(list, r);
  }
  return r;
}

export const heloBlocklist: Check = {
  name: NAME,
  feature: FEATURE,
  run(ctx: CheckContext): Verdict {
    const helo = ctx.session.helo;
    const list = ctx.config.policy.heloBlocklist;
    if (!helo || list.length === 0) return undefined;
    const i = patterns(list).findIndex((re) => re.test(helo));
    if (i < 0) return undefined;
    return drop(NAME, 554, '5.7.1', 'Access denied', `HELO ${helo} matches blocklist entry "${list[i]}"`, FEATURE);
  },
};
