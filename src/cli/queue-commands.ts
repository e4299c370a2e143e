// `rampart queue ...` (R10 "recovering from an open relay", Q6 queue tools): list,
// show, purge, hold/release (all delivery, or single messages), retry, delete,
// bounce and requeue. Every command runs one operation of src/ops/queue.ts: through
// the running server's admin API, or on the spool under dataDir when no server runs
// (or with --offline); per-message requests reach a running scheduler within a second.

import type { Command } from 'commander';
import type { z } from 'zod';
import { compileFilter, FilterError, hasFilter, type QueueFilterOptions } from '../spool/queue-filter.js';
import type { SpoolEnvelope } from '../core/submission.js';
import type { ListedMessage, RequestResult } from '../spool/queue-ops.js';
import { bounceQueued, deleteQueued, holdDelivery, holdQueued, listQueued, purgeQueued, releaseDelivery, releaseQueued, requeueQueued, retryQueued, showQueuedMessage } from '../ops/queue.js';
import { MAX_PAGE } from '../ops/page.js';
import { UsageError, run, withOps, type CliOps, type CliOutput } from './common.js';
import { holdLine, messageLines, plural, recipientState } from './queue-format.js';

interface FilterOpts extends QueueFilterOptions {
  json?: boolean;
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

/** The filter options, checked here so that an error names the command-line option (the operation checks them again). */
function filterFields(opts: QueueFilterOptions): QueueFilterOptions {
  try {
    compileFilter(opts);
  } catch (e) {
    if (e instanceof FilterError) throw new UsageError(e.message);
    throw e;
  }
  const { sender, rcptDomain, clientIp, authUser, since, before } = opts;
  return { sender, rcptDomain, clientIp, authUser, since, before };
}

/** Every matching message, page by page, with the hold state and totals of the first page. */
async function listAll(ops: CliOps, filters: QueueFilterOptions) {
  const messages: ListedMessage[] = [];
  let cursor: string | undefined;
  let first: z.input<typeof listQueued.output> | undefined;
  do {
    const page = await run(ops, listQueued, { ...filters, limit: MAX_PAGE, cursor });
    first ??= page;
    messages.push(...(page.items as ListedMessage[]));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return { ...first.hold, total: first.total, count: messages.length, messages, unreadable: first.unreadable };
}

function warnUnreadable(out: CliOutput, list: Array<{ id: string; error: string }>): void {
  for (const u of list) out.warn(`warning: cannot read queue file ${u.id}: ${u.error}`);
}

/** --wait <seconds>, checked here to name the option. */
function waitSeconds(opts: { wait?: string }): number {
  const w = opts.wait === undefined ? 3 : Number(opts.wait);
  if (!(w >= 0 && w <= 20)) throw new UsageError(`--wait: "${opts.wait}" is not a number of seconds from 0 to 20.`);
  return w;
}

const WAIT_HELP = 'seconds to wait for a running server to take the request (default 3)';

/** One line on what a running server did with a request, or that none answered. */
function requestLine(verb: string, r: RequestResult, wait: number): string {
  if (!r.request) return `nothing to ${verb}`;
  if (!r.answered) return `request left in spool/control/${r.request}.json: no running server answered within ${wait} s; it takes effect when the server starts`;
  const a = r.answer!;
  const done = a.done.length ? `${verb}: ${a.done.join(' ')}` : `nothing to ${verb}`;
  return a.unknown.length ? `${done} (not in the running queue: ${a.unknown.join(' ')})` : done;
}

/** The targets of retry and requeue: the ids given, or --all, exactly one of the two. */
function idsOrAll(ids: string[], opts: { all?: boolean }): { all: true } | { ids: string[] } {
  if (!opts.all && !ids.length) throw new UsageError('give queue ids or --all.');
  if (opts.all && ids.length) throw new UsageError('give queue ids or --all, not both.');
  return opts.all ? { all: true } : { ids };
}

export function registerQueue(program: Command, out: CliOutput): void {
  const queue = program.command('queue').description('inspect and manage the queue: list, show, hold/release, retry, bounce, delete, requeue, purge (R10, Q6)');

  withFilterOptions(queue.command('list').description('list queued messages, oldest first, with each recipient\'s state and the next attempt')).action(async (opts: FilterOpts, cmd: Command) => {
    const filters = filterFields(opts);
    const listing = await withOps(cmd, (ops) => listAll(ops, filters));
    warnUnreadable(out, listing.unreadable);
    if (opts.json) return out.printJson(listing);
    out.print(holdLine(listing));
    for (const m of listing.messages) messageLines(m).forEach((l) => out.print(l));
    const filtered = hasFilter(opts) ? ` matched (of ${listing.total} queued)` : ' queued';
    out.print(`${plural(listing.count, 'message')}${filtered}`);
  });

  queue
    .command('show <id>')
    .description('show one message: envelope, each recipient\'s channel and state, header section (looks in queue/, failed/ and purged/)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const m = await withOps(cmd, (ops) => run(ops, showQueuedMessage, { id }));
      if (opts.json) return out.printJson(m);
      const env = m.envelope as unknown as SpoolEnvelope;
      const listed = (m.queue ?? undefined) as ListedMessage | undefined;
      out.print(`id: ${m.id}`);
      out.print(`state: ${m.state}`);
      out.print(`received: ${new Date(env.receivedAt).toISOString()}`);
      out.print(`size: ${m.size}`);
      out.print(`client: ${env.client.ip}${env.client.helo ? ` helo=${env.client.helo}` : ''} listener=${env.client.listener}${env.client.tls ? ` tls=${env.client.tls}` : ''}`);
      if (env.client.authUser) out.print(`auth user: ${env.client.authUser}`);
      out.print(`from: <${env.mailFrom}>`);
      env.rcpts.forEach((r, i) => {
        const state = listed ? `  ${recipientState(listed.recipients[i])}` : '';
        out.print(`to: <${r.address}>${r.notify ? ` NOTIFY=${r.notify.join(',')}` : ''}${state}`);
      });
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
    const filters = filterFields(opts);
    const r = await withOps(cmd, (ops) => run(ops, purgeQueued, { ...filters, dryRun: opts.dryRun, delete: opts.delete }));
    warnUnreadable(out, r.unreadable);
    if (opts.json) return out.printJson({ dryRun: r.dryRun, count: r.purged.length, purged: r.purged, vanished: r.vanished, purgedDir: r.purgedDir });
    const verb = opts.dryRun ? 'would purge' : 'purged';
    for (const e of r.purged) out.print(`${verb} ${e.id} from <${e.mailFrom}> to ${plural(e.rcpts.length, 'recipient')} (client ${e.clientIp}${e.authUser ? `, auth ${e.authUser}` : ''})`);
    for (const id of r.vanished) out.print(`${id} was already gone (delivered meanwhile)`);
    const n = plural(r.purged.length, 'message');
    if (opts.dryRun) out.print(`${verb} ${n} (dry run: nothing removed)`);
    else out.print(`${verb} ${n}${r.purged.length ? (r.purgedDir ? `; files moved to ${r.purgedDir}` : '; files deleted') : ''}`);
  });

  queue
    .command('hold [ids...]')
    .description('without ids: hold ALL outbound delivery (creates spool/HOLD; survives restarts). With ids: hold those messages only')
    .option('--reason <text>', 'note kept with a global hold, shown by queue list')
    .option('--json', 'machine-readable output')
    .action(async (ids: string[], opts: { reason?: string; json?: boolean }, cmd: Command) => {
      if (ids.length) {
        const r = await withOps(cmd, (ops) => run(ops, holdQueued, { ids }));
        if (opts.json) return out.printJson(r);
        if (r.held.length) out.print(`held: ${r.held.join(' ')} (no new attempt starts, within 1 second on a running server)`);
        if (r.already.length) out.print(`already held: ${r.already.join(' ')}`);
        if (r.missing.length) throw new UsageError(`not in the queue: ${r.missing.join(' ')}`);
        return;
      }
      const r = await withOps(cmd, (ops) => run(ops, holdDelivery, { reason: opts.reason }));
      if (opts.json) return out.printJson({ held: true, wasHeld: r.wasHeld });
      out.print(r.wasHeld ? 'delivery was already held; hold renewed' : 'delivery held: no new delivery starts (within 1 second on a running server); deliveries in progress finish');
    });

  queue
    .command('release [ids...]')
    .description('without ids: release a hold set by "queue hold" (removes spool/HOLD). With ids: release those messages')
    .option('--json', 'machine-readable output')
    .action(async (ids: string[], opts: { json?: boolean }, cmd: Command) => {
      if (ids.length) {
        const r = await withOps(cmd, (ops) => run(ops, releaseQueued, { ids }));
        if (opts.json) return out.printJson(r);
        if (r.released.length) out.print(`released: ${r.released.join(' ')}`);
        if (r.notHeld.length) out.print(`not held: ${r.notHeld.join(' ')}`);
        return;
      }
      const r = await withOps(cmd, (ops) => run(ops, releaseDelivery, {}));
      if (opts.json) return out.printJson(r);
      out.print(r.released ? 'delivery released' : 'delivery was not held by "queue hold"');
      if (r.configHold) out.print('note: delivery.hold is true in the configuration: delivery stays held until it is false and the server reloads (SIGHUP)');
    });

  queue
    .command('retry [ids...]')
    .description('try these messages (or --all) now, whatever their retry time (like postqueue -f / -i)')
    .option('--all', 'every queued message')
    .option('--wait <seconds>', WAIT_HELP)
    .option('--json', 'machine-readable output')
    .action(async (ids: string[], opts: { all?: boolean; wait?: string; json?: boolean }, cmd: Command) => {
      const target = idsOrAll(ids, opts);
      const wait = waitSeconds(opts);
      const r = await withOps(cmd, (ops) => run(ops, retryQueued, { ...target, wait }));
      if (opts.json) return out.printJson(r);
      out.print(requestLine('retrying', r, wait));
      if (r.missing.length) throw new UsageError(`not in the queue: ${r.missing.join(' ')}`);
    });

  queue
    .command('bounce <ids...>')
    .description('return these messages to their senders now: unfinished recipients fail (5.0.0) and the sender gets a notice')
    .option('--wait <seconds>', WAIT_HELP)
    .option('--json', 'machine-readable output')
    .action(async (ids: string[], opts: { wait?: string; json?: boolean }, cmd: Command) => {
      const wait = waitSeconds(opts);
      const r = await withOps(cmd, (ops) => run(ops, bounceQueued, { ids, wait }));
      if (opts.json) return out.printJson(r);
      out.print(requestLine('returning to sender', r, wait));
      if (r.missing.length) throw new UsageError(`not in the queue: ${r.missing.join(' ')}`);
    });

  queue
    .command('delete <ids...>')
    .description('delete these messages from the queue, without any notice to anyone (like postsuper -d)')
    .option('--json', 'machine-readable output')
    .action(async (ids: string[], opts: { json?: boolean }, cmd: Command) => {
      const r = await withOps(cmd, (ops) => run(ops, deleteQueued, { ids }));
      if (opts.json) return out.printJson(r);
      if (r.deleted.length) out.print(`deleted: ${r.deleted.join(' ')}`);
      if (r.missing.length) throw new UsageError(`not in the queue: ${r.missing.join(' ')}`);
    });

  queue
    .command('requeue [ids...]')
    .description('put messages parked in spool/failed/ (unreadable or from older versions) back in the queue (or --all)')
    .option('--all', 'every message in spool/failed/')
    .option('--wait <seconds>', WAIT_HELP)
    .option('--json', 'machine-readable output')
    .action(async (ids: string[], opts: { all?: boolean; wait?: string; json?: boolean }, cmd: Command) => {
      const target = idsOrAll(ids, opts);
      const wait = waitSeconds(opts);
      const r = await withOps(cmd, (ops) => run(ops, requeueQueued, { ...target, wait }));
      if (opts.json) return out.printJson(r);
      out.print(r.requeued.length ? `requeued: ${r.requeued.join(' ')}` : 'nothing to requeue');
      if (r.result && !r.result.answered) out.print(`no running server answered within ${wait} s; the server takes them when it starts`);
      if (r.missing.length) throw new UsageError(`not in spool/failed/: ${r.missing.join(' ')}`);
    });
}
