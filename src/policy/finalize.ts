// The one place that turns a decision into what the session acts on. Every
// refusal, drop, warn and mark of every stage passes here exactly once, whether a
// runner check took it or a guard (connection limits, PROXY, pregreet, H5, S1-S8,
// spool trouble): it validates the codes, applies warn mode, logs the single
// decision line, counts it, publishes the DecisionEvent and reports abuse (H6).

import { decisionProblem, localFailure, type Decision } from '../core/decision.js';
import { formatAddress } from '../core/address.js';
import type { Mark } from '../core/mark.js';
import { isTrustedClient } from './client-trust.js';
import type { DecisionScope } from './types.js';

/** Decisions counted by "<check> <action>" (or "<check> warn" / "<check> mark"), read by metrics and tests. */
export const decisionCounts = new Map<string, number>();

function count(key: string): void {
  decisionCounts.set(key, (decisionCounts.get(key) ?? 0) + 1);
}

/** True when `check` runs in warn mode under this scope's config. */
export function inWarnMode(check: string, scope: Pick<DecisionScope, 'config'>): boolean {
  return scope.config.policy.warn.includes(check);
}

/**
 * RFC 5321 3.1 and 4.2: instead of the 220 greeting a server may only answer 554
 * (refused) or 421 (not available now, and the connection closes). A refusal at
 * connect with another code - a check's 451 on a DNS or store failure - is sent
 * as 421 or 554 with its enhanced code, fault and reason kept.
 */
function asGreeting(d: Decision): Decision {
  if (d.action === 'accept' || d.code === 421 || d.code === 554) return d;
  return d.code < 500 ? { ...d, code: 421, action: 'drop' } : { ...d, code: 554 };
}

/**
 * Returns the decision to act on, or undefined when it is only logged (warn mode).
 * A malformed decision becomes 451 4.3.0 (our fault): a broken check never lets
 * mail through and never counts against the client.
 */
export function finalize(decision: Decision, scope: DecisionScope): Decision | undefined {
  let d = decision;
  const problem = decisionProblem(d);
  if (problem) {
    scope.deps.log.error({ check: d.check, problem }, 'check returned a malformed decision');
    d = localFailure(d.check, 451, '4.3.0', 'Temporary local problem, please try again later', `malformed decision: ${problem}`, d.feature);
  }
  if (scope.stage === 'connect') d = asGreeting(d);
  const warn = d.action !== 'accept' && inWarnMode(d.check, scope);
  const from = scope.envelope ? formatAddress(scope.envelope.mailFrom) : undefined;
  const rcpt = scope.rcpt ? formatAddress(scope.rcpt) : undefined;
  scope.deps.log.info(
    {
      event: 'decision',
      session: scope.session.id,
      client: scope.session.remoteAddress,
      stage: scope.stage,
      check: d.check,
      feature: d.feature,
      action: d.action,
      code: d.code,
      enhanced: d.enhanced,
      fault: d.fault,
      reason: d.reason,
      warn: warn || undefined,
      from,
      rcpt,
      queueId: scope.queueId,
      ...d.details,
    },
    warn ? 'decision (warn mode: not enforced)' : 'decision',
  );
  count(`${d.check} ${warn ? 'warn' : d.action}`);
  scope.deps.events.publish({
    time: Date.now(),
    session: scope.session.id,
    client: scope.session.remoteAddress,
    listener: scope.session.listener?.name,
    stage: scope.stage,
    check: d.check,
    feature: d.feature,
    action: d.action,
    code: d.code,
    enhanced: d.enhanced,
    fault: d.fault,
    warn: warn || undefined,
    reason: d.reason,
    from,
    rcpt,
    queueId: scope.queueId,
  });
  if (warn) return undefined;
  // Only the client's own doing feeds the automatic deny list: our trouble never does.
  if (d.abuse && d.fault === 'client') {
    scope.deps.abuse.report({
      ip: scope.session.remoteAddress,
      kind: d.abuse,
      feature: d.feature ?? d.check,
      trusted: isTrustedClient(scope.session, scope.config),
      detail: `${d.check}: ${d.reason ?? d.text}`,
    });
  }
  return d;
}

/** Logs, counts and publishes a mark (it changes no reply). The caller keeps it on the envelope. */
export function finalizeMark(m: Mark, scope: DecisionScope): void {
  const from = scope.envelope ? formatAddress(scope.envelope.mailFrom) : undefined;
  scope.deps.log.info(
    { event: 'decision', session: scope.session.id, client: scope.session.remoteAddress, stage: scope.stage, check: m.check, feature: m.feature, action: 'mark', score: m.score, header: m.header?.name, reason: m.reason, from, queueId: scope.queueId },
    'decision',
  );
  count(`${m.check} mark`);
  scope.deps.events.publish({
    time: Date.now(),
    session: scope.session.id,
    client: scope.session.remoteAddress,
    listener: scope.session.listener?.name,
    stage: scope.stage,
    check: m.check,
    feature: m.feature,
    action: 'mark',
    reason: m.reason,
    from,
    score: m.score,
  });
}
