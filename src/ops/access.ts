// R2 allow and deny lists (H6 adds automatic deny entries): list, show, add,
// remove, and unban (remove every deny entry covering an address). Reads come from
// the in-memory index (sorted for paging; the server's own, or loaded by the CLI);
// writes go to the shared store, so every node sees them within access.refreshMs.

import { z } from 'zod';
import { defineOp, type OpsContext } from './op.js';
import { OpError } from './errors.js';
import { AccessKindSchema, Duration, ListableNetwork, Network } from './names.js';
import { decodeCursor, pageFields, pageOf, pageSchema } from './page.js';
import { canonicalIp } from '../core/cidr.js';
import type { AccessEntry, AccessList } from '../state/access-list.js';

export const AccessEntryOut = z
  .object({
    kind: AccessKindSchema,
    network: z.string().describe('Canonical CIDR, e.g. 192.0.2.7/32.'),
    reason: z.string(),
    source: z.enum(['manual', 'auto']).describe('auto: added by H6 automatic deny.'),
    createdAt: z.string().describe('ISO 8601.'),
    expiresAt: z.string().nullable().describe('ISO 8601, or null: never expires.'),
    hits: z.number().int().describe('Connections this node refused because of this entry since it started (deny entries; 0 for allow entries).'),
  })
  .strict();

function entryOut(list: AccessList, e: AccessEntry): z.input<typeof AccessEntryOut> {
  return {
    kind: e.kind,
    network: e.network,
    reason: e.reason,
    source: e.source,
    createdAt: new Date(e.createdAt).toISOString(),
    expiresAt: e.expiresAt === undefined ? null : new Date(e.expiresAt).toISOString(),
    hits: e.kind === 'deny' ? list.hits(e.network) : 0,
  };
}

/** The lists with their index loaded (the CLI's are loaded on first use). */
async function loaded(ctx: OpsContext): Promise<AccessList> {
  const list = await ctx.access();
  if (!list.loaded) {
    try {
      await list.load();
    } catch (e) {
      throw new OpError('unavailable', `the shared store cannot be read: ${(e as Error).message}`);
    }
  }
  return list;
}

export const listAccess = defineOp({
  name: 'access.list',
  write: false,
  input: z.object({ kind: AccessKindSchema, source: z.enum(['manual', 'auto']).optional().describe('Only entries of this source.'), ...pageFields }).strict(),
  output: pageSchema(AccessEntryOut),
  run: async (ctx, { kind, source, limit, cursor }) => {
    const list = await loaded(ctx);
    const rows = list.page(kind, { after: decodeCursor(cursor), limit: limit + 1, source });
    return pageOf(rows.map((e) => entryOut(list, e)), limit, (e) => e.network);
  },
});

export const getAccess = defineOp({
  name: 'access.get',
  write: false,
  input: z.object({ kind: AccessKindSchema, network: Network }).strict(),
  output: AccessEntryOut,
  run: async (ctx, { kind, network }) => {
    const list = await loaded(ctx);
    const e = list.get(kind, network);
    if (!e) throw new OpError('notFound', `${network} is not on the ${kind} list`);
    return entryOut(list, e);
  },
});

export const addAccess = defineOp({
  name: 'access.add',
  write: true,
  input: z
    .object({
      kind: AccessKindSchema,
      network: ListableNetwork,
      reason: z.string().max(1000).optional().describe('Why (shown in lists and logs, never to the client).'),
      expires: Duration.optional().describe('Remove the entry automatically after this long: "90s", "30m", "1h", "2d", "1w", or milliseconds.'),
    })
    .strict(),
  output: AccessEntryOut,
  run: async (ctx, { kind, network, reason, expires }) => {
    const list = await ctx.access();
    return entryOut(list, await list.add(kind, network, { reason, ttlMs: expires, source: 'manual' }));
  },
});

export const removeAccess = defineOp({
  name: 'access.remove',
  write: true,
  input: z.object({ kind: AccessKindSchema, network: Network }).strict(),
  output: z.object({ kind: AccessKindSchema, network: z.string() }).strict(),
  run: async (ctx, { kind, network }) => {
    if (!(await (await ctx.access()).remove(kind, network))) throw new OpError('notFound', `${network} is not on the ${kind} list`);
    return { kind, network };
  },
});

export const unban = defineOp({
  name: 'access.unban',
  write: true,
  input: z
    .object({
      ip: z
        .string()
        .max(64)
        .refine((s) => canonicalIp(s) !== undefined, 'expected an IPv4 or IPv6 address')
        .describe('The client address to let in again.'),
    })
    .strict(),
  output: z.object({ ip: z.string(), removed: z.array(AccessEntryOut).describe('Every deny entry that covered the address.') }).strict(),
  run: async (ctx, { ip }) => {
    const list = await loaded(ctx);
    const covering = list.covering('deny', ip);
    if (!covering.length) throw new OpError('notFound', `${canonicalIp(ip)} is not on the deny list`);
    const removed = covering.map((e) => entryOut(list, e)); // before removal drops their hit counts
    for (const e of covering) await list.remove('deny', e.network);
    return { ip: canonicalIp(ip)!, removed };
  },
});
