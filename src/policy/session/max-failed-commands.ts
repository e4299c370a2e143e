// H5 (MailEnable "Drop a connection when the failed number of commands or
// recipients reaches"): when a session's refusals caused by the client - protocol
// errors, refused commands and recipients - reach limits.maxFailedCommands, the
// answer is 421 4.7.0 and the connection is closed; the decision reports a
// "failed-commands" abuse event (H6). Our own trouble (local errors, full disk,
// DNS or store outages: Decision.fault 'server') is never counted by the session,
// so a legitimate client of a sick server is never dropped or denied for it.

import { drop, reportsAbuse, type Decision } from '../../core/decision.js';
import type { SessionInfo } from '../../core/envelope.js';
import type { Snapshot } from '../../config/load.js';

export const H5 = 'session.maxFailedCommands';

/** The H5 drop when `failures` reached the limit, else undefined. */
export function maxFailedCommandsDrop(config: Snapshot, failures: number): Decision | undefined {
  const max = config.limits.maxFailedCommands;
  if (max <= 0 || failures < max) return undefined;
  const d = drop(H5, 421, '4.7.0', `${config.hostname} Too many errors, closing connection`, `${failures} refused commands or recipients, limit ${max}`, 'H5');
  return reportsAbuse(d, 'failed-commands');
}

/** Sessions whose H5 limit was already decided in warn mode: logged once, not on every later command. */
const warned = new WeakSet<SessionInfo>();

export function alreadyWarned(session: SessionInfo): boolean {
  return warned.has(session);
}

export function rememberWarned(session: SessionInfo): void {
  warned.add(session);
}
