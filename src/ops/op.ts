// One operation = one function with a zod input and output schema, called by both
// the admin API (src/admin/routes/) and the offline CLI (src/cli/), so a domain is
// added, a deny entry removed or a token created the same way from either side.
// callOp() validates the input (a bad one is an OpError 'invalid' naming the field)
// and turns the feature modules' errors into OpErrors.

import type { z } from 'zod';
import type { Snapshot } from '../config/load.js';
import type { Directory } from '../directory/store.js';
import type { AccessList } from '../state/access-list.js';
import type { RecentDecisions } from '../admin/recent-decisions.js';
import { asOpError, invalidInput } from './errors.js';

/** What an operation may use: the running server's parts, or the files the CLI opened. */
export interface OpsContext {
  directory: Directory;
  /** The R2 allow/deny lists (the CLI opens the shared store on first use). */
  access(): Promise<AccessList>;
  config(): Snapshot;
  /** Present only in a running server. */
  reload?: () => Snapshot;
  /** Whether a domain is local, for queue listings; default: the directory's answer (the CLI avoids creating a directory file). */
  localDomain?: (domain: string) => boolean;
  /** The running server's recent decisions (present with an admin listener). */
  recent?: RecentDecisions;
}

export interface Op<I extends z.ZodType, O extends z.ZodType> {
  /** "<resource>.<verb>", e.g. "domains.add"; logged with every write. */
  name: string;
  /** Changes state: refused to read-only tokens, logged. */
  write: boolean;
  input: I;
  output: O;
  run(ctx: OpsContext, input: z.output<I>): z.input<O> | Promise<z.input<O>>;
}

export function defineOp<I extends z.ZodType, O extends z.ZodType>(op: Op<I, O>): Op<I, O> {
  return op;
}

/** Validates `raw` against the operation's input schema and runs it. Throws OpError for the user's mistakes. */
export async function callOp<I extends z.ZodType, O extends z.ZodType>(op: Op<I, O>, ctx: OpsContext, raw: unknown): Promise<z.input<O>> {
  const parsed = op.input.safeParse(raw);
  if (!parsed.success) throw invalidInput(parsed.error);
  try {
    return await op.run(ctx, parsed.data);
  } catch (e) {
    throw asOpError(e);
  }
}
