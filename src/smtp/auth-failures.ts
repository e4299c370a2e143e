// R4: what happens after a failed AUTH. The session counts the failure, runs the
// 'auth' policy stage (auth.disconnectBadAuthLimit, per session and per address),
// and answers either 535 5.7.8 (a refusal of the client's doing: H5 counts it), or
// the stage's decision: 421 4.7.0 + close; finalize() reports the "bad-auth" abuse
// event that the automatic deny list (H6) listens to.

import type { AuthPort } from './ports.js';

export async function authFailed(s: AuthPort): Promise<void> {
  s.info.failedAuth = (s.info.failedAuth ?? 0) + 1;
  const d = await s.policy.check('auth', { config: s.config, session: s.info, envelope: s.tx.envelope });
  if (!d || d.action === 'accept') return s.protocolError(535, '5.7.8', 'Authentication credentials invalid');
  s.answer(d);
  if (d.action === 'drop') s.close(`auth ${d.check}`);
}
