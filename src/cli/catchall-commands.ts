// `rampart catchall set|unset|list` (R7): per-domain catchalls. The global switch
// relay.disableAllCatchalls (config) turns every catchall off.

import type { Command } from 'commander';
import { withOps, run, runAll, type CliOutput } from './common.js';
import { listCatchalls, setCatchall, unsetCatchall } from '../ops/catchalls.js';

export function registerCatchalls(program: Command, out: CliOutput): void {
  const ca = program.command('catchall').description('manage per-domain catchalls: unknown local parts go to a target address (R7)');
  ca.command('set <domain> <target>')
    .description('send mail for unknown local parts of <domain> to <target> (a local mailbox or alias, or a remote address)')
    .action((domain: string, target: string, _o, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const c = await run(ctx, setCatchall, { domain, target });
        out.print(`catchall for ${c.domain} -> ${c.target}`);
        if (c.remote) {
          out.print('note: the target is remote; mail for it is forwarded as a new message through the smtp channel');
        }
        if (c.disabled) out.print('note: relay.disableAllCatchalls is true in the configuration: no catchall is in effect');
      }),
    );
  ca.command('unset <domain>')
    .description('remove the catchall of a domain')
    .action((domain: string, _o, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        out.print(`catchall for ${(await run(ctx, unsetCatchall, { domain })).domain} removed`);
      }),
    );
  ca.command('list')
    .description('list catchalls')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const list = await runAll(ctx, listCatchalls, {});
        if (opts.json) out.printJson(list);
        else list.forEach((c) => out.print(`${c.domain} -> ${c.target}`));
      }),
    );
}
