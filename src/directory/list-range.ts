// Keyset paging shared by every directory list method (the admin API and the
// CLI page through them). Its own file so the tables store.ts composes import it
// without a cycle.

/**
 * Keyset paging for list methods: the rows whose sort key comes after `after` (the
 * key of the last row of the previous page), at most `limit` of them (default: all).
 */
export interface ListRange {
  after?: string;
  limit?: number;
}

/** SQLite's LIMIT: -1 means no limit. */
export function sqlLimit(r: ListRange | undefined): number {
  return r?.limit ?? -1;
}
