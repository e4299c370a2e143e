// R10 runtime hold: the flag file spool/HOLD. `rampart queue hold` creates it,
// `rampart queue release` removes it; the scheduler starts no delivery while it
// exists (checked before each start, and polled every second to notice a release).
// A file rather than a directory setting: it needs no open database, survives a
// restart (a server restarted during an open-relay clean-up stays held), and an
// admin can see or remove it with ls and rm.

import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const HOLD_FILE = 'HOLD';

export interface HoldState {
  /** When the hold was set (ms since the epoch). */
  since: number;
  reason?: string;
}

export function holdPath(spoolRoot: string): string {
  return join(spoolRoot, HOLD_FILE);
}

/** True while spool/HOLD exists. Cheap: one stat. */
export function isHeld(spoolRoot: string): boolean {
  return existsSync(holdPath(spoolRoot));
}

/** The hold state, or undefined when not held. A flag file with unreadable content still holds. */
export function readHold(spoolRoot: string): HoldState | undefined {
  let text: string;
  try {
    text = readFileSync(holdPath(spoolRoot), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const v = JSON.parse(text) as Partial<HoldState>;
    if (typeof v.since === 'number') return { since: v.since, reason: typeof v.reason === 'string' ? v.reason : undefined };
  } catch {
    // hand-made flag file (e.g. `touch spool/HOLD`)
  }
  return { since: 0 };
}

/** Creates (or rewrites) the flag file atomically. */
export function setHold(spoolRoot: string, reason?: string, now = Date.now()): HoldState {
  mkdirSync(spoolRoot, { recursive: true });
  const state: HoldState = { since: now, reason };
  const tmp = join(spoolRoot, `.${HOLD_FILE}.${process.pid}`);
  writeFileSync(tmp, JSON.stringify(state) + '\n', { mode: 0o644 });
  renameSync(tmp, holdPath(spoolRoot));
  return state;
}

/** Removes the flag file; returns false when delivery was not held. */
export function clearHold(spoolRoot: string): boolean {
  try {
    unlinkSync(holdPath(spoolRoot));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
