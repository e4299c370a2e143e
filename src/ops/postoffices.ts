// R5 postoffices: tenants owning domains. A domain belongs to at most one.

import { z } from 'zod';
import { defineOp } from './op.js';
import { OpError } from './errors.js';
import { DomainName, PostofficeName } from './names.js';
import { decodeCursor, pageFields, pageOf, pageSchema } from './page.js';

export const PostofficeOut = z.object({ name: z.string(), domains: z.array(z.string()) }).strict();

export const listPostoffices = defineOp({
  name: 'postoffices.list',
  write: false,
  input: z.object({ ...pageFields }).strict(),
  output: pageSchema(PostofficeOut),
  run: (ctx, { limit, cursor }) => pageOf(ctx.directory.postoffices.list({ after: decodeCursor(cursor), limit: limit + 1 }), limit, (p) => p.name),
});

export const getPostoffice = defineOp({
  name: 'postoffices.get',
  write: false,
  input: z.object({ name: PostofficeName }).strict(),
  output: PostofficeOut,
  run: (ctx, { name }) => {
    const p = ctx.directory.postoffices.get(name);
    if (!p) throw new OpError('notFound', `Postoffice ${name} does not exist.`);
    return p;
  },
});

export const addPostoffice = defineOp({
  name: 'postoffices.add',
  write: true,
  input: z.object({ name: PostofficeName }).strict(),
  output: PostofficeOut,
  run: (ctx, { name }) => ({ name: ctx.directory.postoffices.add(name), domains: [] }),
});

export const removePostoffice = defineOp({
  name: 'postoffices.remove',
  write: true,
  input: z.object({ name: PostofficeName, force: z.boolean().default(false).describe('Release its domains instead of refusing while it owns some.') }).strict(),
  output: z.object({ name: z.string(), released: z.array(z.string()).describe('Domains it owned; they, their mailboxes and aliases stay.') }).strict(),
  run: (ctx, { name, force }) => ({ name, released: ctx.directory.postoffices.remove(name, force) }),
});

export const assignDomain = defineOp({
  name: 'postoffices.assign',
  write: true,
  input: z.object({ name: PostofficeName, domain: DomainName }).strict(),
  output: z.object({ name: z.string(), domain: z.string() }).strict(),
  run: (ctx, { name, domain }) => {
    ctx.directory.postoffices.assign(name, domain);
    return { name, domain };
  },
});

export const unassignDomain = defineOp({
  name: 'postoffices.unassign',
  write: true,
  input: z.object({ domain: DomainName, name: PostofficeName.optional().describe('Refuse unless the domain is in this postoffice.') }).strict(),
  output: z.object({ name: z.string(), domain: z.string() }).strict(),
  run: (ctx, { domain, name }) => {
    const po = ctx.directory.postoffices;
    if (name !== undefined && po.ofDomain(domain) !== name) throw new OpError('notFound', `Domain ${domain} is not in postoffice ${name}.`);
    return { name: po.unassign(domain), domain };
  },
});
