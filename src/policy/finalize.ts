// The one place that turns a check's verdict into the decision the session
// answers with: validates codes, applies warn mode, logs one line, counts it.

import { decisionProblem, tempfail, type Decision } from '../core/decision.js';
import type { CheckContext } from './types.js';
import { formatAddress } from '../core/address.js';

/** Decisions counted by "<check> <action>", read by metrics and tests. */
export const decisionCounts = new Map<string, number>();

function count(key: string): void {
  decisionCounts.set(key, (decisionCounts.get(key) ?? 0) + 1);
}

/**
 * Returns the decision to act on, or undefined when the check's verdict is only
 * logged (warn mode). A malformed decision becomes 451 4.3.0: a broken check
 * never lets mail through.
 */
export function finalize(decision: Decision, ctx: CheckContext): Decision | undefined {
  let d = decision;
  const problem = decisionProblem(d);
  if (problem) {
    ctx.deps.log.error({ check: d.check, problem }, 'check returned a malformed decision');
    d = tempfail(d.check, 451, '4.3.0', 'Temporary local problem, please try again later', `malformed decision: ${problem}`);
  }
  const warn = d.action !== 'accept' && ctx.config.policy.warn.includes(d.check);
  ctx.deps.log.info(
    {
      event: 'decision',
      session: ctx.session.id,
      client: ctx.session.remoteAddress,
      stage: ctx.stage,
      check: d.check,
      feature: d.feature,
      action: d.action,
      code: d.code,
      enhanced: d.enhanced,
      reason: d.reason,
      warn: warn || undefined,
      from: ctx.envelope ? formatAddress(ctx.envelope.mailFrom) : undefined,
      rcpt: ctx.rcpt ? formatAddress(ctx.rcpt) : undefined,
    },
    warn ? 'decision (warn mode: not enforced)' : 'decision',
  );
  count(`${d.check} ${warn ? 'warn' : d.action}`);
  return warn ? undefined : d;
}
