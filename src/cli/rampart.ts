#!/usr/bin/env node
// The `rampart` command: `serve`, `config check`, and management of the embedded
// directory (domains, users, aliases). User errors print one line and exit 2.

import { Command, CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfigWithInput } from '../config/load.js';
import { effectiveText, effectiveValues } from '../config/effective.js';
import { checkListText } from '../policy/registry.js';
import { DirectoryError } from '../directory/store.js';
import { CliOutput, UsageError, snapshotOf, withOps, run, runAll, type CliIo, type GlobalOpts } from './common.js';
import { addDomain, listDomains, removeDomain } from '../ops/domains.js';
import { registerQuota } from './quota-commands.js';
import { addMailbox, listMailboxes, removeMailbox, setMailboxPassword } from '../ops/mailboxes.js';
import { addAlias, listAliases, removeAlias } from '../ops/aliases.js';
import { registerAdmin } from './admin-commands.js';
import { registerLimits } from './limits-commands.js';
import { registerAccess } from './deny-commands.js';
import { networkWarnings } from '../policy/networks.js';
import { registerPostoffices } from './postoffice-commands.js';
import { registerCatchalls } from './catchall-commands.js';
import { registerQueue } from './queue-commands.js';
import { registerDecisions } from './decisions-commands.js';
import { reloadConfig } from '../ops/config.js';
import { dovecotDefaultAccepts } from '../core/mailbox-name.js';
import { registerDkim } from './dkim-commands.js';
import { registerCheck } from './check-command.js';

async function readStdinPassword(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const pw = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
  if (!pw) throw new UsageError('no password on standard input.');
  return pw;
}

/** The password from --password or --password-stdin, or undefined when neither was given. */
async function passwordOption(io: CliIo, opts: { password?: string; passwordStdin?: boolean }): Promise<string | undefined> {
  if (opts.password !== undefined && opts.passwordStdin) throw new UsageError('give --password or --password-stdin, not both.');
  if (opts.passwordStdin) return readStdinPassword(io);
  if (opts.password !== undefined && opts.password === '') throw new UsageError('the password must not be empty.');
  return opts.password;
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function buildProgram(out: CliOutput): Command {
  // Output and exit handling are set before any subcommand exists: subcommands copy them.
  const program = new Command('rampart')
    .description('Rampart, an abuse-resistant SMTP server')
    .option('-c, --config <file>', 'configuration file (YAML); default: the embedded default configuration')
    .option('--offline', 'work on the files under dataDir even when a server is running (default: through its admin API)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => out.io.stdout.write(s), writeErr: (s) => out.io.stderr.write(s) })
    .exitOverride();

  program
    .command('serve')
    .description('start the SMTP server')
    .action(async (_opts, cmd: Command) => {
      sizeThreadPool();
      const { snap, configPath } = snapshotOf(cmd);
      const { startServer } = await import('../main.js');
      const server = await startServer(snap, { configPath, signals: true, announce: out.io.stderr });
      await server.stopped; // SIGTERM/SIGINT drain it; then main() returns and the bin entry exits

    });

  const config = program.command('config').description('configuration tools');
  config
    .command('check')
    .description('validate the configuration and print a summary')
    .option('--checks', 'also list every check and guard, stage by stage in the order they run, with its feature and config keys')
    .option('--all', 'also print every key with its effective value and its source (file, embedded default, or default)')
    .option('--json', 'with --all: the keys as JSON [{key, value, source}]')
    .action((opts: { checks?: boolean; all?: boolean; json?: boolean }, cmd: Command) => {
      const { config: path } = cmd.optsWithGlobals<GlobalOpts>();
      let loaded: ReturnType<typeof loadConfigWithInput>;
      try {
        loaded = loadConfigWithInput(path);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        out.io.stderr.write(e.message + '\n');
        out.exitCode = 2;
        return;
      }
      const snap = loaded.snap;
      if (opts.json) {
        if (!opts.all) throw new UsageError('--json goes with --all.');
        return out.printJson(effectiveValues(snap, loaded.input, loaded.fromFile));
      }
      out.print(`ok: ${snap.source}`);
      const listeners = snap.listeners.map((l) => `${l.name} (${l.kind}) ${l.addresses.map((a) => hostPort(a, l.port)).join(' ')}`);
      out.print(`listeners: ${listeners.join('; ')}`);
      for (const w of networkWarnings(snap)) out.print(`warning: ${w}`); // R1: proxy inside the LAN
      if (snap.policy.warn.length) out.print(`warn mode: ${snap.policy.warn.join(', ')}`);
      if (opts.checks) out.io.stdout.write(checkListText());
      if (opts.all) out.io.stdout.write(effectiveText(effectiveValues(snap, loaded.input, loaded.fromFile)));
    });

  config
    .command('reload')
    .description('make the running server read its configuration file again (as SIGHUP does), through its admin API')
    .action((_opts, cmd: Command) =>
      withOps(cmd, async (ops) => {
        out.print(`reloaded ${(await run(ops, reloadConfig, {})).source}`);
      }),
    );

  const domain = program.command('domain').description('manage local domains');
  domain
    .command('add <name>')
    .description('add a local domain')
    .option('--postoffice <po>', 'put the domain into this postoffice (R5)')
    .action((name: string, opts: { postoffice?: string }, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const d = await run(ctx, addDomain, { name, postoffice: opts.postoffice });
        out.print(`added domain ${d.name}${d.postoffice !== null ? ` in postoffice ${d.postoffice}` : ''}`);
      }),
    );
  domain
    .command('list')
    .description('list local domains')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const names = (await runAll(ctx, listDomains, {})).map((d) => d.name);
        if (opts.json) out.printJson(names);
        else names.forEach((n) => out.print(n));
      }),
    );
  domain
    .command('remove <name>')
    .description('remove a domain with its mailboxes and aliases')
    .action((name: string, _opts, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        out.print(`removed domain ${(await run(ctx, removeDomain, { name })).name}`);
      }),
    );

  const user = program.command('user').description('manage mailboxes');
  user
    .command('add <address>')
    .description('add a mailbox; without a password option a random one is generated and printed once')
    .option('--password <pw>', 'password (visible in the process list; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .action(async (address: string, opts: { password?: string; passwordStdin?: boolean }, cmd: Command) => {
      const password = await passwordOption(out.io, opts);
      const r = await withOps(cmd, (ctx) => run(ctx, addMailbox, { address, password }));
      out.print(`added user ${r.address}`);
      if (r.password !== undefined) out.print(`password: ${r.password}`);
      if (!dovecotDefaultAccepts(r.address)) out.print("warning: Dovecot's default auth_username_chars (letters, digits, \".-_@\") refuses this name at login; widen it if Dovecot reads these mailboxes");
    });
  user
    .command('list [domain]')
    .description('list mailboxes, optionally of one domain')
    .option('--json', 'machine-readable output')
    .action((domainName: string | undefined, opts: { json?: boolean }, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const list = await runAll(ctx, listMailboxes, { domain: domainName });
        if (opts.json) out.printJson(list);
        else list.forEach((m) => out.print(m.hasPassword ? m.address : `${m.address} (no password)`));
      }),
    );
  user
    .command('remove <address>')
    .description('remove a mailbox')
    .action((address: string, _opts, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        out.print(`removed user ${(await run(ctx, removeMailbox, { address })).address}`);
      }),
    );
  user
    .command('passwd <address>')
    .description("set a mailbox's password; without a password option a random one is generated and printed once")
    .option('--password <pw>', 'new password (visible in the process list; prefer --password-stdin)')
    .option('--password-stdin', 'read the new password from the first line of standard input')
    .action(async (address: string, opts: { password?: string; passwordStdin?: boolean }, cmd: Command) => {
      const password = await passwordOption(out.io, opts);
      const r = await withOps(cmd, (ctx) => run(ctx, setMailboxPassword, { address, password }));
      out.print(`password changed for ${r.address}`);
      if (r.password !== undefined) out.print(`password: ${r.password}`);
    });

  registerQuota(user, out); // Q5 user quota set|unset, user show (quota-commands.ts)

  const alias = program.command('alias').description('manage aliases');
  alias
    .command('add <address> <targets...>')
    .description('add an alias delivering to one or more addresses (local or remote)')
    .action((address: string, targets: string[], _opts, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        out.print(`added alias ${(await run(ctx, addAlias, { address, targets })).address}`);
      }),
    );
  alias
    .command('list')
    .description('list aliases')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const list = await runAll(ctx, listAliases, {});
        if (opts.json) out.printJson(list);
        else list.forEach((a) => out.print(`${a.address} -> ${a.targets.join(', ')}`));
      }),
    );
  alias
    .command('remove <address>')
    .description('remove an alias')
    .action((address: string, _opts, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        out.print(`removed alias ${(await run(ctx, removeAlias, { address })).address}`);
      }),
    );

  registerLimits(program, out);
  registerAccess(program, out); // R2/H6 deny and allow lists (deny-commands.ts)
  registerPostoffices(program, out);
  registerCatchalls(program, out);
  registerQueue(program, out);
  registerAdmin(program, out);
  registerDecisions(program, out);
  registerDkim(program, out); // A8 DKIM signing keys (dkim-commands.ts)
  registerCheck(program, out); // the policy simulator (src/simulator/)
  return program;
}

/**
 * libuv runs file system calls on a small thread pool (4 by default). The spool and
 * Maildir fsync concurrently, and the disk flushes concurrent fsyncs together, so
 * `serve` gets a larger pool. It must be set before the pool's first use.
 */
function sizeThreadPool(): void {
  process.env.UV_THREADPOOL_SIZE ??= '16';
}

const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };

/**
 * Runs the CLI with `argv` (without "node rampart"); returns the exit code: 0 ok, 1
 * internal error, 2 user error (usage, configuration, directory). Never exits the
 * process, so tests run it in-process (test/helpers/cli.ts); the bin entry exits.
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const out = new CliOutput(io);
  try {
    await buildProgram(out).parseAsync(argv, { from: 'user' });
    return out.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander already printed it
    if (e instanceof DirectoryError || e instanceof ConfigError || e instanceof UsageError) {
      out.warn(e.message);
      return 2;
    }
    out.warn(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exit(await main(process.argv.slice(2)));
