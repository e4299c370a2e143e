// `rampart limits set|unset|list`: per-sender and per-domain limits (S2, S3, H7, H8, H9).

import type { Command } from 'commander';
import { LIMIT_KEYS } from '../directory/sender-limits.js';
import { UsageError, withOps, run, runAll, type CliOutput } from './common.js';
import { listLimits, setLimits, unsetLimits } from '../ops/limits.js';

function parseAssignments(pairs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pairs) {
    const m = /^([A-Za-z]+)=(\d+)$/.exec(p);
    if (!m) throw new UsageError(`expected key=number, got "${p}" (keys: ${LIMIT_KEYS.join(', ')})`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

function line(subject: string, limits: Record<string, unknown>): string {
  return `${subject} ${Object.entries(limits).map(([k, v]) => `${k}=${v}`).join(' ')}`;
}

export function registerLimits(program: Command, out: CliOutput): void {
  const limits = program.command('limits').description('per-sender and per-domain limits (most specific wins: address, then domain, then config)');
  limits
    .command('set <subject> <assignments...>')
    .description(`set limits on an address or a domain, e.g. "limits set example.org maxMessageSize=10485760"; keys: ${LIMIT_KEYS.join(', ')}`)
    .action((subject: string, pairs: string[], _o, cmd: Command) => {
      const assignments = parseAssignments(pairs);
      return withOps(cmd, async (ctx) => {
        const r = await run(ctx, setLimits, { subject, limits: assignments });
        out.print(`${r.subject}: ${Object.entries(r.limits).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      });
    });
  limits
    .command('unset <subject> [keys...]')
    .description('remove some limits of an address or domain, or all of them')
    .action((subject: string, keys: string[], _o, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const r = await run(ctx, unsetLimits, { subject, keys });
        out.print(`${r.subject}: ${keys.length ? keys.join(', ') + ' removed' : 'all limits removed'}`);
      }),
    );
  limits
    .command('list')
    .description('list every subject with limits')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const list = await runAll(ctx, listLimits, {});
        if (opts.json) out.printJson(list);
        else list.forEach((l) => out.print(line(l.subject, l.limits)));
      }),
    );
}
