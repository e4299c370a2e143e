// Helpers shared by the CLI's command files.

import type { Command } from 'commander';
import type { z } from 'zod';
import { loadConfig, type Snapshot } from '../config/load.js';
import { Directory } from '../directory/store.js';
import { openStore } from '../state/open-store.js';
import { AccessList } from '../state/access-list.js';
import type { SharedStore } from '../state/store.js';
import { callOp, type Op, type OpsContext } from '../ops/op.js';
import { OpError } from '../ops/errors.js';
import { allItems, MAX_PAGE, type Page } from '../ops/page.js';

/** A usage problem found by the CLI itself (e.g. conflicting options). */
export class UsageError extends Error {}

export interface GlobalOpts {
  config?: string;
}

export function snapshotOf(cmd: Command): { snap: Snapshot; configPath?: string } {
  const { config } = cmd.optsWithGlobals<GlobalOpts>();
  return { snap: loadConfig(config), configPath: config };
}

/**
 * Runs `fn` with an operations context over the server's own files: the directory
 * and the shared store, each opened on first use and closed afterwards. The
 * operations are the ones the admin API calls (src/ops/); their user errors become
 * one line on stderr and exit status 2.
 */
export async function withOps<T>(cmd: Command, fn: (ctx: OpsContext) => T | Promise<T>): Promise<T> {
  const { snap } = snapshotOf(cmd);
  let dir: Directory | undefined;
  let store: SharedStore | undefined;
  let list: AccessList | undefined;
  const ctx: OpsContext = {
    get directory() {
      return (dir ??= Directory.open(snap.directoryPath));
    },
    async access() {
      if (!list) {
        store = await openStore(snap);
        list = new AccessList(store);
      }
      return list;
    },
    config: () => snap,
  };
  try {
    return await fn(ctx);
  } catch (e) {
    if (e instanceof OpError) throw new UsageError(e.plain);
    throw e;
  } finally {
    dir?.close();
    list?.close();
    await store?.close();
  }
}

/** Runs one operation (src/ops/) in the CLI's context. */
export function run<I extends z.ZodType, O extends z.ZodType>(ctx: OpsContext, op: Op<I, O>, input: z.input<I>): Promise<z.input<O>> {
  return callOp(op, ctx, input);
}

/** Every item of a paged list operation, fetched page by page. */
export function runAll<I extends z.ZodType, T>(ctx: OpsContext, op: Op<I, z.ZodType<Page<T>, Page<T>>>, input: Omit<z.input<I>, 'limit' | 'cursor'>): Promise<T[]> {
  return allItems((cursor) => callOp(op, ctx, { ...input, limit: MAX_PAGE, cursor }) as Promise<Page<T>>);
}

/** Where a CLI run reads and writes: the process's streams, or a test's buffers. */
export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  stdin: AsyncIterable<Buffer | string>;
}

/** The output side of one CLI run, handed to every command file; `exitCode` is what main() returns. */
export class CliOutput {
  exitCode = 0;

  constructor(readonly io: CliIo) {}

  print(line: string): void {
    this.io.stdout.write(line + '\n');
  }

  printJson(value: unknown): void {
    this.print(JSON.stringify(value, null, 2));
  }

  /** A line on stderr, prefixed "rampart: ". */
  warn(line: string): void {
    this.io.stderr.write(`rampart: ${line}\n`);
  }
}
