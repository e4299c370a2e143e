// The one CLI test harness: runs `rampart` in-process through main(argv, io), with
// stdout and stderr captured and standard input given as a string, so a command
// costs milliseconds instead of a node start-up. Real processes stay for tests whose
// subject is the process itself (signals, start-up): test/helpers/process-server.ts.

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { main } from '../../src/cli/rampart.js';

export interface CliResult {
  /** main()'s exit code: 0 ok, 1 internal error, 2 user error. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Standard input (e.g. for --password-stdin); default empty. */
  input?: string;
  /** Configuration file for `-c`; null runs without `-c` (the embedded default). */
  config?: string | null;
}

/** Runs `rampart [-c config] args...` in-process; never throws on a non-zero exit. */
export async function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const configArgs = opts.config ? ['-c', opts.config] : [];
  const code = await main([...configArgs, ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from(opts.input ? [Buffer.from(opts.input)] : []),
  });
  return { code, stdout, stderr };
}

/** A CLI bound to one configuration file, with assertions for the common cases. */
export class Cli {
  constructor(readonly config: string) {}

  run(args: string[], opts: RunOptions = {}): Promise<CliResult> {
    return runCli(args, { config: this.config, ...opts });
  }

  /** Runs a command that must succeed (exit 0); returns its stdout. */
  async ok(args: string[], input?: string): Promise<string> {
    const r = await this.run(args, { input });
    assert.equal(r.code, 0, `rampart ${args.join(' ')} failed (exit ${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** Runs a command that must fail as a user error (exit 2) with stderr matching `want`. */
  async fails(args: string[], want: RegExp, input?: string): Promise<CliResult> {
    const r = await this.run(args, { input });
    assert.equal(r.code, 2, `rampart ${args.join(' ')} should exit 2: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, want, args.join(' '));
    return r;
  }
}
