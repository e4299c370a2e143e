// `rampart postoffice add|list|remove|assign|unassign` (R5, MailEnable postoffices):
// tenants that own domains; mailboxes belong to the postoffice of their domain.

import type { Command } from 'commander';
import { withOps, run, runAll, type CliOutput } from './common.js';
import { addPostoffice, assignDomain, listPostoffices, removePostoffice, unassignDomain } from '../ops/postoffices.js';

export function registerPostoffices(program: Command, out: CliOutput): void {
  const po = program.command('postoffice').description('manage postoffices: tenants owning domains (R5)');
  po.command('add <name>')
    .description('add a postoffice')
    .action((name: string, _o, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        out.print(`added postoffice ${(await run(ctx, addPostoffice, { name })).name}`);
      }),
    );
  po.command('list')
    .description('list postoffices and their domains')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const list = await runAll(ctx, listPostoffices, {});
        if (opts.json) out.printJson(list);
        else list.forEach((p) => out.print(p.domains.length ? `${p.name}: ${p.domains.join(', ')}` : `${p.name}: (no domains)`));
      }),
    );
  po.command('remove <name>')
    .description('remove a postoffice; refused while it owns domains unless --force, which releases them (domains and mailboxes stay)')
    .option('--force', 'release its domains instead of refusing')
    .action((name: string, opts: { force?: boolean }, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const r = await run(ctx, removePostoffice, { name, force: !!opts.force });
        out.print(`removed postoffice ${r.name}${r.released.length ? `; released ${r.released.join(', ')}` : ''}`);
      }),
    );
  po.command('assign <postoffice> <domain>')
    .description('put a local domain into a postoffice (a domain belongs to at most one)')
    .action((postoffice: string, domain: string, _o, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const r = await run(ctx, assignDomain, { name: postoffice, domain });
        out.print(`domain ${r.domain} is in postoffice ${r.name}`);
      }),
    );
  po.command('unassign <domain>')
    .description('take a domain out of its postoffice')
    .action((domain: string, _o, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const r = await run(ctx, unassignDomain, { domain });
        out.print(`domain ${r.domain} removed from postoffice ${r.name}`);
      }),
    );
}
