// Who may do what on the admin listener: /healthz and /readyz are open (load
// balancers), and so are the web console's static files (they hold no data); /metrics is open to admin.metricsNetworks, else needs a token;
// everything else needs a valid bearer token (401), and a read-only token may only
// read (403 on writes).

import type { FastifyReply, FastifyRequest } from 'fastify';
import { NetworkList } from '../core/cidr.js';
import type { AdminTokens, TokenInfo } from '../directory/admin-tokens.js';
import { isConsolePath } from './console-files.js';

const OPEN = new Set(['/healthz', '/readyz']);
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isWrite(method: string): boolean {
  return !READS.has(method);
}

/** The token of "Authorization: Bearer <token>", or undefined. */
function bearer(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The token the request authenticated with (absent on open paths). */
    token?: TokenInfo;
  }
}

/** An onRequest hook enforcing the rules above. */
export function authHook(tokens: () => AdminTokens, metricsNetworks: () => readonly string[]) {
  let cached: { list: readonly string[]; nets: NetworkList } | undefined;
  const metricsOpen = (ip: string): boolean => {
    const list = metricsNetworks();
    if (cached?.list !== list) cached = { list, nets: new NetworkList(list) };
    return cached.nets.contains(ip);
  };
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const path = req.url.split('?', 1)[0];
    if (OPEN.has(path) || (req.method === 'GET' && isConsolePath(path))) return; // the console's files hold no data
    const token = bearer(req.headers.authorization);
    const info = token === undefined ? undefined : tokens().verify(token);
    if (!info) {
      if (path === '/metrics' && token === undefined && metricsOpen(req.socket.remoteAddress ?? '')) return;
      reply.code(401).header('www-authenticate', 'Bearer realm="rampart"');
      await reply.send({ error: 'unauthorized', message: 'a valid bearer token is required (Authorization: Bearer <token>; create one with "rampart admin token create")' });
      return;
    }
    req.token = info;
    if (info.readOnly && isWrite(req.method)) {
      reply.code(403);
      await reply.send({ error: 'forbidden', message: `token ${info.name} is read-only` });
    }
  };
}
