// Guards the listener enforces before a session starts, deciding through
// finalize(): P4 concurrent connections (listener/connection-limits.ts counts
// them) and R1 a trusted proxy without a valid PROXY header.

import { drop, type Decision } from '../../core/decision.js';

/** P4: the connection limit that is full ('total' or 'per-ip'). */
export function maxConnectionsDrop(hostname: string, which: 'total' | 'per-ip'): Decision {
  const reason = which; // 'total' (limits.maxConnections) or 'per-ip' (limits.maxConnectionsPerIp)
  return drop('connect.maxConnections', 421, '4.7.0', `${hostname} Too many connections, please try again later`, reason, 'P4');
}

/** R1: the proxy sent no valid header in time. The connection is closed without a reply (the peer is a proxy). */
export function badProxyHeader(problem: string): Decision {
  return drop('connect.proxyProtocol', 421, '4.7.0', 'PROXY header required', problem, 'R1');
}
