// Per-sender and per-domain limits (S2, S3, H7, H8, H9). The attributes are
// validated by the directory with LimitAttributes, the zod type that also documents them.

import { z } from 'zod';
import { defineOp } from './op.js';
import { OpError } from './errors.js';
import { LimitSubject } from './names.js';
import { decodeCursor, pageFields, pageOf, pageSchema } from './page.js';
import { LimitAttributes, checkLimitKeys } from '../directory/sender-limits.js';

export const LimitsOut = z.object({ subject: z.string(), limits: LimitAttributes }).strict();

export const listLimits = defineOp({
  name: 'limits.list',
  write: false,
  input: z.object({ ...pageFields }).strict(),
  output: pageSchema(LimitsOut),
  run: (ctx, { limit, cursor }) => pageOf(ctx.directory.limits.list({ after: decodeCursor(cursor), limit: limit + 1 }), limit, (l) => l.subject),
});

export const getLimits = defineOp({
  name: 'limits.get',
  write: false,
  input: z.object({ subject: LimitSubject }).strict(),
  output: LimitsOut,
  run: (ctx, { subject }) => {
    if (!ctx.directory.limits.has(subject)) throw new OpError('notFound', `${subject} has no limits of its own.`);
    return { subject, limits: ctx.directory.limits.of(subject) };
  },
});

export const setLimits = defineOp({
  name: 'limits.set',
  write: true,
  input: z
    .object({
      subject: LimitSubject,
      // Checked by the directory against LimitAttributes, so the message lists the known keys.
      limits: z.record(z.string(), z.unknown()).refine((o) => Object.keys(o).length > 0, 'give at least one limit').describe('Attributes to set, merged into those the subject has.'),
    })
    .strict(),
  output: LimitsOut,
  run: (ctx, { subject, limits }) => ({ subject, limits: ctx.directory.limits.set(subject, limits) }),
});

export const unsetLimits = defineOp({
  name: 'limits.unset',
  write: true,
  input: z.object({ subject: LimitSubject, keys: z.array(z.string()).default([]).describe('Attributes to remove; empty: all of them.') }).strict(),
  output: LimitsOut,
  run: (ctx, { subject, keys }) => {
    const dir = ctx.directory;
    checkLimitKeys(keys);
    if (!dir.limits.has(subject)) throw new OpError('notFound', `${subject} has no limits of its own.`);
    dir.limits.unset(subject, keys);
    return { subject, limits: dir.limits.of(subject) };
  },
});
