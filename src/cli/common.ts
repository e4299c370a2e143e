// Helpers shared by the CLI's command files.

import { existsSync, readFileSync } from 'node:fs';
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
import { ApiClient, ApiError } from './api-client.js';
import { readRuntime } from '../admin/runtime-file.js';

/** A usage problem found by the CLI itself (e.g. conflicting options). */
export class UsageError extends Error {}

export interface GlobalOpts {
  config?: string;
  /** Work on the files even when a server runs. */
  offline?: boolean;
}

/** Where the CLI's operations run: on the files (offline), or through a running server's admin API. */
export type CliOps = { kind: 'files'; ctx: OpsContext } | { kind: 'api'; client: ApiClient };

/**
 * The running server's admin API, when there is one: its runtime file in dataDir
 * (src/admin/runtime-file.ts) names the URL and the CLI's token file; RAMPART_TOKEN
 * overrides the token. Undefined with --offline, without a runtime file, or when
 * nothing answers there (a file left by a crash).
 */
export async function runningServer(snap: Snapshot, offline: boolean | undefined): Promise<ApiClient | undefined> {
  if (offline) return undefined;
  const info = readRuntime(snap.dataDir);
  if (!info) return undefined;
  let token = process.env.RAMPART_TOKEN?.trim();
  if (!token) {
    try {
      token = readFileSync(info.tokenFile, 'utf8').trim();
    } catch (e) {
      throw new UsageError(`a server is running (pid ${info.pid}, ${info.url}) but its CLI token ${info.tokenFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): run as the service user, set RAMPART_TOKEN to a read-write token, or use --offline.`);
    }
  }
  const client = new ApiClient(info.url, token);
  return (await client.alive()) ? client : undefined;
}

export function snapshotOf(cmd: Command): { snap: Snapshot; configPath?: string } {
  const { config } = cmd.optsWithGlobals<GlobalOpts>();
  return { snap: loadConfig(config), configPath: config };
}

/**
 * Runs `fn` with the operations (src/ops/, the ones the admin API runs): through the
 * running server's admin API when one runs (runningServer above), else on the
 * server's own files, the directory and the shared store, each opened on first use
 * and closed afterwards. `files`: always on the files (admin tokens: an API token can
 * never mint another). User errors become one line on stderr and exit status 2.
 */
export async function withOps<T>(cmd: Command, fn: (ops: CliOps) => T | Promise<T>, opts: { files?: boolean } = {}): Promise<T> {
  const { snap } = snapshotOf(cmd);
  const api = opts.files ? undefined : await runningServer(snap, cmd.optsWithGlobals<GlobalOpts>().offline);
  if (api) {
    try {
      return await fn({ kind: 'api', client: api });
    } catch (e) {
      if (e instanceof OpError || e instanceof ApiError) throw new UsageError(e instanceof OpError ? e.plain : e.message);
      throw e;
    }
  }
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
    localDomain: (d) => (dir !== undefined || existsSync(snap.directoryPath) ? ctx.directory.isLocalDomain(d) : false),
  };
  try {
    return await fn({ kind: 'files', ctx });
  } catch (e) {
    if (e instanceof OpError) throw new UsageError(e.plain);
    throw e;
  } finally {
    dir?.close();
    list?.close();
    await store?.close();
  }
}

/** Runs one operation (src/ops/): on the files, or through the admin API. */
export function run<I extends z.ZodType, O extends z.ZodType>(ops: CliOps, op: Op<I, O>, input: z.input<I>): Promise<z.input<O>> {
  return ops.kind === 'api' ? ops.client.call(op, input) : callOp(op, ops.ctx, input);
}

/** Every item of a paged list operation, fetched page by page. */
export function runAll<I extends z.ZodType, T>(ops: CliOps, op: Op<I, z.ZodType<Page<T>, Page<T>>>, input: Omit<z.input<I>, 'limit' | 'cursor'>): Promise<T[]> {
  return allItems((cursor) => run(ops, op, { ...input, limit: MAX_PAGE, cursor } as z.input<I>) as Promise<Page<T>>);
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
