// The web console: static files (src/admin/console/: index.html, style.css and
// plain JavaScript modules), shipped in the package and served as they are (no
// build step, no framework). They carry no secret and need no token; everything the console
// shows or changes goes through the API with the token the user typed, sent as
// a Bearer header (never a cookie, so a forged cross-site request carries no
// credential: CSRF does not apply). Every answer of the admin listener gets a
// strict Content-Security-Policy and no-store.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** From dist/src/admin/ (or src/admin/) to the package root, then the sources' console folder. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../src/admin/console/', import.meta.url));

export const CONSOLE_PATH = '/console/';

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
/** The only names served (nothing else in the folder, no path walking). */
export const CONSOLE_MODULES = ['app.js', 'api.js', 'ui.js', 'chart.js', 'overview.js', 'decisions.js', 'queue.js', 'access.js', 'directory.js'];
const FILES: Record<string, { file: string; type: string }> = {
  '': { file: 'index.html', type: HTML },
  'index.html': { file: 'index.html', type: HTML },
  'style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  ...Object.fromEntries(CONSOLE_MODULES.map((m) => [m, { file: m, type: JS }])),
};

/** Scripts and styles only from this origin, no inline code, no frames, no form posts elsewhere. */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** True for the paths that serve the console's files (open: no token). */
export function isConsolePath(path: string): boolean {
  return path === '/' || path === '/console' || path.startsWith(CONSOLE_PATH);
}

/** onSend hook: headers for every answer of the admin listener. */
export async function securityHeaders(_req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  reply.header('cache-control', 'no-store');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
  reply.header('content-security-policy', CSP);
  return payload;
}

export function serveConsole(app: FastifyInstance): void {
  const cache = new Map<string, Buffer>();
  const read = (file: string): Buffer | undefined => {
    let b = cache.get(file);
    if (!b) {
      try {
        b = readFileSync(CONSOLE_DIR + file);
      } catch {
        return undefined;
      }
      cache.set(file, b);
    }
    return b;
  };
  app.get('/', async (_req, reply) => reply.redirect(CONSOLE_PATH));
  app.get('/console', async (_req, reply) => reply.redirect(CONSOLE_PATH));
  app.get(`${CONSOLE_PATH}*`, async (req, reply) => {
    const name = (req.params as { '*': string })['*'];
    const f = FILES[name];
    const body = f ? read(f.file) : undefined;
    if (!f || !body) return reply.code(404).send({ error: 'notFound', message: `no console file ${name}` });
    return reply.type(f.type).send(body);
  });
}
