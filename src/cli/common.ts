// Helpers shared by the CLI's command files.

import type { Command } from 'commander';
import { loadConfig, type Snapshot } from '../config/load.js';
import { Directory } from '../directory/store.js';

/** A usage problem found by the CLI itself (e.g. conflicting options). */
export class UsageError extends Error {}

export interface GlobalOpts {
  config?: string;
}

export function snapshotOf(cmd: Command): { snap: Snapshot; configPath?: string } {
  const { config } = cmd.optsWithGlobals<GlobalOpts>();
  return { snap: loadConfig(config), configPath: config };
}

/** Runs `fn` with the embedded directory open, closing it afterwards. */
export async function withDirectory<T>(cmd: Command, fn: (dir: Directory) => T | Promise<T>): Promise<T> {
  const dir = Directory.open(snapshotOf(cmd).snap.directoryPath);
  try {
    return await fn(dir);
  } finally {
    dir.close();
  }
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

