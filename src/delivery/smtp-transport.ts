// Q1/Q2 the network transport: delivers to channels whose transport is smtp
// (MX hosts or a relay host) or lmtp (a host or a unix socket). One deliver()
// call = one message to recipients sharing a destination: hold a connection
// slot, reuse a cached connection or open one (MX hosts in order, each address
// in turn), run the transaction(s), answer once per recipient. Problems are
// results, never exceptions (see docs/remote-delivery.md). Pool slots are keyed
// by destinationOf(), the key the scheduler groups hand-overs by (with the
// connection settings, which are the same within one configuration).

import type { Logger } from '../log/logger.js';
import type { DnsResolver } from '../dns/resolver.js';
import type { Channel } from '../config/channels-schema.js';
import type { ConnectionCache, DeliveryTimeouts } from '../config/delivery-network-schema.js';
import type { OutboundMessage, OutboundRecipient, RecipientResult, Transport } from './types.js';
import { ConnectionPool, type Lease } from './connection-pool.js';
import { resolveRoute, MAX_ADDRESSES, type Route, type RouteRequest } from './mx.js';
import { ClientError, SmtpClient, type Target } from './smtp-client.js';
import { openSession, clientFailure, SiteFailure, type Features } from './smtp-session.js';
import { runTransaction } from './smtp-transaction.js';
import type { Endpoint } from './own-endpoints.js';
import { destinationOf } from './destination.js';

export interface SmtpTransportOptions {
  dns: DnsResolver;
  log: Logger;
  /** Our listeners' addresses and ports, for loop detection (RFC 5321 5.1); asked at each route, so listeners bound later count. */
  ownEndpoints(): Endpoint[];
  /** Read at each use, so a reload applies: hostname (our name in EHLO/LHLO) and delivery.timeouts/connectionCache. */
  settings(): TransportSettings;
}

export interface TransportSettings {
  hostname: string;
  timeouts: DeliveryTimeouts;
  connectionCache: ConnectionCache;
}

/** Most recipients in one transaction; more go in further transactions on the same connection (RFC 5321 4.5.3.1.8 requires 100). */
export const MAX_RCPTS_PER_TRANSACTION = 100;

interface OpenConnection extends SmtpClient {
  features?: Features;
  remoteMta?: string;
}

export function createSmtpTransport(opts: SmtpTransportOptions): Transport {
  const log = opts.log.child({ component: 'smtp-out' });
  const pool = new ConnectionPool<OpenConnection>(() => opts.settings().connectionCache);
  /** Connections opened and maybe still in use, so close() can end deliveries in flight. */
  const inUse = new Set<SmtpClient>();
  let closed = false;
  const stopping = (r: OutboundRecipient): RecipientResult => ({ index: r.index, outcome: 'deferred', status: '4.3.2', diagnostic: 'delivery stopped: the server is shutting down' });

  async function deliver(msg: OutboundMessage, rcpts: readonly OutboundRecipient[], channel: Channel): Promise<RecipientResult[]> {
    if (!rcpts.length) return [];
    if (channel.transport !== 'smtp' && channel.transport !== 'lmtp') {
      return rcpts.map((r) => ({ index: r.index, outcome: 'deferred', status: '4.3.5', diagnostic: `channel ${channel.name} (transport ${channel.transport}) is not served by the smtp transport` }));
    }
    if (closed) return rcpts.map(stopping);
    const req = routeRequest(rcpts[0].address, channel);
    // The scheduler's destination, plus what a cached connection was opened with: a reload
    // (or another channel object with the same name) never reuses a connection made under other settings.
    const key = `${destinationOf(channel, rcpts[0].address)}|${req.port}|${channel.tls}|${channel.auth?.user ?? ''}`;
    let lease: Lease<OpenConnection> | undefined;
    let conn: OpenConnection | undefined;
    let reusable = false;
    const results: RecipientResult[] = [];
    try {
      lease = await pool.acquire(channel.name, key, { perDestination: channel.concurrency, perChannel: channel.maxConnections });
      conn = lease.conn;
      if (closed) return rcpts.map(stopping);
      for (let at = 0; at < rcpts.length; at += MAX_RCPTS_PER_TRANSACTION) {
        const chunk = rcpts.slice(at, at + MAX_RCPTS_PER_TRANSACTION);
        for (let attempt = 0; ; attempt++) {
          if (!conn) {
            const c = await connect(req, channel, msg.id);
            if (c instanceof SiteFailure) {
              for (const r of rcpts.slice(at)) results.push(failureResult(r, c));
              return results;
            }
            conn = c;
          }
          const reused = conn.transactions > 0;
          conn.transactions++;
          const tx = await runTransaction(conn, conn.features!, msg, chunk, { lmtp: channel.transport === 'lmtp', reused, remoteMta: conn.remoteMta!, timeouts: opts.settings().timeouts });
          if (tx.stale && attempt === 0) {
            log.debug({ event: 'smtp-out', id: msg.id, host: conn.remoteMta }, 'cached connection was closed by the peer; opening a new one');
            conn.destroy();
            conn = undefined;
            continue;
          }
          results.push(...tx.results);
          reusable = tx.reusable;
          if (!reusable) {
            conn.destroy();
            conn = undefined;
          }
          break;
        }
      }
      return complete(rcpts, results, 'no result from the transaction');
    } catch (e) {
      // A bug, not a delivery problem: never lose the recipients, never throw at the scheduler.
      log.error({ event: 'smtp-out', id: msg.id, err: (e as Error).stack }, 'smtp transport error');
      conn?.destroy();
      conn = undefined;
      return complete(rcpts, results, `internal error in the smtp transport: ${(e as Error).message}`);
    } finally {
      if (lease) pool.release(lease, conn, reusable);
      logResults(msg, channel, results);
    }
  }

  /** Tries the route's hosts in order until one opens a session; the last failure otherwise. */
  async function connect(req: RouteRequest, channel: Channel, id: string): Promise<OpenConnection | SiteFailure> {
    const lmtp = channel.transport === 'lmtp';
    const route: Route = channel.relayHost?.kind === 'unix' ? { kind: 'unix', path: channel.relayHost.path } : await resolveRoute(opts.dns, req, opts.ownEndpoints());
    if (route.kind === 'fail') return new SiteFailure(route.status, route.diagnostic, false);
    const attempts: Array<{ host: string; target: Target }> =
      route.kind === 'unix' ? [{ host: route.path, target: { path: route.path } }] : route.hosts.flatMap((h) => h.addresses.map((address) => ({ host: h.name, target: { address, port: route.port } })));
    let last: SiteFailure | undefined;
    const { timeouts, hostname } = opts.settings();
    for (const { host, target } of attempts.slice(0, MAX_ADDRESSES)) {
      if (closed) return new SiteFailure('4.3.2', 'delivery stopped: the server is shutting down', false);
      let tls = route.kind === 'unix' ? ('none' as const) : channel.tls;
      for (;;) {
        let c: SmtpClient | undefined;
        try {
          c = await SmtpClient.connect(target, timeouts.connectMs);
          track(c);
          const auth = channel.auth ? { ...channel.auth, key: `channels.${channel.name}.auth` } : undefined;
          const features = await openSession(c, { lmtp, hostname, host, tls, auth, timeouts });
          const open = c as OpenConnection;
          open.features = features;
          open.remoteMta = host;
          log.debug({ event: 'smtp-out', id, host, target, tls: c.secure }, 'connected');
          return open;
        } catch (e) {
          c?.destroy();
          last = e instanceof SiteFailure ? e : e instanceof ClientError ? clientFailure(e, host) : undefined;
          if (!last) throw e;
          last.host = host;
          log.info({ event: 'smtp-out', id, host, target, status: last.status, reason: last.diagnostic }, 'host failed');
          // Opportunistic TLS: a handshake failure is no reason to stop; reconnect in clear once.
          if (last.tlsHandshake && tls === 'may') {
            tls = 'none';
            continue;
          }
          if (last.final) return last;
          break;
        }
      }
    }
    return last ?? new SiteFailure('4.4.4', `no address to connect to for ${req.name}`, false);
  }

  function routeRequest(address: string, channel: Channel): RouteRequest {
    const r = channel.relayHost;
    if (r?.kind === 'inet') return { name: r.host, mx: r.mx && channel.transport !== 'lmtp', port: r.port ?? channel.port, relay: true };
    if (r?.kind === 'unix') return { name: r.path, mx: false, port: 0, relay: true };
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    return { name: domain, mx: channel.transport !== 'lmtp', port: channel.port, relay: false };
  }

  function logResults(msg: OutboundMessage, channel: Channel, results: RecipientResult[]): void {
    for (const r of results) {
      const entry = { event: 'delivery', id: msg.id, channel: channel.name, rcpt: r.index, outcome: r.outcome, status: r.status, relay: r.remoteMta, diagnostic: r.diagnostic };
      log.debug(entry, `recipient ${r.outcome}`); // the scheduler logs the outcome it records
    }
  }

  function track(c: SmtpClient): void {
    if (inUse.size >= 64) for (const o of inUse) if (!o.alive) inUse.delete(o);
    inUse.add(c);
  }

  return {
    deliver,
    /** Closes idle connections and ends those in use: their recipients come back deferred. */
    async close() {
      closed = true;
      pool.close();
      for (const c of inUse) c.destroy('delivery stopped: the server is shutting down');
      inUse.clear();
    },
  };
}

/** Exactly one result per recipient, whatever happened: a missing one is deferred with `why`. */
function complete(rcpts: readonly OutboundRecipient[], results: RecipientResult[], why: string): RecipientResult[] {
  const done = new Set(results.map((r) => r.index));
  for (const r of rcpts) if (!done.has(r.index)) results.push({ index: r.index, outcome: 'deferred', status: '4.3.0', diagnostic: why });
  return results;
}

function failureResult(r: OutboundRecipient, f: SiteFailure): RecipientResult {
  const failed = f.status.startsWith('5');
  return { index: r.index, outcome: failed ? 'failed' : 'deferred', status: f.status, diagnostic: f.diagnostic, fromPeer: f.fromPeer, remoteMta: f.host };
}
