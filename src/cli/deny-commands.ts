// `rampart deny list|add|remove|unban` and `rampart allow list|add|remove` (R2, H6):
// the allow and deny lists in the shared store (embedded state.sqlite under
// dataDir, or Redis when state.redis is set). A running server sees a change
// within access.refreshMs.

import type { Command } from 'commander';
import type { z } from 'zod';
import type { AccessKind } from '../state/access-list.js';
import { withOps, run, runAll, type CliOutput } from './common.js';
import { addAccess, listAccess, removeAccess, unban, type AccessEntryOut } from '../ops/access.js';

type Entry = z.input<typeof AccessEntryOut>;

function describe(e: Entry): string {
  return `${e.network}  ${e.source}  expires ${e.expiresAt ?? 'never'}  ${e.reason || '-'}`;
}

/** The JSON the CLI has always printed (hit counts live in a running server's memory, not here). */
function json(e: Entry) {
  return { kind: e.kind, network: e.network, reason: e.reason, source: e.source, createdAt: e.createdAt, expiresAt: e.expiresAt };
}

function register(program: Command, out: CliOutput, kind: AccessKind, what: string): Command {
  const cmd = program.command(kind).description(`manage the ${what} (R2${kind === 'deny' ? ', H6 automatic entries' : ''}); allow entries override deny entries`);
  cmd
    .command('list')
    .description(`list the ${what}: network, source (manual/auto), expiry, reason`)
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }, c: Command) =>
      withOps(c, async (ctx) => {
        const entries = await runAll(ctx, listAccess, { kind });
        if (opts.json) out.printJson(entries.map(json));
        else entries.forEach((e) => out.print(describe(e)));
      }),
    );
  cmd
    .command('add <network>')
    .description('add an address or CIDR network (IPv4 or IPv6)')
    .option('--reason <text>', 'why (shown by list and in the log, never to the client)')
    .option('--expires <duration>', 'remove it automatically after e.g. 90s, 30m, 1h, 2d, 1w')
    .action((network: string, opts: { reason?: string; expires?: string }, c: Command) =>
      withOps(c, async (ctx) => {
        const e = await run(ctx, addAccess, { kind, network, reason: opts.reason, expires: opts.expires });
        out.print(`added to the ${what}: ${describe(e)}`);
      }),
    );
  cmd
    .command('remove <network>')
    .description('remove an entry (the exact address or network that was added)')
    .action((network: string, _o, c: Command) =>
      withOps(c, async (ctx) => {
        out.print(`removed from the ${what}: ${(await run(ctx, removeAccess, { kind, network })).network}`);
      }),
    );
  return cmd;
}

export function registerAccess(program: Command, out: CliOutput): void {
  const deny = register(program, out, 'deny', 'deny list');
  deny
    .command('unban <ip>')
    .description('let an address in again: remove every deny entry covering it (manual or automatic, any prefix)')
    .action((ip: string, _o, c: Command) =>
      withOps(c, async (ctx) => {
        const r = await run(ctx, unban, { ip });
        for (const e of r.removed) out.print(`removed from the deny list: ${describe(e)}`);
      }),
    );
  register(program, out, 'allow', 'allow list');
}
