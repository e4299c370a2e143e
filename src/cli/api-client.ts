// The CLI's side of the admin API: an operation (src/ops/) and its input become
// the HTTP request of the route that runs that operation (src/admin/routes.ts),
// so the server validates and runs it exactly as it would for any API client, and
// its answer or error comes back as the operation's output or an OpError with the
// same message. No operation has a second implementation here.

import type { z } from 'zod';
import { routes, API_PREFIX } from '../admin/routes.js';
import { pathParams, type RouteSpec } from '../admin/route.js';
import type { Op } from '../ops/op.js';
import { OpError, invalidInput, type Issue, type OpErrorKind } from '../ops/errors.js';

const KINDS: Record<number, OpErrorKind> = { 400: 'invalid', 404: 'notFound', 409: 'conflict', 503: 'unavailable' };
const TIMEOUT_MS = 60_000;

/** A problem talking to the API that is not the operation's own (unreachable, token refused). */
export class ApiError extends Error {
  override name = 'ApiError';
}

/** The route for an operation and input: one whose fixed fields (e.g. kind) the input has, preferably one whose path parameters it all has. */
export function routeFor(op: Op<z.ZodType, z.ZodType>, input: Record<string, unknown>): RouteSpec | undefined {
  const candidates = routes.filter((r) => r.op === op && Object.entries(r.fixed ?? {}).every(([k, v]) => input[k] === v));
  return candidates.find((r) => pathParams(r.url).every((p) => input[p] !== undefined)) ?? candidates[0];
}

function queryString(q: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The method, path (with query) and JSON body that carry `input` to `r`. */
export function requestFor(r: RouteSpec, input: Record<string, unknown>): { method: string; path: string; body?: Record<string, unknown> } {
  const names = pathParams(r.url);
  let path = r.url;
  for (const n of names) {
    const v = input[n];
    if (v === undefined || v === null || v === '') {
      // No path can carry it: the operation's own schema says what is wrong, in its own words.
      const checked = r.op.input.safeParse(input);
      throw checked.success ? new OpError('invalid', `${n}: required`, [{ path: n, message: 'required' }]) : invalidInput(checked.error);
    }
    path = path.replace(`:${n}`, encodeURIComponent(String(v)));
  }
  const rest = Object.fromEntries(Object.entries(input).filter(([k, v]) => !names.includes(k) && !(k in (r.fixed ?? {})) && v !== undefined));
  const carried = r.request ? r.request(input) : r.method === 'GET' || r.method === 'DELETE' ? { query: rest } : { body: rest };
  return { method: r.method, path: API_PREFIX + path + queryString(carried.query ?? {}), body: carried.body };
}

export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  /** Runs `op` on the server; resolves with its output, or throws its OpError (or an ApiError). */
  async call<I extends z.ZodType, O extends z.ZodType>(op: Op<I, O>, input: z.input<I>): Promise<z.input<O>> {
    const fields = input as Record<string, unknown>;
    const r = routeFor(op as unknown as Op<z.ZodType, z.ZodType>, fields);
    if (!r) throw new ApiError(`${op.name} is not offered by the admin API; run it with --offline on the server's files`);
    const req = requestFor(r, fields);
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url + req.path, { method: req.method, headers, body: req.body === undefined ? undefined : JSON.stringify(req.body), signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (e) {
      throw new ApiError(`the admin API at ${this.url} did not answer: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
    }
    const text = await res.text();
    let body: { error?: string; message?: string; issues?: Issue[] } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.ok) return body as z.input<O>;
    const kind = KINDS[res.status];
    if (kind) throw new OpError(kind, body?.message ?? text, body?.issues ?? []);
    if (res.status === 401 || res.status === 403) throw new ApiError(`the admin API at ${this.url} refused the token (${res.status}: ${body?.message ?? text}); set RAMPART_TOKEN to a read-write token, or use --offline`);
    throw new ApiError(`the admin API at ${this.url} answered ${res.status}: ${body?.message ?? text}`);
  }

  /** True when the listener answers /healthz. */
  async alive(timeoutMs = 2000): Promise<boolean> {
    try {
      const r = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
      await r.body?.cancel();
      return r.ok;
    } catch {
      return false;
    }
  }
}
