// Networks kept in address order, beside the longest-prefix index, so the admin
// API can page through 100,000 access-list entries without sorting them per
// request: a page is a binary search for the cursor and a slice. Order: IPv4
// before IPv6, then by network address, then shorter prefixes first.

import type { Cidr } from '../core/cidr.js';

export function compareCidr(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.net !== b.net) {
    if (a.family === 4) return (a.net as number) - (b.net as number);
    return (a.net as string) < (b.net as string) ? -1 : 1; // fixed-width hex: text order is numeric order
  }
  return a.bits - b.bits;
}

export class SortedNetworks<T> {
  private keys: Cidr[] = [];
  private values: T[] = [];

  get size(): number {
    return this.keys.length;
  }

  /** Replaces everything (one sort, for a reload). */
  reset(entries: Array<[Cidr, T]>): void {
    entries.sort((x, y) => compareCidr(x[0], y[0]));
    this.keys = entries.map((e) => e[0]);
    this.values = entries.map((e) => e[1]);
  }

  set(c: Cidr, value: T): void {
    const i = this.firstNotBefore(c);
    if (i < this.keys.length && compareCidr(this.keys[i], c) === 0) this.values[i] = value;
    else {
      this.keys.splice(i, 0, c);
      this.values.splice(i, 0, value);
    }
  }

  delete(c: Cidr): void {
    const i = this.firstNotBefore(c);
    if (i < this.keys.length && compareCidr(this.keys[i], c) === 0) {
      this.keys.splice(i, 1);
      this.values.splice(i, 1);
    }
  }

  /** Values after `after` (all when undefined) that pass `accept`, at most `limit`. */
  page(after: Cidr | undefined, limit: number, accept: (v: T) => boolean = () => true): T[] {
    const out: T[] = [];
    let i = after ? this.firstNotBefore(after) : 0;
    if (after && i < this.keys.length && compareCidr(this.keys[i], after) === 0) i++;
    for (; i < this.values.length && out.length < limit; i++) if (accept(this.values[i])) out.push(this.values[i]);
    return out;
  }

  /** Index of the first key >= c (binary search). */
  private firstNotBefore(c: Cidr): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareCidr(this.keys[mid], c) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
