// R7 catchalls: per local domain, where mail for unknown local parts goes.
// relay.disableAllCatchalls (config) turns every catchall off; the answers say so.

import { z } from 'zod';
import { defineOp } from './op.js';
import { OpError } from './errors.js';
import { DomainName, MailAddress } from './names.js';
import { decodeCursor, pageFields, pageOf, pageSchema } from './page.js';

export const CatchallOut = z.object({ domain: z.string(), target: z.string() }).strict();

export const listCatchalls = defineOp({
  name: 'catchalls.list',
  write: false,
  input: z.object({ ...pageFields }).strict(),
  output: pageSchema(CatchallOut),
  run: (ctx, { limit, cursor }) => pageOf(ctx.directory.catchalls.list({ after: decodeCursor(cursor), limit: limit + 1 }), limit, (c) => c.domain),
});

export const getCatchall = defineOp({
  name: 'catchalls.get',
  write: false,
  input: z.object({ domain: DomainName }).strict(),
  output: CatchallOut,
  run: (ctx, { domain }) => {
    const target = ctx.directory.catchalls.targetFor(domain);
    if (target === undefined) throw new OpError('notFound', `Domain ${domain} has no catchall.`);
    return { domain, target };
  },
});

export const setCatchall = defineOp({
  name: 'catchalls.set',
  write: true,
  input: z.object({ domain: DomainName, target: MailAddress.describe('A local mailbox or alias, or a remote address.') }).strict(),
  output: CatchallOut.extend({
    remote: z.boolean().describe('The target is outside the local domains.'),
    disabled: z.boolean().describe('relay.disableAllCatchalls is true: no catchall is in effect.'),
  }),
  run: (ctx, { domain, target }) => {
    const c = ctx.directory.catchalls.set(domain, target);
    return { ...c, remote: ctx.directory.catchalls.isRemote(c.target), disabled: ctx.config().relay.disableAllCatchalls };
  },
});

export const unsetCatchall = defineOp({
  name: 'catchalls.unset',
  write: true,
  input: z.object({ domain: DomainName }).strict(),
  output: z.object({ domain: z.string() }).strict(),
  run: (ctx, { domain }) => {
    ctx.directory.catchalls.unset(domain);
    return { domain };
  },
});
