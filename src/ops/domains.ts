// Local domains: list, show, add (optionally into a postoffice, R5), remove (with
// their mailboxes and aliases).

import { z } from 'zod';
import { defineOp } from './op.js';
import { OpError } from './errors.js';
import { DomainName, PostofficeName } from './names.js';
import { decodeCursor, pageFields, pageOf, pageSchema } from './page.js';
import type { Directory } from '../directory/store.js';

export const DomainOut = z
  .object({
    name: z.string(),
    postoffice: z.string().nullable().describe('R5: the postoffice owning the domain, or null.'),
    catchall: z.string().nullable().describe('R7: the catchall target, or null.'),
  })
  .strict();

function domainOut(dir: Directory, name: string): z.input<typeof DomainOut> {
  return { name, postoffice: dir.postoffices.ofDomain(name) ?? null, catchall: dir.catchalls.targetFor(name) ?? null };
}

export const listDomains = defineOp({
  name: 'domains.list',
  write: false,
  input: z.object({ ...pageFields }).strict(),
  output: pageSchema(DomainOut),
  run: (ctx, { limit, cursor }) => {
    const names = ctx.directory.listDomains({ after: decodeCursor(cursor), limit: limit + 1 });
    return pageOf(names.map((n) => domainOut(ctx.directory, n)), limit, (d) => d.name);
  },
});

export const getDomain = defineOp({
  name: 'domains.get',
  write: false,
  input: z.object({ name: DomainName }).strict(),
  output: DomainOut,
  run: (ctx, { name }) => {
    if (!ctx.directory.isLocalDomain(name)) throw new OpError('notFound', `Domain ${name} does not exist.`);
    return domainOut(ctx.directory, name);
  },
});

export const addDomain = defineOp({
  name: 'domains.add',
  write: true,
  input: z.object({ name: DomainName, postoffice: PostofficeName.optional().describe('R5: put the domain into this postoffice.') }).strict(),
  output: DomainOut,
  run: (ctx, { name, postoffice }) => {
    const dir = ctx.directory;
    if (postoffice !== undefined && !dir.postoffices.exists(postoffice)) throw new OpError('notFound', `postoffice ${postoffice} does not exist; add it first.`);
    dir.addDomain(name);
    if (postoffice !== undefined) dir.postoffices.assign(postoffice, name);
    return domainOut(dir, name);
  },
});

export const removeDomain = defineOp({
  name: 'domains.remove',
  write: true,
  input: z.object({ name: DomainName }).strict(),
  output: z.object({ name: z.string() }).strict(),
  run: (ctx, { name }) => {
    ctx.directory.removeDomain(name);
    return { name };
  },
});
