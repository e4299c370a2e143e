// Bearer tokens of the admin API. Managed only from the CLI, on the server's files:
// whoever can create a token can read the directory anyway, and a token can never
// mint another one.

import { z } from 'zod';
import { defineOp } from './op.js';
import { TokenName } from './names.js';
import { decodeCursor, pageFields, pageOf, pageSchema } from './page.js';
import type { TokenInfo } from '../directory/admin-tokens.js';

export const TokenOut = z
  .object({
    name: z.string(),
    readOnly: z.boolean(),
    createdAt: z.string().describe('ISO 8601.'),
    lastUsedAt: z.string().nullable().describe('ISO 8601, to the minute; null: never used.'),
  })
  .strict();

function tokenOut(t: TokenInfo): z.input<typeof TokenOut> {
  return { name: t.name, readOnly: t.readOnly, createdAt: new Date(t.createdAt).toISOString(), lastUsedAt: t.lastUsedAt === undefined ? null : new Date(t.lastUsedAt).toISOString() };
}

export const createToken = defineOp({
  name: 'tokens.create',
  write: true,
  input: z.object({ name: TokenName, readOnly: z.boolean().default(false).describe('Allow only reads (GET): writes get 403.') }).strict(),
  output: TokenOut.extend({ token: z.string().describe('The secret; shown this once, only its hash is kept.') }),
  run: (ctx, { name, readOnly }) => {
    const { token, info } = ctx.directory.tokens.create(name, { readOnly });
    return { ...tokenOut(info), token };
  },
});

export const listTokens = defineOp({
  name: 'tokens.list',
  write: false,
  input: z.object({ ...pageFields }).strict(),
  output: pageSchema(TokenOut),
  run: (ctx, { limit, cursor }) => pageOf(ctx.directory.tokens.list({ after: decodeCursor(cursor), limit: limit + 1 }).map(tokenOut), limit, (t) => t.name),
});

export const revokeToken = defineOp({
  name: 'tokens.revoke',
  write: true,
  input: z.object({ name: TokenName }).strict(),
  output: z.object({ name: z.string() }).strict(),
  run: (ctx, { name }) => {
    ctx.directory.tokens.revoke(name);
    return { name };
  },
});
