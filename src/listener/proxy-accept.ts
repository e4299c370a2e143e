// R1: the listener side of the PROXY protocol. On a listener with
// `proxyProtocol`, a connection from a trusted source must start with a valid
// header (v1 or v2) within proxyProtocol.timeoutMs, or it is closed without a
// word; the header's source address then is the client everywhere (connection
// limits, access lists, policy, Received, logs). A connection from any other
// source is served as a direct client and its own address is used: it cannot
// claim another address (a "PROXY ..." line from it is just an unknown command).

import type { Socket } from 'node:net';
import type { Listener } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { canonicalIp } from '../core/cidr.js';
import { inNetworks } from '../policy/networks.js';
import { readProxyHeader } from './proxy-protocol.js';
import type { SessionInfo } from '../core/envelope.js';

export interface ProxiedClient {
  address: string;
  port: number;
  localAddress?: string;
  localPort?: number;
  /** The proxy's own address (for logs). */
  proxy: string;
}

/**
 * undefined: not proxied (no PROXY on this listener, or an untrusted source: serve directly).
 * { error }: the proxy failed to send a valid header (the caller decides connect.proxyProtocol
 * and closes the socket). Otherwise the real client. The socket is left paused with any bytes
 * after the header put back; applyProxied() lets them flow once the session is attached.
 */
export async function proxiedClient(raw: Socket, ip: string, listener: Listener): Promise<ProxiedClient | undefined | { error: string }> {
  const pp = listener.proxyProtocol;
  if (!pp || !inNetworks(ip, pp.trusted)) return undefined;
  const r = await readProxyHeader(raw, pp.timeoutMs);
  if (!r.ok) return { error: r.error };
  const h = r.header;
  if (h.command === 'local' || !h.source) {
    return { address: ip, port: raw.remotePort ?? 0, proxy: ip }; // health check or UNKNOWN: the proxy itself
  }
  return {
    address: canonicalIp(h.source.address) ?? h.source.address,
    port: h.source.port,
    localAddress: h.destination ? canonicalIp(h.destination.address) : undefined,
    localPort: h.destination?.port,
    proxy: ip,
  };
}

/** Makes the session see the real client, and lets the bytes after the header flow. */
export function applyProxied(info: SessionInfo, p: ProxiedClient, raw: Socket, implicitTls: boolean, log: Logger): void {
  info.remoteAddress = p.address;
  info.remotePort = p.port;
  if (p.localAddress) info.localAddress = p.localAddress;
  if (p.localPort !== undefined) info.localPort = p.localPort;
  log.info({ event: 'proxy', session: info.id, client: p.address, port: p.port, proxy: p.proxy }, 'proxied connection');
  if (!implicitTls) raw.resume(); // TLS reads the raw socket itself
}
