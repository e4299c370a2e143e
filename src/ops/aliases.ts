// Aliases: an address in a local domain delivering to one or more addresses, local
// or remote.

import { z } from 'zod';
import { defineOp } from './op.js';
import { OpError } from './errors.js';
import { MailAddress } from './names.js';
import { decodeCursor, pageFields, pageOf, pageSchema } from './page.js';

export const AliasOut = z.object({ address: z.string(), targets: z.array(z.string()) }).strict();

export const listAliases = defineOp({
  name: 'aliases.list',
  write: false,
  input: z.object({ ...pageFields }).strict(),
  output: pageSchema(AliasOut),
  run: (ctx, { limit, cursor }) => pageOf(ctx.directory.listAliases({ after: decodeCursor(cursor), limit: limit + 1 }), limit, (a) => a.address),
});

export const getAlias = defineOp({
  name: 'aliases.get',
  write: false,
  input: z.object({ address: MailAddress }).strict(),
  output: AliasOut,
  run: (ctx, { address }) => {
    const a = ctx.directory.alias(address);
    if (!a) throw new OpError('notFound', `Alias ${address} does not exist.`);
    return a;
  },
});

export const addAlias = defineOp({
  name: 'aliases.add',
  write: true,
  input: z
    .object({
      address: MailAddress,
      targets: z.array(z.string().max(1024)).min(1, 'an alias needs at least one target').max(1000).describe('Addresses it delivers to, local or remote.'),
    })
    .strict(),
  output: AliasOut,
  run: (ctx, { address, targets }) => {
    ctx.directory.addAlias(address, targets);
    return ctx.directory.alias(address)!;
  },
});

export const removeAlias = defineOp({
  name: 'aliases.remove',
  write: true,
  input: z.object({ address: MailAddress }).strict(),
  output: z.object({ address: z.string() }).strict(),
  run: (ctx, { address }) => {
    ctx.directory.removeAlias(address);
    return { address };
  },
});
