// P4 early talkers (Postfix postscreen's pregreet test): the greeting is held
// for listeners[].pregreetWaitMs; a client that talks before it is a bot that
// does not wait for the server, and gets 554 5.5.1 and the connection closed.
// The wait costs every tested connection its length (300 ms on mx), so it is
// skipped where it cannot pay off: for trusted clients (relay.lanNetworks and
// allow-listed addresses, R2) and for an address that passed the test within
// limits.pregreetPassTtlMs (Postfix postscreen_greet_ttl, 1 day), remembered in
// the shared store so every node knows it. A store failure only means the test
// runs again: it is never a reason to refuse.

import { drop, type Decision } from '../../core/decision.js';
import type { SessionInfo } from '../../core/envelope.js';
import type { Snapshot } from '../../config/load.js';
import { isLan } from '../networks.js';
import type { PolicyDeps } from '../types.js';

export const PREGREET = 'connect.pregreet';

/** Shared-store key of a passed test. */
export function pregreetPassKey(ip: string): string {
  return `pregreet:pass:${ip}`;
}

/** How long to hold the greeting for this client: 0 when no test is due. */
export async function pregreetWait(config: Snapshot, session: SessionInfo, deps: Pick<PolicyDeps, 'store' | 'access' | 'log'>): Promise<number> {
  const wait = session.listener.pregreetWaitMs;
  if (wait <= 0) return 0;
  const ip = session.remoteAddress;
  if (isLan(ip, config) || deps.access?.lookup(ip).allow) return 0;
  if (config.limits.pregreetPassTtlMs <= 0) return wait;
  try {
    return (await deps.store.get(pregreetPassKey(ip))) === undefined ? wait : 0;
  } catch (e) {
    deps.log.warn({ session: session.id, check: PREGREET, err: (e as Error).message }, 'pregreet: cannot read the pass cache; testing');
    return wait;
  }
}

/** Remembers that the client waited for the greeting (fire and forget). */
export function rememberPregreetPass(config: Snapshot, session: SessionInfo, deps: Pick<PolicyDeps, 'store' | 'log'>): void {
  const ttl = config.limits.pregreetPassTtlMs;
  if (ttl <= 0) return;
  deps.store.set(pregreetPassKey(session.remoteAddress), String(Date.now()), ttl).catch((e: Error) => {
    deps.log.warn({ session: session.id, check: PREGREET, err: e.message }, 'pregreet: cannot remember the pass');
  });
}

export function pregreetDrop(waitMs: number): Decision {
  return drop(PREGREET, 554, '5.5.1', 'Protocol error: client talked before the greeting', `sent data within the ${waitMs} ms before the greeting`, 'P4');
}
