// R10 / Q6 the queue as operations, for the admin API and the web console: list
// (filters, pages), show, hold and release, retry, bounce and delete. Each wraps
// one function of src/spool/queue-ops.ts, which works on the spool folder; a
// running scheduler takes per-message requests within a second.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineOp, type OpsContext } from './op.js';
import { OpError } from './errors.js';
import { decodeCursor, encodeCursor, MAX_PAGE } from './page.js';
import { compileFilter, FilterError, type QueueFilterOptions } from '../spool/queue-filter.js';
import { QUEUE_ID } from '../spool/queue-id.js';
import { STATE_DIRS } from '../spool/queue-admin.js';
import {
  bounceMessages,
  deleteMessages,
  holdMessages,
  listQueue,
  QueueOpError,
  releaseMessages,
  retryMessages,
  showQueued,
  type QueueContext,
} from '../spool/queue-ops.js';

/** The spool of this configuration (as the server opens it) and the directory's local domains. */
export function queueContext(ctx: OpsContext): QueueContext {
  const snap = ctx.config();
  // Routing a recipient not yet attempted asks the directory; without one (a fresh
  // data folder, offline) nothing is local, and the CLI does not create it.
  return { spoolRoot: join(snap.dataDir, 'spool'), config: snap, isLocalDomain: (d: string) => ctx.directory.isLocalDomain(d) };
}

/** Runs a queue-ops call; a wrong id is a 400. */
async function guarded<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof QueueOpError) throw new OpError('invalid', e.message);
    throw e;
  }
}

export const QueueId = z
  .string()
  .max(64)
  .transform((s, c) => {
    const id = s.trim().toUpperCase();
    if (QUEUE_ID.test(id)) return id;
    c.addIssue({ code: 'custom', message: `"${s}" is not a queue id.` });
    return z.NEVER;
  })
  .describe('A queue id as printed by queue list (19 letters and digits; case-insensitive).');

const Ids = z.array(QueueId).min(1, 'give at least one queue id.').max(MAX_PAGE).describe('Queue ids.');

/** Seconds to wait for the running scheduler to take a request (bounded by the HTTP timeout). */
const Wait = z.coerce.number().min(0).max(20).default(3).describe('Seconds to wait for the running scheduler to answer, 0..20 (default 3).');

const FILTER_FIELDS = {
  sender: z.string().max(320).optional().describe('Envelope sender, case-insensitive; globs such as "*@spam.example"; "<>" is the null sender.'),
  rcptDomain: z.string().max(255).optional().describe('Any recipient in this domain, or a glob such as "*.example".'),
  clientIp: z.string().max(64).optional().describe('Client address or CIDR block.'),
  authUser: z.string().max(320).optional().describe('Submitted by this authenticated user (address or glob).'),
  since: z.string().max(64).optional().describe('Received at or after: ISO 8601, or a duration ago (30m, 2h, 1d).'),
  before: z.string().max(64).optional().describe('Received before: same forms as since.'),
};

/** The CLI option a filter error names, as the API field. */
const FIELD_OF: Record<string, keyof QueueFilterOptions> = { '--sender': 'sender', '--rcpt-domain': 'rcptDomain', '--client-ip': 'clientIp', '--auth-user': 'authUser', '--since': 'since', '--before': 'before' };

/** The filter fields as a predicate; a bad value is a 400 naming the field. */
function filterOf(input: QueueFilterOptions) {
  try {
    return compileFilter(input);
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    const m = /^(--[a-z-]+): (.*)$/s.exec(e.message);
    const path = m ? (FIELD_OF[m[1]] ?? '') : '';
    const message = m ? m[2] : e.message;
    throw new OpError('invalid', path ? `${path}: ${message}` : message, [{ path, message }]);
  }
}

const Recipient = z
  .object({
    address: z.string(),
    channel: z.string().describe('local, smtp, lmtp, discard, or the name of a route.'),
    state: z.enum(['pending', 'deferred', 'delivered', 'failed', 'forwarded']),
    status: z.string().optional().describe('RFC 3463 status of the last outcome.'),
    reply: z.string().optional().describe('The last reply (the peer\'s or ours).'),
    at: z.number().optional().describe('When the last outcome was reached (ms since 1970).'),
    next: z.number().optional().describe('Deferred: when the next attempt is due (ms since 1970).'),
    legs: z.array(z.object({ address: z.string(), state: z.string(), status: z.string(), reply: z.string() }).strict()).optional().describe('Where an alias recipient went.'),
  })
  .strict();

export const QueuedMessageOut = z
  .object({
    id: z.string(),
    mailFrom: z.string().describe('"" for the null sender.'),
    rcpts: z.array(z.string()),
    clientIp: z.string(),
    helo: z.string().optional(),
    authUser: z.string().optional(),
    listener: z.string(),
    receivedAt: z.number().describe('ms since 1970.'),
    size: z.number().int(),
    ageMs: z.number(),
    held: z.boolean().describe('Held by queue hold ID.'),
    nextAttempt: z.number().nullable().describe('Next attempt (ms since 1970); null when held or when every recipient is finished.'),
    recipients: z.array(Recipient),
  })
  .strict();

const HoldOut = z
  .object({
    held: z.boolean().describe('True when no delivery starts (a hold flag or delivery.hold).'),
    flag: z.object({ since: z.string().optional(), reason: z.string().optional() }).strict().optional().describe('The hold set by queue hold / PUT /queue/hold.'),
    config: z.boolean().describe('delivery.hold in the configuration.'),
  })
  .strict();

const Unreadable = z.array(z.object({ id: z.string(), error: z.string() }).strict()).describe('Queue files whose envelope cannot be read.');

export const listQueued = defineOp({
  name: 'queue.list',
  write: false,
  input: z
    .object({
      ...FILTER_FIELDS,
      limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100).describe(`Items per page, 1..${MAX_PAGE}.`),
      cursor: z.string().max(256).optional().describe('nextCursor of the previous page.'),
    })
    .strict(),
  output: z.object({ items: z.array(QueuedMessageOut), nextCursor: z.string().nullable(), total: z.number().int().describe('Messages in the queue, matched or not.'), hold: HoldOut, unreadable: Unreadable }).strict(),
  run: async (ctx, { limit, cursor, ...filters }) => {
    const filter = filterOf(filters);
    const after = decodeCursor(cursor);
    const l = await listQueue(queueContext(ctx), filter);
    // Oldest first; the cursor is the last id shown (ids sort by arrival time).
    const rest = after === undefined ? l.messages : l.messages.filter((m) => m.id > after);
    const items = rest.slice(0, limit);
    return {
      items,
      nextCursor: rest.length > limit ? encodeCursor(items[items.length - 1].id) : null,
      total: l.total,
      hold: { held: l.held, flag: l.flag, config: l.config },
      unreadable: l.unreadable,
    };
  },
});

export const showQueuedMessage = defineOp({
  name: 'queue.get',
  write: false,
  input: z.object({ id: QueueId }).strict(),
  output: z
    .object({
      id: z.string(),
      state: z.enum(['queued', 'failed', 'purged']).describe('queued, failed (parked in spool/failed/) or purged.'),
      size: z.number().int(),
      envelope: z.record(z.string(), z.unknown()).describe('The envelope as spooled.'),
      headers: z.string().describe('The header section (at most 64 KiB).'),
      queue: QueuedMessageOut.nullable().describe('Queued messages: recipient states and next attempt.'),
    })
    .strict(),
  run: async (ctx, { id }) => {
    const m = await guarded(() => showQueued(queueContext(ctx), id));
    if (!m) throw new OpError('notFound', `no message ${id} in the queue (nor in failed/ or purged/).`);
    return { id: m.entry.id, state: m.state, size: m.entry.size, envelope: m.envelope as unknown as Record<string, unknown>, headers: m.headers, queue: m.listed ?? null };
  },
});

/** 404 when none of the ids is queued (nothing was done); otherwise the missing ones are in the answer. */
function noneFound(ids: string[], missing: string[]): void {
  if (missing.length && missing.length === new Set(ids).size) throw new OpError('notFound', `not in the queue: ${missing.join(' ')}`);
}

export const holdQueued = defineOp({
  name: 'queue.hold',
  write: true,
  input: z.object({ ids: Ids }).strict(),
  output: z.object({ held: z.array(z.string()), already: z.array(z.string()), missing: z.array(z.string()) }).strict(),
  run: async (ctx, { ids }) => {
    const r = await guarded(() => holdMessages(queueContext(ctx), ids));
    noneFound(ids, r.missing);
    return r;
  },
});

export const releaseQueued = defineOp({
  name: 'queue.release',
  write: true,
  input: z.object({ ids: Ids }).strict(),
  output: z.object({ released: z.array(z.string()), notHeld: z.array(z.string()) }).strict(),
  run: async (ctx, { ids }) => {
    const q = queueContext(ctx);
    const r = await guarded(() => releaseMessages(q, ids));
    // Nothing released and none of them queued: the ids name nothing.
    if (!r.released.length && !r.notHeld.some((id) => existsSync(join(q.spoolRoot, STATE_DIRS.queued, id)))) throw new OpError('notFound', `not in the queue: ${r.notHeld.join(' ')}`);
    return r;
  },
});

const RequestOut = z
  .object({
    answered: z.boolean().describe('False when no running scheduler answered in time; the request waits for the next start.'),
    answer: z.object({ op: z.enum(['retry', 'bounce', 'enqueue', 'forget']), done: z.array(z.string()), unknown: z.array(z.string()), at: z.number() }).strict().optional(),
    request: z.string().describe('Name of the request file in spool/control/ ("" when nothing was asked).'),
    missing: z.array(z.string()).describe('Ids not in the queue.'),
  })
  .strict();

export const retryQueued = defineOp({
  name: 'queue.retry',
  write: true,
  input: z
    .object({ ids: Ids.optional(), all: z.boolean().optional().describe('Every queued message (postqueue -f).'), wait: Wait })
    .strict()
    .refine((i) => (i.ids === undefined) !== (i.all !== true), { message: 'give ids, or all: true (not both)', path: ['ids'] }),
  output: RequestOut,
  run: async (ctx, { ids, all, wait }) => {
    const r = await guarded(() => retryMessages(queueContext(ctx), all ? 'all' : ids!, wait * 1000));
    if (ids) noneFound(ids, r.missing);
    return r;
  },
});

export const bounceQueued = defineOp({
  name: 'queue.bounce',
  write: true,
  input: z.object({ ids: Ids, wait: Wait }).strict(),
  output: RequestOut,
  run: async (ctx, { ids, wait }) => {
    const r = await guarded(() => bounceMessages(queueContext(ctx), ids, wait * 1000));
    noneFound(ids, r.missing);
    return r;
  },
});

export const deleteQueued = defineOp({
  name: 'queue.delete',
  write: true,
  input: z.object({ ids: Ids }).strict(),
  output: z.object({ deleted: z.array(z.string()), missing: z.array(z.string()) }).strict(),
  run: async (ctx, { ids }) => {
    const r = await guarded(() => deleteMessages(queueContext(ctx), ids));
    noneFound(ids, r.missing);
    return r;
  },
});

