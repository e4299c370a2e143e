// `rampart postoffice add|list|remove|assign|unassign` (R5, MailEnable postoffices):
// tenants that own domains; mailboxes belong to the postoffice of their domain.

import type { Command } from 'commander';
import { withDirectory, type CliOutput } from './common.js';

export function registerPostoffices(program: Command, out: CliOutput): void {
  const po = program.command('postoffice').description('manage postoffices: tenants owning domains (R5)');
  po.command('add <name>')
    .description('add a postoffice')
    .action((name: string, _o, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        out.print(`added postoffice ${dir.postoffices.add(name)}`);
      }),
    );
  po.command('list')
    .description('list postoffices and their domains')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        const list = dir.postoffices.list();
        if (opts.json) out.printJson(list);
        else list.forEach((p) => out.print(p.domains.length ? `${p.name}: ${p.domains.join(', ')}` : `${p.name}: (no domains)`));
      }),
    );
  po.command('remove <name>')
    .description('remove a postoffice; refused while it owns domains unless --force, which releases them (domains and mailboxes stay)')
    .option('--force', 'release its domains instead of refusing')
    .action((name: string, opts: { force?: boolean }, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        const released = dir.postoffices.remove(name, opts.force);
        out.print(`removed postoffice ${name.toLowerCase()}${released.length ? `; released ${released.join(', ')}` : ''}`);
      }),
    );
  po.command('assign <postoffice> <domain>')
    .description('put a local domain into a postoffice (a domain belongs to at most one)')
    .action((postoffice: string, domain: string, _o, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        dir.postoffices.assign(postoffice, domain);
        out.print(`domain ${domain.toLowerCase()} is in postoffice ${postoffice.toLowerCase()}`);
      }),
    );
  po.command('unassign <domain>')
    .description('take a domain out of its postoffice')
    .action((domain: string, _o, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        const from = dir.postoffices.unassign(domain);
        out.print(`domain ${domain.toLowerCase()} removed from postoffice ${from}`);
      }),
    );
}
