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

export function print(line: string): void {
  process.stdout.write(line + '\n');
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

