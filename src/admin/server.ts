// The admin listener: the HTTP API (/api/v1, routes.ts), Prometheus /metrics and
// the health checks, on its own addresses and port (admin.*), apart from SMTP.
// Fastify handles routing and JSON; the node:http servers are ours (one per
// address, like the SMTP listeners) so that close() can end keep-alive connections.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastify, { type FastifyError } from 'fastify';
import type { Snapshot } from '../config/load.js';
import type { Directory } from '../directory/store.js';
import type { AccessList } from '../state/access-list.js';
import type { SharedStore } from '../state/store.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { OpsContext } from '../ops/op.js';
import { OpError, type OpErrorKind } from '../ops/errors.js';
import { authHook, isWrite } from './auth.js';
import { readiness } from './health.js';
import { register } from './route.js';
import { API_PREFIX, routes, STREAM_PATH } from './routes.js';
import type { DecisionEvents } from '../policy/decision-events.js';
import { RecentDecisions } from './recent-decisions.js';
import { DecisionStream } from './decision-stream.js';
import { parseStreamQuery } from './stream-query.js';
import { serveConsole, securityHeaders } from './console-files.js';

export interface AdminDeps {
  config(): Snapshot;
  directory: Directory;
  access: AccessList;
  store: SharedStore;
  spoolDir: string;
  log: Logger;
  metrics: Metrics;
  /** The decision feed finalize() publishes to (recent decisions, live stream). */
  decisions: DecisionEvents;
  reload(): Snapshot;
  /** True while every SMTP listener is bound and the server is not draining. */
  serving(): boolean;
}

export interface AdminServer {
  /** The bound port (resolves admin.port 0). */
  port: number;
  close(): Promise<void>;
}

const STATUS: Record<OpErrorKind, number> = { invalid: 400, notFound: 404, conflict: 409, unavailable: 503 };
const BODY_LIMIT = 1024 * 1024;

export async function startAdmin(d: AdminDeps, settings: NonNullable<Snapshot['admin']>): Promise<AdminServer> {
  const log = d.log.child({ component: 'admin' });
  const app = fastify({ logger: false, bodyLimit: BODY_LIMIT, return503OnClosing: false });
  const recent = new RecentDecisions();
  const stream = new DecisionStream(recent, undefined, { dropped: () => d.metrics.streamDropped.inc() });
  d.metrics.watchStream(stream);
  const unsubscribe = d.decisions.subscribe((e) => stream.publish(recent.add(e)));
  const ctx: OpsContext = { directory: d.directory, access: async () => d.access, config: d.config, reload: d.reload, recent };

  app.addHook('onSend', securityHeaders);
  app.addHook('onRequest', authHook(() => d.directory.tokens, () => d.config().admin?.metricsNetworks ?? []));
  app.addHook('onResponse', async (req, reply) => {
    // Every write is logged with the token that made it; so are refused requests.
    if (!isWrite(req.method) && reply.statusCode !== 401 && reply.statusCode !== 403) return;
    const op = (req.routeOptions.config as { op?: string } | undefined)?.op;
    log.info({ event: 'admin', token: req.token?.name, method: req.method, url: req.url, op, status: reply.statusCode, client: req.socket.remoteAddress }, isWrite(req.method) ? 'admin write' : 'admin request refused');
  });
  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    if (err instanceof OpError) return reply.code(STATUS[err.kind]).send({ error: err.kind, message: err.message, issues: err.issues.length ? err.issues : undefined });
    const status = (err as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send({ error: 'invalid', message: err.message });
    log.error({ event: 'admin', method: req.method, url: req.url, err: err.stack ?? err.message }, 'admin request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error (logged)' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'notFound', message: `no route ${req.method} ${req.url.split('?', 1)[0]}` }));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = await readiness({ serving: d.serving, access: d.access, spoolDir: d.spoolDir, store: d.store });
    return reply.code(r.ready ? 200 : 503).send(r);
  });
  app.get('/metrics', async (_req, reply) => reply.header('content-type', d.metrics.contentType).send(await d.metrics.text()));
  app.get(API_PREFIX, async () => ({ routes: routes.map((r) => ({ method: r.method, path: API_PREFIX + r.url, op: r.op.name, write: r.op.write })) }));
  for (const r of routes) register(app, API_PREFIX, ctx, r);
  // The live decision stream (SSE): validated like an operation, then the response is the stream's.
  app.get(API_PREFIX + STREAM_PATH, async (req, reply) => {
    const q = parseStreamQuery(req.query, req.headers['last-event-id']);
    reply.hijack();
    stream.open(reply.raw, q.filter, { afterSeq: q.afterSeq, backlog: q.backlog });
  });
  serveConsole(app);
  await app.ready();

  const servers: Server[] = [];
  try {
    for (const address of settings.addresses) {
      const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => app.routing(req, res));
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // Port 0 picks a free port once; every further address binds that same port.
        const port = servers.length > 1 ? (servers[0].address() as AddressInfo).port : settings.port;
        server.listen({ host: address, port, ipv6Only: address.includes(':') }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
  } catch (e) {
    unsubscribe();
    stream.close();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await app.close();
    throw new Error(`admin listener: ${(e as Error).message}`);
  }
  const port = (servers[0].address() as AddressInfo).port;
  log.info({ event: 'start', admin: settings.addresses.map((a) => `${a.includes(':') ? `[${a}]` : a}:${port}`) }, 'admin API listening');

  return {
    port,
    async close() {
      unsubscribe();
      stream.close();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.close(() => r());
              s.closeAllConnections();
            }),
        ),
      );
      await app.close();
    },
  };
}
