// H6 automatic deny (MailEnable "Add to denied IP addresses if this number is
// reached"): listens to abuse events (H5 failed commands, R4 failed AUTH, S4
// Large Message Safety). A client address reported access.autoDeny.threshold
// times within windowMs is put on the R2 deny list with a reason and an expiry:
// expiresMs the first time, doubled for each repeat (remembered for rememberMs),
// capped at maxExpiresMs. IPv6 clients are counted and denied per /64 (a host
// usually owns a whole /64). The list stays bounded: past maxEntries automatic
// entries, the oldest automatic entries go; manual entries are never touched.
// Trusted clients (authenticated or in the LAN) and allow-listed ones are never
// denied automatically. Counters live in the shared store, so events seen by
// different nodes add up.

import type { Snapshot } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { SharedStore } from '../state/store.js';
import type { AccessList } from '../state/access-list.js';
import type { AbuseEvent, AbuseEvents } from './abuse.js';
import { canonicalIp, parseCidr, parseIp } from '../core/cidr.js';
import { isLan } from './networks.js';

/** The network an address is counted and denied as: /32 for IPv4, /ipv6PrefixLength for IPv6. */
export function autoDenyNetwork(ip: string, config: Pick<Snapshot, 'access'>): string | undefined {
  const v = parseIp(ip);
  if (!v) return undefined;
  const bits = v.family === 4 ? 32 : config.access.autoDeny.ipv6PrefixLength;
  const c = parseCidr(`${canonicalIp(ip)}/${bits}`);
  return typeof c === 'string' ? undefined : c.text;
}

export interface AutoDenyDeps {
  abuse: AbuseEvents;
  access: AccessList;
  store: SharedStore;
  config: () => Snapshot;
  log: Logger;
}

/** Handles one abuse event; resolves to the deny entry's network when one was added. Exported for tests. */
export async function onAbuse(e: AbuseEvent, d: AutoDenyDeps): Promise<string | undefined> {
  const config = d.config();
  const cfg = config.access.autoDeny;
  if (!cfg.enabled) return undefined;
  if (e.trusted || isLan(e.ip, config)) return undefined; // trusted clients are never auto-denied
  const look = d.access.lookup(e.ip);
  if (look.allow || look.deny) return undefined; // allow-listed, or denied already
  const network = autoDenyNetwork(e.ip, config);
  if (!network) return undefined;
  const n = await d.store.incr(`h6:events:${network}`, 1, cfg.windowMs);
  if (n < cfg.threshold) {
    d.log.info({ event: 'abuse', client: e.ip, kind: e.kind, feature: e.feature, count: n, threshold: cfg.threshold }, 'abuse event counted (H6)');
    return undefined;
  }
  await d.store.del(`h6:events:${network}`);
  const offence = await d.store.incr(`h6:offences:${network}`, 1, cfg.rememberMs);
  const ttlMs = Math.min(cfg.expiresMs * 2 ** Math.min(offence - 1, 40), cfg.maxExpiresMs);
  const reason = `H6 automatic: ${e.feature} ${e.kind}${e.detail ? ` (${e.detail})` : ''}; ${n} event(s) within ${cfg.windowMs} ms; offence ${offence}`;
  const entry = await d.access.add('deny', network, { reason, ttlMs, source: 'auto' });
  const evicted = await d.access.evictAuto(cfg.maxEntries);
  d.log.warn(
    { event: 'auto-deny', feature: 'H6', client: e.ip, network, kind: e.kind, trigger: e.feature, offence, ttlMs, expiresAt: entry.expiresAt, evicted: evicted.length || undefined },
    'client added to the deny list',
  );
  return network;
}

/** Subscribes the automatic deny list to the abuse events. */
export function startAutoDeny(d: AutoDenyDeps): void {
  d.abuse.subscribe((e) =>
    onAbuse(e, d).then(
      () => undefined,
      (err: Error) => d.log.error({ event: 'auto-deny', client: e.ip, err: err.message }, 'automatic deny failed'),
    ),
  );
}
