// Session-level hygiene that is not a stage check: H5 (too many failed commands
// and recipients: 421 4.7.0 and disconnect, reported to the abuse channel for H6)
// and the sink through which checks add marks (H2 "mark") to the transaction.

import type { Mark } from '../core/mark.js';
import { formatAddress } from '../core/address.js';
import { decisionCounts } from '../policy/finalize.js';
import { isTrustedClient } from '../policy/client-trust.js';
import type { Stage } from '../policy/types.js';
import type { SmtpSession } from './session.js';

const H5 = 'session.maxFailedCommands';

/** Sessions whose H5 limit was already logged in warn mode (log once, not on every command). */
const warned = new WeakSet<SmtpSession>();

/**
 * H5: called before each command is read. When the session's refused commands and
 * recipients reach limits.maxFailedCommands, answers 421 4.7.0, closes, logs the
 * decision, reports an abuse event and returns true. In warn mode
 * (policy.warn: ["session.maxFailedCommands"]) it only logs, once.
 */
export function maxFailedCommandsReached(s: SmtpSession): boolean {
  const max = s.config.limits.maxFailedCommands;
  if (max <= 0 || s.failures < max) return false;
  const warn = s.config.policy.warn.includes(H5);
  if (warn && warned.has(s)) return false;
  const trusted = isTrustedClient(s.info, s.config);
  s.deps.log.info(
    {
      event: 'decision',
      session: s.info.id,
      client: s.info.remoteAddress,
      stage: 'session',
      check: H5,
      feature: 'H5',
      action: 'drop',
      code: 421,
      enhanced: '4.7.0',
      reason: `${s.failures} refused commands or recipients, limit ${max}`,
      warn: warn || undefined,
      from: s.envelope ? formatAddress(s.envelope.mailFrom) : undefined,
    },
    warn ? 'decision (warn mode: not enforced)' : 'decision',
  );
  const key = `${H5} ${warn ? 'warn' : 'drop'}`;
  decisionCounts.set(key, (decisionCounts.get(key) ?? 0) + 1);
  if (warn) {
    warned.add(s);
    return false; // warn mode has no effect: no disconnect, no abuse report (H6 would deny)
  }
  s.deps.policyDeps.abuse.report({ ip: s.info.remoteAddress, kind: 'failed-commands', feature: 'H5', trusted, detail: `${s.failures} refused commands or recipients` });
  s.reply(421, '4.7.0', `${s.config.hostname} Too many errors, closing connection`);
  s.close('too many failed commands');
  return true;
}

/** The ctx.mark sink for a policy run: adds the mark to the current envelope and logs it. */
export function markSink(s: SmtpSession, stage: Stage): ((m: Mark) => void) | undefined {
  const env = s.envelope;
  if (!env) return undefined;
  return (m: Mark) => {
    (env.marks ??= []).push(m);
    s.deps.log.info(
      { event: 'decision', session: s.info.id, client: s.info.remoteAddress, stage, check: m.check, feature: m.feature, action: 'mark', score: m.score, header: m.header?.name, reason: m.reason, from: formatAddress(env.mailFrom) },
      'decision',
    );
    const key = `${m.check} mark`;
    decisionCounts.set(key, (decisionCounts.get(key) ?? 0) + 1);
  };
}
