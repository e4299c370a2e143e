// Errors of the operations (src/ops/): each says what kind of problem it is, so the
// admin API can answer 400/404/409/503 and the CLI can print one line and exit 2,
// from the same message.

import type { z } from 'zod';
import { DirectoryError } from '../directory/store.js';
import { AccessListError } from '../state/access-list.js';

/** invalid: malformed input (400); notFound: a name that names nothing (404); conflict: clashes with what exists (409); unavailable: a service it needs is down (503). */
export type OpErrorKind = 'invalid' | 'notFound' | 'conflict' | 'unavailable';

export interface Issue {
  /** Dotted input field, e.g. "limit" or "targets.0"; empty for the input as a whole. */
  path: string;
  message: string;
}

export class OpError extends Error {
  override name = 'OpError';

  constructor(readonly kind: OpErrorKind, message: string, readonly issues: Issue[] = []) {
    super(message);
  }

  /** The message without field names (for the CLI, where the input came from arguments, not fields). */
  get plain(): string {
    return this.issues.length ? this.issues.map((i) => i.message).join('; ') : this.message;
  }
}

/** A zod error as an OpError naming each field (unknown fields by their own name, as config errors do). */
export function invalidInput(err: z.ZodError): OpError {
  const issues: Issue[] = err.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ path: [...i.path, k].join('.'), message: 'unknown field' }))
      : [{ path: i.path.join('.'), message: i.message }],
  );
  return new OpError('invalid', issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '), issues);
}

/** Errors the feature modules throw, as OpErrors; anything else is left as it is (a bug: 500). */
export function asOpError(e: unknown): unknown {
  if (e instanceof OpError) return e;
  if (e instanceof DirectoryError) return new OpError(e.kind, e.message);
  if (e instanceof AccessListError) return new OpError('invalid', e.message);
  return e;
}
