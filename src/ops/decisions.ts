// "Why was this refused?": the recent decisions of the running server (a ring
// buffer bounded in count and age, src/admin/recent-decisions.ts), searched by
// client IP, sender, recipient, queue id, session, check or outcome; and the
// per-minute counts of the last hour. Only a running server has them.

import { z } from 'zod';
import { defineOp, type OpsContext } from './op.js';
import { OpError } from './errors.js';
import { decodeCursor, encodeCursor, MAX_PAGE, pageSchema } from './page.js';
import { compileDecisionFilter, FilterError } from '../admin/decision-filter.js';
import { OUTCOMES, type RecentDecisions } from '../admin/recent-decisions.js';

export const DecisionFilterFields = {
  ip: z.string().max(64).optional().describe('Client address or CIDR block, e.g. 203.0.113.7 or 203.0.113.0/24.'),
  sender: z.string().max(320).optional().describe('Envelope sender, case-insensitive; globs "*@spam.example"; "<>" is the null sender.'),
  rcpt: z.string().max(320).optional().describe('Recipient the decision was about (rcpt stage), same forms as sender.'),
  queueId: z.string().max(64).optional().describe('Queue id of the message (end-of-data decisions).'),
  session: z.string().max(64).optional().describe('Session id: every decision of one connection.'),
  check: z.string().max(128).optional().describe('Check name or glob, e.g. rcpt.relay or "mail.*".'),
  action: z.enum(['accept', 'tempfail', 'reject', 'drop', 'mark', 'warn', 'refused']).optional().describe('Outcome: an action, warn (warn mode, not enforced), or refused (tempfail, reject or drop, enforced).'),
};

export const DecisionOut = z
  .object({
    seq: z.number().int().describe('Number of the event on this node (increasing).'),
    time: z.string().describe('ISO 8601.'),
    session: z.string(),
    client: z.string(),
    listener: z.string().optional(),
    stage: z.string(),
    check: z.string(),
    feature: z.string().optional(),
    action: z.string(),
    code: z.number().int().optional(),
    enhanced: z.string().optional(),
    fault: z.string().optional(),
    warn: z.boolean().optional(),
    reason: z.string().optional(),
    from: z.string().optional(),
    rcpt: z.string().optional(),
    queueId: z.string().optional(),
    score: z.number().optional(),
  })
  .strict();

function recentOf(ctx: OpsContext): RecentDecisions {
  if (!ctx.recent) throw new OpError('unavailable', 'recent decisions are kept by a running server with an admin listener (admin in the configuration)');
  return ctx.recent;
}

/** The filter fields as a predicate; a malformed IP is a 400 naming the field. */
export function decisionFilter(input: { ip?: string; sender?: string; rcpt?: string; queueId?: string; session?: string; check?: string; action?: string }) {
  try {
    return compileDecisionFilter(input);
  } catch (e) {
    if (e instanceof FilterError) throw new OpError('invalid', e.message, [{ path: 'ip', message: e.message.replace(/^ip: /, '') }]);
    throw e;
  }
}

export const searchDecisions = defineOp({
  name: 'decisions.search',
  write: false,
  input: z
    .object({
      ...DecisionFilterFields,
      limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100).describe(`Items per page, 1..${MAX_PAGE}.`),
      cursor: z.string().max(64).optional().describe('nextCursor of the previous page (older decisions).'),
    })
    .strict(),
  output: pageSchema(DecisionOut),
  run: (ctx, input) => {
    const recent = recentOf(ctx);
    const filter = decisionFilter(input);
    const key = decodeCursor(input.cursor);
    const before = key === undefined ? Infinity : Number(key);
    if (!Number.isInteger(before) && before !== Infinity) throw new OpError('invalid', 'cursor: not a nextCursor from this API', [{ path: 'cursor', message: 'not a nextCursor from this API' }]);
    const { items, more } = recent.search(filter, input.limit, before);
    return {
      items: items.map((e) => ({ ...e, time: new Date(e.time).toISOString() })),
      nextCursor: more && items.length ? encodeCursor(String(items[items.length - 1].seq)) : null,
    };
  },
});

export const decisionsPerMinute = defineOp({
  name: 'decisions.perMinute',
  write: false,
  input: z.object({}).strict(),
  output: z
    .object({
      minutes: z.array(z.object({ minute: z.string().describe('Start of the minute, ISO 8601.'), counts: z.record(z.enum(OUTCOMES), z.number().int()) }).strict()).describe('The last 60 minutes, oldest first.'),
    })
    .strict(),
  run: (ctx) => ({ minutes: recentOf(ctx).perMinute().map((m) => ({ minute: new Date(m.minute).toISOString(), counts: m.counts })) }),
});
