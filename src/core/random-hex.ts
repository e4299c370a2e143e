// Random hex digits for ids, taken from a pool filled 4 KiB at a time: one
// crypto call per ~1000 ids instead of one per id (it was a visible part of
// the per-message profile). Same source (the OS CSPRNG), same output.

import { randomFillSync } from 'node:crypto';

const POOL = Buffer.alloc(4096);
let pos = POOL.length;

/** `bytes` random bytes as lower-case hex (2 digits each). */
export function randomHex(bytes: number): string {
  if (pos + bytes > POOL.length) {
    randomFillSync(POOL);
    pos = 0;
  }
  const s = POOL.toString('hex', pos, pos + bytes);
  pos += bytes;
  return s;
}
