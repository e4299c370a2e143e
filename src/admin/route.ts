// Binds an operation (src/ops/) to an HTTP method and path. The handler builds the
// operation's input from the request (path parameters, query string, JSON body),
// runs it through callOp() (zod validation: a bad input is a 400 naming the field),
// and checks the answer against the operation's output schema before sending it.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { callOp, type Op, type OpsContext } from '../ops/op.js';
import { OpError } from '../ops/errors.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteSpec {
  method: Method;
  /** Path under the API prefix, with :params. */
  url: string;
  op: Op<z.ZodType, z.ZodType>;
  /** Input fields the path itself fixes (e.g. `kind: 'deny'` for /access/deny): added to the input; the API client picks the route by them. */
  fixed?: Record<string, string>;
  /** The operation's input from the request; default: query, then body fields, then path parameters (and `fixed`). */
  input?: (req: FastifyRequest) => Record<string, unknown>;
  /**
   * The inverse, for the API client (src/cli/api-client.ts): the query and body that carry an
   * input. Default: path parameters from the input's fields of that name, every other field
   * (but `fixed` ones) in the query string for GET and DELETE, in the JSON body otherwise.
   */
  request?: (input: Record<string, unknown>) => { query?: Record<string, unknown>; body?: Record<string, unknown> };
  /** Status of a success; default 200 (201 for creations). */
  status?: number;
}

/** A route table entry, typed loosely so one table can hold every operation. */
export function route<I extends z.ZodType, O extends z.ZodType>(method: Method, url: string, op: Op<I, O>, opts: Omit<RouteSpec, 'method' | 'url' | 'op'> = {}): RouteSpec {
  return { method, url, op: op as unknown as Op<z.ZodType, z.ZodType>, ...opts };
}

export function params(req: FastifyRequest): Record<string, unknown> {
  return (req.params ?? {}) as Record<string, unknown>;
}

export function query(req: FastifyRequest): Record<string, unknown> {
  return (req.query ?? {}) as Record<string, unknown>;
}

/** The JSON body as an object ({} when there is none). */
export function body(req: FastifyRequest): Record<string, unknown> {
  const b = req.body;
  if (b === undefined || b === null) return {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new OpError('invalid', 'the request body must be a JSON object');
  return b as Record<string, unknown>;
}

function defaultInput(req: FastifyRequest): Record<string, unknown> {
  return { ...query(req), ...body(req), ...params(req) };
}

/** The names of a route's path parameters, in order ("/a/:x/b/:y" -> ["x", "y"]). */
export function pathParams(url: string): string[] {
  return [...url.matchAll(/:(\w+)/g)].map((m) => m[1]);
}

export function register(app: FastifyInstance, prefix: string, ctx: OpsContext, spec: RouteSpec): void {
  app.route({
    method: spec.method,
    url: prefix + spec.url,
    config: { op: spec.op.name, write: spec.op.write },
    handler: async (req, reply) => {
      const out = await callOp(spec.op, ctx, { ...(spec.input ?? defaultInput)(req), ...spec.fixed });
      const checked = spec.op.output.safeParse(out);
      if (!checked.success) throw new Error(`the answer of ${spec.op.name} does not match its schema: ${checked.error.message}`);
      return reply.code(spec.status ?? 200).send(checked.data);
    },
  });
}
