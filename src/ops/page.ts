// Pagination shared by every list: `limit` (1..1000, default 100) and `cursor`, the
// opaque `nextCursor` of the previous page (keyset paging: a page costs the same
// wherever it is in the list, and entries added meanwhile are neither skipped nor
// repeated). The cursor is the sort key of the page's last item, base64url-encoded.

import { z } from 'zod';
import { OpError } from './errors.js';

export const MAX_PAGE = 1000;

export const pageFields = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100).describe(`Items per page, 1..${MAX_PAGE}.`),
  cursor: z.string().max(2048).optional().describe('nextCursor of the previous page; absent for the first page.'),
};

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).strict();
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/** The sort key a cursor stands for (undefined: first page). */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!cursor || encodeCursor(key) !== cursor) throw new OpError('invalid', 'cursor: not a nextCursor from this API', [{ path: 'cursor', message: 'not a nextCursor from this API' }]);
  return key;
}

/** A page from `rows`, which holds up to limit + 1 rows: the extra one only says that more follow. */
export function pageOf<T>(rows: T[], limit: number, key: (t: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(key(items[items.length - 1])) : null };
}

/** Every item, page by page (the CLI lists this way, as it will through the API). */
export async function allItems<T>(fetch: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await fetch(cursor);
    out.push(...p.items);
    cursor = p.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out;
}
