// Subscriptions that turn the server's event feeds into metrics (and the deny
// entries' hit counts): the decision feed that finalize() publishes to, the abuse
// events (H5/R4/S4), the access lists' additions, and spool commits. The
// connections the listener's guards refuse (P4 limits, R1 PROXY header) are
// counted from their decisions too, so the decision log and the connection
// counter have one source.

import type { ConnectionOutcomeLabel, Metrics } from './metrics.js';
import type { DecisionEvents } from '../policy/decision-events.js';
import type { AbuseEvents } from '../policy/abuse.js';
import type { AccessList } from '../state/access-list.js';
import type { Spool } from '../spool/spool.js';
import { queuedByUs } from '../core/submission.js';

/** The check name a deny-list refusal carries (src/policy/connect/access-list.ts, policy/registry.ts). */
export const DENY_LIST_CHECK = 'connect.denyList';

/** Guards of the listener whose enforced decisions end a connection before any session (policy/connect/connection-guards.ts). */
const REFUSED_CONNECTION: Readonly<Record<string, ConnectionOutcomeLabel>> = {
  'connect.maxConnections': 'refused_limit',
  'connect.proxyProtocol': 'proxy_refused',
};

export interface Observed {
  decisions: DecisionEvents;
  abuse: AbuseEvents;
  access: AccessList;
  spool: Spool;
}

/** Subscribes the metrics to every feed; returns the function that unsubscribes from the decision feed. */
export function observe(m: Metrics, o: Observed): () => void {
  m.watchAccess(o.access);
  const unsubscribe = o.decisions.subscribe((e) => {
    m.decisions.inc({ stage: e.stage, check: e.check, action: e.action, code: e.code === undefined ? '' : String(e.code), warn: e.warn ? 'true' : 'false' });
    const refused = REFUSED_CONNECTION[e.check];
    if (refused && e.listener && !e.warn && e.action !== 'accept') m.connection(e.listener, refused);
    if (e.check === DENY_LIST_CHECK && e.action !== 'accept') {
      const entry = o.access.lookup(e.client).deny;
      if (entry) m.denyHits.inc({ source: entry.source });
      o.access.recordHit(e.client);
    }
  });
  o.abuse.subscribe((e) => {
    m.abuseEvents.inc({ kind: e.kind, feature: e.feature });
  });
  const added = o.access.onAdded;
  o.access.onAdded = (e) => {
    m.accessAdded.inc({ kind: e.kind, source: e.source });
    added(e);
  };
  const queued = o.spool.onQueued;
  o.spool.onQueued = (id, committed) => {
    // Messages from clients only: notices and forwarded copies the server queues itself were never answered 250.
    if (!committed || !queuedByUs(committed.envelope)) {
      m.spoolCommits.inc();
      if (committed) m.messageBytes.observe(committed.size);
    if (committed?.timing) {
      m.fsyncSeconds.observe(committed.timing.fsyncSeconds);
      m.commitSeconds.observe(committed.timing.commitSeconds);
    }
    }
    queued(id, committed);
  };
  return unsubscribe;
}
