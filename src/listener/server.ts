// P2 listeners: one TCP server per configured address. Implicit TLS (465) is
// negotiated here before the session starts; STARTTLS happens in the session.
// Two guards decide here, through finalize() like every check: a trusted proxy's
// PROXY header (R1) and the concurrent connection limits (P4).

import { createServer, type Server, type Socket } from 'node:net';
import type { Listener } from '../config/load.js';
import { newSessionId } from '../core/session-id.js';
import { SmtpSession, normalizeIp, type SessionDeps } from '../smtp/session.js';
import { upgradeToTls, tlsInfo } from '../smtp/session-auth.js';
import { formatReply } from '../core/reply.js';
import { badProxyHeader, maxConnectionsDrop } from '../policy/connect/connection-guards.js';
import type { ConnectionLimits } from './connection-limits.js';
import { proxiedClient, applyProxied } from './proxy-accept.js';

/** How long a refused connection may stay open for the client to read the 421. */
const REFUSED_GRACE_MS = 2000;

/**
 * What became of a connection that no decision ended: a session started, or the
 * implicit TLS handshake failed. Connections the guards refused (P4 limits, R1
 * PROXY header) are decisions, seen by whoever subscribes to the DecisionEvents.
 */
export type ConnectionOutcome = 'accepted' | 'tls_failed';

/** Told about connections no decision ended and about every session end, by listener name (metrics). */
export interface ConnectionObserver {
  connection(listener: string, outcome: ConnectionOutcome): void;
  closed(listener: string): void;
}

export interface ListenerHost {
  limits: ConnectionLimits;
  observer?: ConnectionObserver;
  /** Dependencies for a new session (the current config snapshot). */
  sessionDeps(listener: Listener): SessionDeps;
  sessions: Set<SmtpSession>;
}

export async function startListener(listener: Listener, host: ListenerHost): Promise<Server[]> {
  const servers: Server[] = [];
  for (const address of listener.addresses) {
    // allowHalfOpen: a client that sends its commands and then shuts down its sending side
    // (half-close) still gets every reply; the session closes the socket itself.
    const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => void accept(socket, listener, host));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port: listener.port, ipv6Only: address.includes(':') }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    servers.push(server);
  }
  return servers;
}

async function accept(raw: Socket, listener: Listener, host: ListenerHost): Promise<void> {
  let ip = normalizeIp(raw.remoteAddress ?? '');
  raw.on('error', () => {}); // errors are reported by the session; never crash on a reset
  const deps = host.sessionDeps(listener);
  const id = newSessionId();
  const where = () => ({ stage: 'connect' as const, config: deps.config, session: { id, remoteAddress: ip, listener } });
  // R1: from a trusted proxy, the PROXY header names the real client (proxy-accept.ts).
  const proxied = listener.proxyProtocol ? await proxiedClient(raw, ip, listener) : undefined;
  if (proxied && 'error' in proxied) {
    deps.policy.decide(badProxyHeader(proxied.error), where()); // never warn mode: closed without a word
    raw.destroy();
    return;
  }
  if (proxied) ip = proxied.address;
  let slot = host.limits.acquire(ip);
  if (slot !== 'ok') {
    const d = deps.policy.decide(maxConnectionsDrop(deps.config.hostname, slot), where());
    if (d) {
      if (!listener.implicitTls) {
        raw.end(formatReply({ code: d.code, enhanced: d.enhanced, lines: [d.text] }));
        // A client that never closes its side must not keep a refused socket (it counts in no limit).
        setTimeout(() => raw.destroy(), REFUSED_GRACE_MS).unref();
      } else raw.destroy();
      return;
    }
    slot = host.limits.acquire(ip, true); // warn mode: served past the limit, and counted
  }
  let handedOver = false;
  try {
    let socket: Socket = raw;
    let tls;
    if (listener.implicitTls) {
      const secure = await upgradeToTls(raw, deps.tls.context(), deps.config.timeouts.tlsHandshakeMs);
      if (!secure) {
        host.observer?.connection(listener.name, 'tls_failed');
        raw.destroy();
        return;
      }
      socket = secure;
      tls = tlsInfo(secure);
    }
    const session = new SmtpSession(socket, deps, id);
    session.info.tls = tls;
    if (proxied) applyProxied(session.info, proxied, raw, listener.implicitTls, deps.log);
    host.sessions.add(session);
    host.observer?.connection(listener.name, 'accepted');
    // Not awaited: an idle connection keeps no suspended accept() frame (memory per connection).
    handedOver = true;
    void session.run().finally(() => {
      host.sessions.delete(session);
      host.limits.release(ip);
      host.observer?.closed(listener.name);
    });
  } finally {
    if (!handedOver) host.limits.release(ip);
  }
}
