// How queue tools reach a running scheduler without a socket: files in the spool.
//   spool/held/<id>          per-message hold flag (Q6 `queue hold ID`); the
//                            scheduler starts no attempt of a held message.
//   spool/control/<n>.json   a request (retry, bounce, enqueue, forget) the
//                            scheduler picks up within a second (it polls with
//                            spool/HOLD), answers in <n>.done and deletes.
// Files, like spool/HOLD: they work whether or not the server runs (a request
// waits for the next start), survive restarts, and an admin can see them with ls.

import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { QUEUE_ID } from './queue-id.js';

export const HELD_DIR = 'held';
export const CONTROL_DIR = 'control';

export type ControlOp = 'retry' | 'bounce' | 'enqueue' | 'forget';

export interface ControlRequest {
  op: ControlOp;
  /** Queue ids; absent with `all`. */
  ids?: string[];
  /** retry: every queued message (postqueue -f). */
  all?: boolean;
  /** The caller waits for an answer file (<n>.done); without it the request is just removed. */
  reply?: boolean;
  at: number;
}

/** What the scheduler did with a request. */
export interface ControlAnswer {
  op: ControlOp;
  /** Ids acted on. */
  done: string[];
  /** Ids the scheduler does not have queued. */
  unknown: string[];
  at: number;
}

export function heldFlagPath(spoolRoot: string, id: string): string {
  return join(spoolRoot, HELD_DIR, id);
}

/** Sets the per-message hold flag; false when it was set already. */
export function setMessageHold(spoolRoot: string, id: string): boolean {
  mkdirSync(join(spoolRoot, HELD_DIR), { recursive: true });
  const p = heldFlagPath(spoolRoot, id);
  if (existsSync(p)) return false;
  writeFileSync(p, '', { mode: 0o644 });
  return true;
}

/** Clears the per-message hold flag; false when it was not set. */
export function clearMessageHold(spoolRoot: string, id: string): boolean {
  try {
    unlinkSync(heldFlagPath(spoolRoot, id));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Ids with a hold flag. One readdir: cheap enough to poll every second. */
export function heldIds(spoolRoot: string): Set<string> {
  try {
    return new Set(readdirSync(join(spoolRoot, HELD_DIR)).filter((f) => QUEUE_ID.test(f)));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw e;
  }
}

/** Writes a request atomically; returns its name (to wait for the answer). */
export function writeRequest(spoolRoot: string, req: Omit<ControlRequest, 'at'>, now = Date.now()): string {
  const dir = join(spoolRoot, CONTROL_DIR);
  mkdirSync(dir, { recursive: true });
  const name = `${now.toString(36).padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
  const tmp = join(dir, `.${name}.tmp`);
  writeFileSync(tmp, JSON.stringify({ ...req, at: now }) + '\n', { mode: 0o644 });
  renameSync(tmp, join(dir, `${name}.json`));
  return name;
}

/** Answers nobody collected (the caller gave up waiting) are removed after this long. */
const STALE_ANSWER_MS = 10 * 60 * 1000;

/**
 * Pending requests, oldest first. A file that is not a request is moved aside as
 * <name>.bad; answers older than ten minutes are removed.
 */
export function readRequests(spoolRoot: string, now = Date.now()): Array<{ name: string; req: ControlRequest }> {
  const dir = join(spoolRoot, CONTROL_DIR);
  let all: string[];
  try {
    all = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  for (const f of all.filter((n) => n.endsWith('.done'))) {
    try {
      if (now - statSync(join(dir, f)).mtimeMs > STALE_ANSWER_MS) unlinkSync(join(dir, f));
    } catch {
      // taken meanwhile
    }
  }
  const files = all.filter((f) => f.endsWith('.json')).sort();
  const out: Array<{ name: string; req: ControlRequest }> = [];
  for (const f of files) {
    const name = f.slice(0, -5);
    try {
      const req = JSON.parse(readFileSync(join(dir, f), 'utf8')) as ControlRequest;
      if (!['retry', 'bounce', 'enqueue', 'forget'].includes(req.op)) throw new Error('unknown op');
      if (req.ids !== undefined && !(Array.isArray(req.ids) && req.ids.every((i) => typeof i === 'string'))) throw new Error('bad ids');
      out.push({ name, req });
    } catch {
      try {
        renameSync(join(dir, f), join(dir, `${name}.bad`));
      } catch {
        // gone meanwhile
      }
    }
  }
  return out;
}

/** Records the answer (when the caller waits for one) and removes the request. */
export function answerRequest(spoolRoot: string, name: string, req: ControlRequest, answer: ControlAnswer): void {
  const dir = join(spoolRoot, CONTROL_DIR);
  if (!req.reply) {
    try {
      unlinkSync(join(dir, `${name}.json`));
    } catch {
      // already gone
    }
    return;
  }
  const tmp = join(dir, `.${name}.done.tmp`);
  writeFileSync(tmp, JSON.stringify(answer) + '\n', { mode: 0o644 });
  renameSync(tmp, join(dir, `${name}.done`));
  try {
    unlinkSync(join(dir, `${name}.json`));
  } catch {
    // already gone
  }
}

/** The answer to a request, once there is one (the answer file is removed when read). */
export function takeAnswer(spoolRoot: string, name: string): ControlAnswer | undefined {
  const p = join(spoolRoot, CONTROL_DIR, `${name}.done`);
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    unlinkSync(p);
  } catch {
    // gone meanwhile
  }
  return JSON.parse(text) as ControlAnswer;
}
