// The query of GET /api/v1/decisions/stream: the same filter fields as the search
// (ops/decisions.ts), how many recent matches to send first, and the reconnecting
// client's Last-Event-ID. Bad input is a 400 naming the field, as for operations.

import { z } from 'zod';
import { invalidInput } from '../ops/errors.js';
import { DecisionFilterFields, decisionFilter } from '../ops/decisions.js';
import type { DecisionFilter } from './decision-filter.js';

const StreamQuery = z
  .object({
    ...DecisionFilterFields,
    backlog: z.coerce.number().int().min(0).max(1000).default(0).describe('Send the newest this many matching recent decisions first (0..1000).'),
    lastEventId: z.coerce.number().int().min(0).optional().describe('Last-Event-ID header of a reconnecting client: the missed events are sent first.'),
  })
  .strict();

export interface StreamQueryParsed {
  filter: DecisionFilter;
  backlog: number;
  afterSeq?: number;
}

export function parseStreamQuery(query: unknown, lastEventId: string | string[] | undefined): StreamQueryParsed {
  const raw = { ...((query ?? {}) as Record<string, unknown>) };
  if (typeof lastEventId === 'string' && lastEventId !== '') raw.lastEventId = lastEventId;
  const parsed = StreamQuery.safeParse(raw);
  if (!parsed.success) throw invalidInput(parsed.error);
  return { filter: decisionFilter(parsed.data), backlog: parsed.data.backlog, afterSeq: parsed.data.lastEventId };
}
