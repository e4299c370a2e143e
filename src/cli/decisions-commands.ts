// `rampart decisions`: "why was this refused?" from the command line - the running
// server's recent decisions (the same operation as GET /api/v1/decisions), newest
// first, by client IP, sender, recipient, queue id, session, check or outcome.

import type { Command } from 'commander';
import type { z } from 'zod';
import { withOps, run, type CliOutput } from './common.js';
import { searchDecisions, type DecisionOut } from '../ops/decisions.js';

type Shown = z.input<typeof DecisionOut>;

function line(d: Shown): string {
  const reply = d.code !== undefined ? `${d.code}${d.enhanced ? ` ${d.enhanced}` : ''}` : '-';
  const who = [d.from !== undefined ? `from <${d.from}>` : '', d.rcpt !== undefined ? `to <${d.rcpt}>` : '', d.queueId ? `queue ${d.queueId}` : ''].filter(Boolean).join(' ');
  return `${d.time}  ${d.client}  ${d.check}  ${d.warn ? 'warn' : d.action} ${reply}${who ? `  ${who}` : ''}${d.reason ? `  (${d.reason})` : ''}  session ${d.session}`;
}

export function registerDecisions(program: Command, out: CliOutput): void {
  program
    .command('decisions')
    .description('why was this refused? the running server\'s recent decisions, newest first (needs a running server with an admin listener)')
    .option('--ip <ip|cidr>', 'client address or block')
    .option('--sender <addr|glob>', 'envelope sender, e.g. a@b.example or "*@b.example"; "<>" is the null sender')
    .option('--rcpt <addr|glob>', 'recipient')
    .option('--queue-id <id>', 'queue id of a message')
    .option('--session <id>', 'every decision of one connection')
    .option('--check <name|glob>', 'e.g. rcpt.relay or "mail.*"')
    .option('--action <action>', 'accept, tempfail, reject, drop, mark, warn, or refused')
    .option('--limit <n>', 'at most this many (default 50)', '50')
    .option('--json', 'machine-readable output')
    .action((opts: { ip?: string; sender?: string; rcpt?: string; queueId?: string; session?: string; check?: string; action?: string; limit: string; json?: boolean }, cmd: Command) =>
      withOps(cmd, async (ops) => {
        const { json, limit, ...filter } = opts;
        const page = await run(ops, searchDecisions, { ...filter, limit: Number(limit) } as z.input<typeof searchDecisions.input>);
        if (json) return out.printJson(page.items);
        page.items.forEach((d) => out.print(line(d)));
        if (!page.items.length) out.print('no matching decision in the recent ones (kept for an hour, the last 10000)');
      }),
    );
}
