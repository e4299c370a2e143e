// `rampart deny list|add|remove` and `rampart allow list|add|remove` (R2, H6):
// the allow and deny lists in the shared store (embedded state.sqlite under
// dataDir, or Redis when state.redis is set). A running server sees a change
// within access.refreshMs.

import type { Command } from 'commander';
import { openStore } from '../state/open-store.js';
import { AccessList, AccessListError, parseDuration, type AccessEntry, type AccessKind } from '../state/access-list.js';
import { isTooWide, MIN_PREFIX } from '../core/cidr.js';
import { UsageError, snapshotOf, type CliOutput } from './common.js';

async function withAccess<T>(cmd: Command, fn: (list: AccessList) => Promise<T>): Promise<T> {
  const store = await openStore(snapshotOf(cmd).snap);
  try {
    return await fn(new AccessList(store));
  } catch (e) {
    if (e instanceof AccessListError) throw new UsageError(e.message);
    throw e;
  } finally {
    await store.close();
  }
}

function describe(e: AccessEntry): string {
  const expires = e.expiresAt === undefined ? 'never' : new Date(e.expiresAt).toISOString();
  return `${e.network}  ${e.source}  expires ${expires}  ${e.reason || '-'}`;
}

function register(program: Command, out: CliOutput, kind: AccessKind, what: string): void {
  const cmd = program.command(kind).description(`manage the ${what} (R2${kind === 'deny' ? ', H6 automatic entries' : ''}); allow entries override deny entries`);
  cmd
    .command('list')
    .description(`list the ${what}: network, source (manual/auto), expiry, reason`)
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }, c: Command) =>
      withAccess(c, async (list) => {
        const entries = await list.list(kind);
        if (opts.json) out.printJson(entries.map((e) => ({ ...e, expiresAt: e.expiresAt === undefined ? null : new Date(e.expiresAt).toISOString(), createdAt: new Date(e.createdAt).toISOString() })));
        else entries.forEach((e) => out.print(describe(e)));
      }),
    );
  cmd
    .command('add <network>')
    .description('add an address or CIDR network (IPv4 or IPv6)')
    .option('--reason <text>', 'why (shown by list and in the log, never to the client)')
    .option('--expires <duration>', 'remove it automatically after e.g. 90s, 30m, 1h, 2d, 1w')
    .action((network: string, opts: { reason?: string; expires?: string }, c: Command) =>
      withAccess(c, async (list) => {
        const net = AccessList.network(network);
        if (isTooWide(net)) throw new UsageError(`${network} is too wide (IPv4 prefixes must be /${MIN_PREFIX[4]} or longer, IPv6 /${MIN_PREFIX[6]} or longer)`);
        const ttlMs = opts.expires === undefined ? undefined : parseDuration(opts.expires);
        const e = await list.add(kind, network, { reason: opts.reason, ttlMs, source: 'manual' });
        out.print(`added to the ${what}: ${describe(e)}`);
      }),
    );
  cmd
    .command('remove <network>')
    .description('remove an entry (the exact address or network that was added)')
    .action((network: string, _o, c: Command) =>
      withAccess(c, async (list) => {
        if (!(await list.remove(kind, network))) throw new UsageError(`${AccessList.network(network).text} is not on the ${what}`);
        out.print(`removed from the ${what}: ${AccessList.network(network).text}`);
      }),
    );
}

export function registerAccess(program: Command, out: CliOutput): void {
  register(program, out, 'deny', 'deny list');
  register(program, out, 'allow', 'allow list');
}
