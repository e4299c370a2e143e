// R4: what happens after a failed AUTH. The session counts the failure, runs the
// 'auth' policy stage (auth.disconnectBadAuthLimit, per session and per address),
// and answers either 535 5.7.8, or the stage's decision: 421 4.7.0 + close, and an
// abuse report (kind "bad-auth") that the automatic deny list (H6) listens to.

import type { SmtpSession } from './session.js';
import { isLan } from '../policy/networks.js';

export async function authFailed(s: SmtpSession): Promise<void> {
  s.info.failedAuth = (s.info.failedAuth ?? 0) + 1;
  const d = await s.policy('auth');
  if (!d || d.action === 'accept') return s.reply(535, '5.7.8', 'Authentication credentials invalid');
  s.replyDecision(d);
  if (d.action !== 'drop') return;
  const ip = s.info.remoteAddress;
  s.deps.policyDeps.abuse.report({ ip, kind: 'bad-auth', feature: 'R4', trusted: isLan(ip, s.config), detail: `${d.check}: ${d.reason ?? ''}` });
  s.close(`auth ${d.check}`);
}
