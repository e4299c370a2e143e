// A test server with its admin listener on a free loopback port, a read-write and a
// read-only token, and a small HTTP client for the admin API (real HTTP, fetch).

import { startTestServer, type TestServer } from './server.js';

export interface AdminResponse {
  status: number;
  headers: Headers;
  /**
   * The parsed JSON body (or the text when it is not JSON). Bodies have as many shapes
   * as the API has routes; tests follow the paths they expect and the assertions check them.
   */
  // biome-ignore lint/suspicious/noExplicitAny: a test reads each route's own JSON shape; the assertions are the type check
  body: any;
  text: string;
}

export interface AdminTestServer extends TestServer {
  base: string;
  /** Read-write token "rw". */
  token: string;
  /** Read-only token "ro". */
  readOnly: string;
  /** Calls the API; `token` null sends no Authorization header. */
  call(method: string, path: string, body?: unknown, token?: string | null): Promise<AdminResponse>;
}

export async function startAdminTestServer(overrides: Record<string, unknown> = {}): Promise<AdminTestServer> {
  const ts = await startTestServer({ admin: { port: 0 }, ...overrides });
  const token = ts.server.directory.tokens.create('rw').token;
  const readOnly = ts.server.directory.tokens.create('ro', { readOnly: true }).token;
  const base = `http://127.0.0.1:${ts.server.adminPort}`;
  async function call(method: string, path: string, body?: unknown, tok: string | null = token): Promise<AdminResponse> {
    const headers: Record<string, string> = {};
    if (tok !== null) headers.authorization = `Bearer ${tok}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (e.g. /metrics)
    }
    return { status: r.status, headers: r.headers, body: parsed, text };
  }
  return Object.assign(ts, { base, token, readOnly, call });
}
