// `rampart limits set|unset|list`: per-sender and per-domain limits (S2, S3, H7, H8, H9).

import type { Command } from 'commander';
import { LIMIT_KEYS } from '../directory/sender-limits.js';
import { UsageError, withDirectory, type CliOutput } from './common.js';

function parseAssignments(pairs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pairs) {
    const m = /^([A-Za-z]+)=(\d+)$/.exec(p);
    if (!m) throw new UsageError(`expected key=number, got "${p}" (keys: ${LIMIT_KEYS.join(', ')})`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

export function registerLimits(program: Command, out: CliOutput): void {
  const limits = program.command('limits').description('per-sender and per-domain limits (most specific wins: address, then domain, then config)');
  limits
    .command('set <subject> <assignments...>')
    .description(`set limits on an address or a domain, e.g. "limits set example.org maxMessageSize=10485760"; keys: ${LIMIT_KEYS.join(', ')}`)
    .action((subject: string, pairs: string[], _o, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        const merged = dir.limits.set(subject, parseAssignments(pairs));
        out.print(`${subject.toLowerCase()}: ${Object.entries(merged).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      }),
    );
  limits
    .command('unset <subject> [keys...]')
    .description('remove some limits of an address or domain, or all of them')
    .action((subject: string, keys: string[], _o, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        dir.limits.unset(subject, keys);
        out.print(`${subject.toLowerCase()}: ${keys.length ? keys.join(', ') + ' removed' : 'all limits removed'}`);
      }),
    );
  limits
    .command('list')
    .description('list every subject with limits')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }, cmd: Command) =>
      withDirectory(cmd, (dir) => {
        const list = dir.limits.list();
        if (opts.json) out.printJson(list);
        else list.forEach((l) => out.print(`${l.subject} ${Object.entries(l.limits).map(([k, v]) => `${k}=${v}`).join(' ')}`));
      }),
    );
}
