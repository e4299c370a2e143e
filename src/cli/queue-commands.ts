// `rampart queue list|show|purge|hold|release` (R10 "recovering from an open relay",
// Q6 queue tools). Works on the spool under dataDir directly, also while the server
// runs: purge moves files to spool/purged/ (the scheduler forgets a vanished file),
// hold/release create/remove the flag file spool/HOLD (the scheduler checks it before
// each delivery start and every second).

import type { Command } from 'commander';
import { join } from 'node:path';
import type { Snapshot } from '../config/load.js';
import { compileFilter, FilterError, hasFilter, type QueueFilterOptions } from '../spool/queue-filter.js';
import { purgeQueue, scanQueue, showMessage, type QueueEntry } from '../spool/queue-admin.js';
import { clearHold, readHold, setHold } from '../spool/hold.js';
import { QUEUE_ID } from '../spool/queue-id.js';
import { UsageError, snapshotOf, type CliOutput } from './common.js';

interface FilterOpts extends QueueFilterOptions {
  json?: boolean;
}

function spoolRoot(snap: Snapshot): string {
  return join(snap.dataDir, 'spool');
}

function withFilterOptions(cmd: Command): Command {
  return cmd
    .option('--sender <addr|glob>', 'envelope sender, e.g. spam@x.example or "*@x.example"; "<>" is the null sender')
    .option('--rcpt-domain <domain|glob>', 'any recipient in this domain, e.g. gmail.example or "*.example"')
    .option('--client-ip <ip|cidr>', 'client address or block, e.g. 192.0.2.7 or 192.0.2.0/24 or 2001:db8::/32')
    .option('--auth-user <addr|glob>', 'submitted by this authenticated user (a compromised account)')
    .option('--since <time>', 'received at or after: ISO 8601 (2024-05-01T10:00Z) or a duration ago (30m, 2h, 1d)')
    .option('--before <time>', 'received before: same forms as --since')
    .option('--json', 'machine-readable output');
}

function compile(opts: QueueFilterOptions) {
  try {
    return compileFilter(opts);
  } catch (e) {
    if (e instanceof FilterError) throw new UsageError(e.message);
    throw e;
  }
}

/** The hold state as the CLI sees it: the flag file, or `delivery.hold` in the config file. */
function holdState(snap: Snapshot) {
  const flag = readHold(spoolRoot(snap));
  const config = snap.delivery.hold;
  return {
    held: flag !== undefined || config,
    flag: flag ? { since: flag.since ? new Date(flag.since).toISOString() : undefined, reason: flag.reason } : undefined,
    config,
  };
}

function holdLine(h: ReturnType<typeof holdState>): string {
  const parts: string[] = [];
  if (h.flag) parts.push(`by rampart queue hold${h.flag.since ? ` since ${h.flag.since}` : ''}${h.flag.reason ? ` (${h.flag.reason})` : ''}`);
  if (h.config) parts.push('by delivery.hold in the configuration');
  return parts.length ? `delivery: HELD ${parts.join(' and ')}` : 'delivery: running';
}

function sender(e: QueueEntry): string {
  return `<${e.mailFrom}>`;
}

function rcptSummary(rcpts: string[]): string {
  return rcpts.length <= 3 ? rcpts.join(', ') : `${rcpts.slice(0, 3).join(', ')} (+${rcpts.length - 3} more)`;
}

function entryLine(e: QueueEntry): string {
  const auth = e.authUser ? ` auth=${e.authUser}` : '';
  return `${e.id}  ${new Date(e.receivedAt).toISOString()}  ${e.size}  ${e.clientIp}${auth}  ${sender(e)} -> ${rcptSummary(e.rcpts)}`;
}

function warnUnreadable(out: CliOutput, list: Array<{ id: string; error: string }>): void {
  for (const u of list) out.warn(`warning: cannot read queue file ${u.id}: ${u.error}`);
}

export function registerQueue(program: Command, out: CliOutput): void {
  const queue = program.command('queue').description('inspect and clean the queue, hold and release delivery (R10: recovering from an open relay)');

  withFilterOptions(queue.command('list').description('list queued messages, oldest first, and whether delivery is held')).action(
    async (opts: FilterOpts, cmd: Command) => {
      const { snap } = snapshotOf(cmd);
      const scan = await scanQueue(spoolRoot(snap), compile(opts));
      const hold = holdState(snap);
      warnUnreadable(out, scan.unreadable);
      if (opts.json) return out.printJson({ ...hold, total: scan.total, count: scan.entries.length, messages: scan.entries, unreadable: scan.unreadable });
      out.print(holdLine(hold));
      scan.entries.forEach((e) => out.print(entryLine(e)));
      const filtered = hasFilter(opts) ? ` matched (of ${scan.total} queued)` : ' queued';
      out.print(`${scan.entries.length} message${scan.entries.length === 1 ? '' : 's'}${filtered}`);
    },
  );

  queue
    .command('show <id>')
    .description('show one message: envelope and header section (looks in queue/, failed/ and purged/)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      if (!QUEUE_ID.test(id.trim().toUpperCase())) throw new UsageError(`"${id}" is not a queue id.`);
      const { snap } = snapshotOf(cmd);
      const m = await showMessage(spoolRoot(snap), id);
      if (!m) throw new UsageError(`no message ${id.toUpperCase()} in the queue (nor in failed/ or purged/).`);
      if (opts.json) return out.printJson({ id: m.entry.id, state: m.state, size: m.entry.size, envelope: m.envelope, headers: m.headers });
      const env = m.envelope;
      out.print(`id: ${m.entry.id}`);
      out.print(`state: ${m.state}`);
      out.print(`received: ${new Date(env.receivedAt).toISOString()}`);
      out.print(`size: ${m.entry.size}`);
      out.print(`client: ${env.client.ip}${env.client.helo ? ` helo=${env.client.helo}` : ''} listener=${env.client.listener}${env.client.tls ? ` tls=${env.client.tls}` : ''}`);
      if (env.client.authUser) out.print(`auth user: ${env.client.authUser}`);
      out.print(`from: <${env.mailFrom}>`);
      for (const r of env.rcpts) out.print(`to: <${r.address}>${r.notify ? ` NOTIFY=${r.notify.join(',')}` : ''}`);
      out.print('');
      out.io.stdout.write(m.headers.replace(/\r\n/g, '\n'));
    });

  withFilterOptions(
    queue
      .command('purge')
      .description('remove matching messages from the queue (moved to spool/purged/); needs at least one filter')
      .option('--dry-run', 'only print what would be removed')
      .option('--delete', 'delete the files instead of moving them to spool/purged/'),
  ).action(async (opts: FilterOpts & { dryRun?: boolean; delete?: boolean }, cmd: Command) => {
    if (!hasFilter(opts)) throw new UsageError('purge needs at least one filter (--sender, --rcpt-domain, --client-ip, --auth-user, --since, --before).');
    const filter = compile(opts);
    const { snap } = snapshotOf(cmd);
    const r = await purgeQueue(spoolRoot(snap), filter, { dryRun: opts.dryRun, del: opts.delete });
    warnUnreadable(out, r.unreadable);
    if (opts.json) return out.printJson({ dryRun: !!opts.dryRun, count: r.purged.length, purged: r.purged, vanished: r.vanished, purgedDir: r.purgedDir ?? null });
    const verb = opts.dryRun ? 'would purge' : 'purged';
    for (const e of r.purged) out.print(`${verb} ${e.id} from ${sender(e)} to ${e.rcpts.length} recipient${e.rcpts.length === 1 ? '' : 's'} (client ${e.clientIp}${e.authUser ? `, auth ${e.authUser}` : ''})`);
    for (const id of r.vanished) out.print(`${id} was already gone (delivered meanwhile)`);
    const n = `${r.purged.length} message${r.purged.length === 1 ? '' : 's'}`;
    if (opts.dryRun) out.print(`${verb} ${n} (dry run: nothing removed)`);
    else out.print(`${verb} ${n}${r.purged.length ? (r.purgedDir ? `; files moved to ${r.purgedDir}` : '; files deleted') : ''}`);
  });

  queue
    .command('hold')
    .description('hold ALL outbound delivery now, without a restart (creates spool/HOLD; survives restarts)')
    .option('--reason <text>', 'note kept with the hold, shown by queue list')
    .action((opts: { reason?: string }, cmd: Command) => {
      const { snap } = snapshotOf(cmd);
      const root = spoolRoot(snap);
      const was = readHold(root);
      setHold(root, opts.reason);
      out.print(was ? 'delivery was already held; hold renewed' : 'delivery held: no new delivery starts (within 1 second on a running server); deliveries in progress finish');
    });

  queue
    .command('release')
    .description('release a hold set by "queue hold" (removes spool/HOLD); a running server resumes within 1 second')
    .action((_opts, cmd: Command) => {
      const { snap } = snapshotOf(cmd);
      const removed = clearHold(spoolRoot(snap));
      out.print(removed ? 'delivery released' : 'delivery was not held by "queue hold"');
      if (snap.delivery.hold) out.print('note: delivery.hold is true in the configuration: delivery stays held until it is false and the server reloads (SIGHUP)');
    });
}
