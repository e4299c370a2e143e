// Files below a folder that a predicate keeps: the structure and registry tests
// read the source tree with it.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file below `dir` (recursively) for which `keep(path)` holds. */
export function filesUnder(dir: string, keep: (path: string) => boolean, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) filesUnder(p, keep, out);
    else if (keep(p)) out.push(p);
  }
  return out;
}
