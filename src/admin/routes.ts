// The admin API's route table: the directory, the access lists, the queue, the
// configuration, recent decisions. Every route runs one operation of src/ops/, the same one the CLI
// runs. Adding a route: write (or reuse) the operation in src/ops/, add a line here,
// list it in docs/ADMIN-API.md (a test checks that every route is documented).

import type { AccessKind } from '../state/access-list.js';
import { route, params, query, body, type RouteSpec } from './route.js';
import { addDomain, getDomain, listDomains, removeDomain } from '../ops/domains.js';
import { addMailbox, getMailbox, listMailboxes, removeMailbox, setMailboxPassword } from '../ops/mailboxes.js';
import { addAlias, getAlias, listAliases, removeAlias } from '../ops/aliases.js';
import { getCatchall, listCatchalls, setCatchall, unsetCatchall } from '../ops/catchalls.js';
import { addPostoffice, assignDomain, getPostoffice, listPostoffices, removePostoffice, unassignDomain } from '../ops/postoffices.js';
import { getLimits, listLimits, setLimits, unsetLimits } from '../ops/limits.js';
import { addAccess, getAccess, listAccess, removeAccess, unban } from '../ops/access.js';
import { getConfig, reloadConfig } from '../ops/config.js';
import { decisionsPerMinute, searchDecisions } from '../ops/decisions.js';
import { bounceQueued, deleteQueued, holdQueued, listQueued, releaseQueued, retryQueued, showQueuedMessage } from '../ops/queue.js';

export const API_PREFIX = '/api/v1';
/** The live decision stream (Server-Sent Events; src/admin/decision-stream.ts), under the prefix. */
export const STREAM_PATH = '/decisions/stream';

/** "a,b" or repeated ?keys=a&keys=b as a list. */
function list(v: unknown): string[] | unknown {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v.split(',').filter(Boolean);
  return v;
}

function accessRoutes(kind: AccessKind): RouteSpec[] {
  const fixed = { kind };
  return [
    route('GET', `/access/${kind}`, listAccess, { fixed, input: (req) => query(req) }),
    route('POST', `/access/${kind}`, addAccess, { fixed, input: (req) => body(req), status: 201 }),
    route('GET', `/access/${kind}/:network`, getAccess, { fixed, input: (req) => params(req) }),
    route('DELETE', `/access/${kind}/:network`, removeAccess, { fixed, input: (req) => params(req) }),
  ];
}

export const routes: RouteSpec[] = [
  route('GET', '/domains', listDomains),
  route('POST', '/domains', addDomain, { status: 201 }),
  route('GET', '/domains/:name', getDomain),
  route('DELETE', '/domains/:name', removeDomain),
  route('DELETE', '/domains/:domain/postoffice', unassignDomain),

  route('GET', '/mailboxes', listMailboxes),
  route('POST', '/mailboxes', addMailbox, { status: 201 }),
  route('GET', '/mailboxes/:address', getMailbox),
  route('DELETE', '/mailboxes/:address', removeMailbox),
  route('PUT', '/mailboxes/:address/password', setMailboxPassword),

  route('GET', '/aliases', listAliases),
  route('POST', '/aliases', addAlias, { status: 201 }),
  route('GET', '/aliases/:address', getAlias),
  route('DELETE', '/aliases/:address', removeAlias),

  route('GET', '/catchalls', listCatchalls),
  route('GET', '/catchalls/:domain', getCatchall),
  route('PUT', '/catchalls/:domain', setCatchall),
  route('DELETE', '/catchalls/:domain', unsetCatchall),

  route('GET', '/postoffices', listPostoffices),
  route('POST', '/postoffices', addPostoffice, { status: 201 }),
  route('GET', '/postoffices/:name', getPostoffice),
  route('DELETE', '/postoffices/:name', removePostoffice, { input: (req) => ({ ...params(req), force: query(req).force === 'true' }), request: (i) => ({ query: i.force ? { force: 'true' } : {} }) }),
  route('PUT', '/postoffices/:name/domains/:domain', assignDomain),
  route('DELETE', '/postoffices/:name/domains/:domain', unassignDomain),

  route('GET', '/limits', listLimits),
  route('GET', '/limits/:subject', getLimits),
  route('PATCH', '/limits/:subject', setLimits, { input: (req) => ({ subject: params(req).subject, limits: body(req) }), request: (i) => ({ body: i.limits as Record<string, unknown> }) }),
  route('DELETE', '/limits/:subject', unsetLimits, { input: (req) => ({ subject: params(req).subject, keys: list(query(req).keys) }), request: (i) => ({ query: Array.isArray(i.keys) ? { keys: i.keys.join(',') } : {} }) }),

  ...accessRoutes('deny'),
  ...accessRoutes('allow'),
  route('POST', '/access/unban', unban),

  route('GET', '/queue', listQueued),
  route('GET', '/queue/:id', showQueuedMessage),
  route('POST', '/queue/hold', holdQueued),
  route('POST', '/queue/release', releaseQueued),
  route('POST', '/queue/retry', retryQueued),
  route('POST', '/queue/bounce', bounceQueued),
  route('POST', '/queue/delete', deleteQueued),

  route('GET', '/config', getConfig),
  route('POST', '/config/reload', reloadConfig),

  route('GET', '/decisions', searchDecisions),
  route('GET', '/decisions/per-minute', decisionsPerMinute),
];
