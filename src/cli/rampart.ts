#!/usr/bin/env node
// The `rampart` command: `serve`, `config check`, and management of the embedded
// directory (domains, users, aliases). User errors print one line and exit 2.

import { Command, CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, type Snapshot } from '../config/load.js';
import { DirectoryError } from '../directory/store.js';
import { UsageError, snapshotOf, withDirectory, print, printJson, type GlobalOpts } from './common.js';
import { registerLimits } from './limits-commands.js';
import { registerAccess } from './deny-commands.js';
import { networkWarnings } from '../policy/networks.js';
import { registerPostoffices } from './postoffice-commands.js';
import { registerCatchalls } from './catchall-commands.js';
import { registerQueue } from './queue-commands.js';
import { registerDkim } from './dkim-commands.js';
import { generatePassword } from '../directory/password.js';

async function readStdinPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const pw = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
  if (!pw) throw new UsageError('no password on standard input.');
  return pw;
}

/** The password from --password or --password-stdin, or undefined when neither was given. */
async function passwordOption(opts: { password?: string; passwordStdin?: boolean }): Promise<string | undefined> {
  if (opts.password !== undefined && opts.passwordStdin) throw new UsageError('give --password or --password-stdin, not both.');
  if (opts.passwordStdin) return readStdinPassword();
  if (opts.password !== undefined && opts.password === '') throw new UsageError('the password must not be empty.');
  return opts.password;
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function buildProgram(): Command {
  const program = new Command('rampart')
    .description('Rampart, an abuse-resistant SMTP server')
    .option('-c, --config <file>', 'configuration file (YAML); default: the embedded default configuration')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('serve')
    .description('start the SMTP server')
    .action(async (_opts, cmd: Command) => {
      sizeThreadPool();
      const { snap, configPath } = snapshotOf(cmd);
      const { startServer } = await import('../main.js');
      await startServer(snap, { configPath, signals: true, announce: true });
    });

  const config = program.command('config').description('configuration tools');
  config
    .command('check')
    .description('validate the configuration and print a summary')
    .action((_opts, cmd: Command) => {
      const { config: path } = cmd.optsWithGlobals<GlobalOpts>();
      let snap: Snapshot;
      try {
        snap = loadConfig(path);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        process.stderr.write(e.message + '\n');
        process.exitCode = 2;
        return;
      }
      print(`ok: ${snap.source}`);
      const listeners = snap.listeners.map((l) => `${l.name} (${l.kind}) ${l.addresses.map((a) => hostPort(a, l.port)).join(' ')}`);
      print(`listeners: ${listeners.join('; ')}`);
      for (const w of networkWarnings(snap)) print(`warning: ${w}`); // R1: proxy inside the LAN
    });

  const domain = program.command('domain').description('manage local domains');
  domain
    .command('add <name>')
    .description('add a local domain')
    .option('--postoffice <po>', 'put the domain into this postoffice (R5)')
    .action((name: string, opts: { postoffice?: string }, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        if (opts.postoffice !== undefined && !dir.postoffices.exists(opts.postoffice)) throw new UsageError(`postoffice ${opts.postoffice.toLowerCase()} does not exist; add it first.`);
        dir.addDomain(name);
        if (opts.postoffice !== undefined) dir.postoffices.assign(opts.postoffice, name);
        print(`added domain ${name.toLowerCase()}${opts.postoffice !== undefined ? ` in postoffice ${opts.postoffice.toLowerCase()}` : ''}`);
      }),
    );
  domain
    .command('list')
    .description('list local domains')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        const names = dir.listDomains();
        if (opts.json) printJson(names);
        else names.forEach(print);
      }),
    );
  domain
    .command('remove <name>')
    .description('remove a domain with its mailboxes and aliases')
    .action((name: string, _opts, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        dir.removeDomain(name);
        print(`removed domain ${name.toLowerCase()}`);
      }),
    );

  const user = program.command('user').description('manage mailboxes');
  user
    .command('add <address>')
    .description('add a mailbox; without a password option a random one is generated and printed once')
    .option('--password <pw>', 'password (visible in the process list; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .action(async (address: string, opts: { password?: string; passwordStdin?: boolean }, cmd: Command) => {
      const given = await passwordOption(opts);
      const password = given ?? generatePassword();
      await withDirectory(cmd, (dir) => dir.addMailbox(address, password));
      print(`added user ${address.toLowerCase()}`);
      if (given === undefined) print(`password: ${password}`);
    });
  user
    .command('list [domain]')
    .description('list mailboxes, optionally of one domain')
    .option('--json', 'machine-readable output')
    .action((domainName: string | undefined, opts: { json?: boolean }, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        const list = dir.listMailboxes(domainName);
        if (opts.json) printJson(list);
        else list.forEach((m) => print(m.hasPassword ? m.address : `${m.address} (no password)`));
      }),
    );
  user
    .command('remove <address>')
    .description('remove a mailbox')
    .action((address: string, _opts, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        dir.removeMailbox(address);
        print(`removed user ${address.toLowerCase()}`);
      }),
    );
  user
    .command('passwd <address>')
    .description("set a mailbox's password; without a password option a random one is generated and printed once")
    .option('--password <pw>', 'new password (visible in the process list; prefer --password-stdin)')
    .option('--password-stdin', 'read the new password from the first line of standard input')
    .action(async (address: string, opts: { password?: string; passwordStdin?: boolean }, cmd: Command) => {
      const given = await passwordOption(opts);
      const password = given ?? generatePassword();
      await withDirectory(cmd, (dir) => dir.setPassword(address, password));
      print(`password changed for ${address.toLowerCase()}`);
      if (given === undefined) print(`password: ${password}`);
    });

  const alias = program.command('alias').description('manage aliases');
  alias
    .command('add <address> <targets...>')
    .description('add an alias delivering to one or more addresses (local or remote)')
    .action((address: string, targets: string[], _opts, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        dir.addAlias(address, targets);
        print(`added alias ${address.toLowerCase()}`);
      }),
    );
  alias
    .command('list')
    .description('list aliases')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        const list = dir.listAliases();
        if (opts.json) printJson(list);
        else list.forEach((a) => print(`${a.address} -> ${a.targets.join(', ')}`));
      }),
    );
  alias
    .command('remove <address>')
    .description('remove an alias')
    .action((address: string, _opts, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        dir.removeAlias(address);
        print(`removed alias ${address.toLowerCase()}`);
      }),
    );

  registerLimits(program);
  registerAccess(program); // R2/H6 deny and allow lists (deny-commands.ts)
  registerPostoffices(program);
  registerCatchalls(program);
  registerQueue(program);
  registerDkim(program); // A8 DKIM signing keys (dkim-commands.ts)
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

/** Runs the CLI; returns the exit code instead of exiting, so it can be embedded. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander already printed it
    if (e instanceof DirectoryError || e instanceof ConfigError || e instanceof UsageError) {
      process.stderr.write(`rampart: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`rampart: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
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

if (isEntryPoint()) process.exitCode = await main(process.argv.slice(2));
