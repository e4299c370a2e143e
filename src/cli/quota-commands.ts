// `rampart user quota set|unset` and `rampart user show` (Q5): quotas of a
// mailbox or a domain (the default of its mailboxes) and a mailbox's usage.
// Each runs one operation of src/ops/quotas.ts, as the admin API does.

import type { Command } from 'commander';
import { withOps, run, type CliOutput } from './common.js';
import { setQuota, showMailbox, unsetQuota } from '../ops/quotas.js';

/** "2.0 GiB (2147483648 octets)". */
function human(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = '';
  for (const unit of units) {
    if (v < 1024) break;
    v /= 1024;
    u = unit;
  }
  return u ? `${v.toFixed(1)} ${u} (${n} octets)` : `${n} octets`;
}

function limitText(q: { bytes?: number; messages?: number }): string {
  return [q.bytes !== undefined ? human(q.bytes) : undefined, q.messages !== undefined ? `${q.messages} messages` : undefined].filter(Boolean).join(', ');
}

export function registerQuota(user: Command, out: CliOutput): void {
  const quota = user.command('quota').description('mailbox quotas (Q5): per mailbox, or a domain default for its mailboxes');
  quota
    .command('set <subject> [size]')
    .description('set the quota of a mailbox or a domain: octets or 2G, 500M, 64K (powers of 1024); e.g. "user quota set alice@example.org 2G --mode return"')
    .option('--messages <n>', 'also limit the number of messages')
    .option('--mode <mode>', 'over quota: hold (keep queued, retry; RCPT 452 4.2.2) or return (DSN at once; RCPT 552 5.2.2)')
    .allowUnknownOption() // a negative size ("-5") is an argument to refuse by name, not an unknown option
    .action((subject: string, size: string | undefined, opts: { messages?: string; mode?: string }, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const messages = opts.messages === undefined ? undefined : /^\d+$/.test(opts.messages) ? Number(opts.messages) : opts.messages;
        const bad = cmd.args.slice(2);
        const r = await run(ctx, setQuota, { subject, bytes: bad.length ? bad.join(' ') : size, messages: messages as number | undefined, mode: opts.mode as 'hold' | 'return' | undefined });
        out.print(`${r.subject}: quota ${limitText(r) || 'unchanged'}${r.mode ? `, mode ${r.mode}` : ''}`);
      }),
    );
  quota
    .command('unset <subject>')
    .description('remove the quota a mailbox or a domain sets itself')
    .action((subject: string, _o, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        out.print(`${(await run(ctx, unsetQuota, { subject })).subject}: quota removed`);
      }),
    );
  user
    .command('show <address>')
    .description('show a mailbox with its quota and usage')
    .option('--json', 'machine-readable output')
    .action((address: string, opts: { json?: boolean }, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const m = await run(ctx, showMailbox, { address });
        if (opts.json) return out.printJson(m);
        out.print(`mailbox: ${m.address}${m.hasPassword ? '' : ' (no password)'}`);
        out.print(`usage: ${human(m.usage.bytes)}, ${m.usage.messages} messages`);
        if (!m.quota) return out.print('quota: none');
        const pct = m.quota.bytes ? ` (${((100 * m.usage.bytes) / m.quota.bytes).toFixed(1)}% used)` : '';
        out.print(`quota: ${limitText(m.quota)}${pct}, mode ${m.quota.mode}, set on the ${m.quota.from}`);
      }),
    );
}
