// R1/R6/R8 network lists from the configuration, parsed once per snapshot and
// matched in constant time: the LAN (relay without AUTH, never auto-denied),
// the privileged networks (R6 "authorized" spoofing mode), trusted PROXY
// sources, and the server's own addresses for domain literals (R8).

import { networkInterfaces } from 'node:os';
import { NetworkList, parseCidr, parseIp, cidrOverlaps, type Cidr } from '../core/cidr.js';
import type { Snapshot } from '../config/load.js';

// Config snapshots are frozen, so a list array is a stable cache key.
const cache = new WeakMap<readonly string[], NetworkList>();

/** The parsed form of a configured network list (cached per snapshot array). */
export function networkList(list: readonly string[]): NetworkList {
  let n = cache.get(list);
  if (!n) {
    n = new NetworkList(list);
    cache.set(list, n);
  }
  return n;
}

/** Is `ip` in one of the networks of `list`? */
export function inNetworks(ip: string, list: readonly string[]): boolean {
  return list.length > 0 && networkList(list).contains(ip);
}

/** R1: is the client inside the LAN (`relay.lanNetworks`), so it may relay without AUTH? */
export function isLan(ip: string, config: Pick<Snapshot, 'relay'>): boolean {
  return inNetworks(ip, config.relay.lanNetworks);
}

/** R6: is the client in `relay.privilegedNetworks`? */
export function isPrivileged(ip: string, config: Pick<Snapshot, 'relay'>): boolean {
  return inNetworks(ip, config.relay.privilegedNetworks);
}

// ---- R8: the server's own addresses -------------------------------------------

const OWN_TTL_MS = 60_000;
let ownCache: { at: number; list: NetworkList } | undefined;

function interfaceAddresses(): NetworkList {
  const now = Date.now();
  if (!ownCache || now - ownCache.at > OWN_TTL_MS) {
    const addrs: string[] = [];
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) addrs.push(a.address.split('%')[0]);
    }
    ownCache = { at: now, list: new NetworkList(addrs.filter((a) => typeof parseCidr(a) !== 'string')) };
  }
  return ownCache.list;
}

/**
 * R8: is `ip` (the text of a domain literal) one of the server's own addresses:
 * a listener address, an address of a network interface, or in
 * `relay.domainLiterals.extra` (addresses behind NAT)?
 */
export function isOwnAddress(ip: string, config: Pick<Snapshot, 'relay' | 'listeners'>): boolean {
  const v = parseIp(ip);
  if (!v) return false;
  // 0.0.0.0 / :: (unspecified) is nobody's address, even when a listener binds it.
  if (/^0+$/.test(String(v.value))) return false;
  if (inNetworks(ip, config.relay.domainLiterals.extra)) return true;
  for (const l of config.listeners) if (networkList(l.addresses).contains(v)) return true;
  return interfaceAddresses().contains(v);
}

// ---- configuration warnings -----------------------------------------------------

/**
 * Problems that are allowed but probably wrong, printed by `config check` and
 * logged at start. R1: a PROXY/load-balancer address inside the LAN means every
 * client it forwards without a PROXY header would look like a LAN client.
 */
export function networkWarnings(config: Pick<Snapshot, 'relay' | 'listeners'>): string[] {
  const out: string[] = [];
  const lan = config.relay.lanNetworks.map((s) => parseCidr(s) as Cidr);
  config.listeners.forEach((l, i) => {
    (l.proxyProtocol?.trusted ?? []).forEach((t, j) => {
      const c = parseCidr(t) as Cidr;
      const hit = lan.find((n) => cidrOverlaps(n, c));
      if (hit) {
        out.push(
          `listeners.${i}.proxyProtocol.trusted.${j}: ${c.text} (a proxy / load balancer) is inside relay.lanNetworks (${hit.text}); ` +
            'connections it forwards without a PROXY header, or any other listener it reaches, would be treated as LAN clients allowed to relay',
        );
      }
    });
  });
  return out;
}
