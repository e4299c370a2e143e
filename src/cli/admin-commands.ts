// `rampart admin token create|list|revoke`: bearer tokens for the admin API. The
// secret is printed once, alone on standard output (TOKEN=$(rampart admin token
// create --name ci)); only its hash is stored, in the directory file. Always on the
// files, never through the API: an API token can never mint another one.

import type { Command } from 'commander';
import { withOps, run, runAll, type CliOutput } from './common.js';
import { createToken, listTokens, revokeToken } from '../ops/tokens.js';

export function registerAdmin(program: Command, out: CliOutput): void {
  const admin = program.command('admin').description('the admin HTTP API (admin.addresses, admin.port)');
  const token = admin.command('token').description('manage the bearer tokens of the admin API');
  token
    .command('create')
    .description('create a token and print it once (only its hash is kept)')
    .requiredOption('--name <name>', 'a name for the token, logged with every write it makes')
    .option('--read-only', 'allow reads only (writes get 403)')
    .action((opts: { name: string; readOnly?: boolean }, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const t = await run(ctx, createToken, { name: opts.name, readOnly: !!opts.readOnly });
        out.io.stderr.write(`created token ${t.name} (${t.readOnly ? 'read-only' : 'read-write'}); it is shown only this once:\n`);
        out.print(t.token);
      }, { files: true }),
    );
  token
    .command('list')
    .description('list tokens: name, access, created, last used (never the secrets)')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        const list = await runAll(ctx, listTokens, {});
        if (opts.json) out.printJson(list);
        else list.forEach((t) => out.print(`${t.name}  ${t.readOnly ? 'read-only' : 'read-write'}  created ${t.createdAt}  last used ${t.lastUsedAt ?? 'never'}`));
      }, { files: true }),
    );
  token
    .command('revoke <name>')
    .description('revoke a token: requests with it get 401 at once')
    .action((name: string, _o, cmd: Command) =>
      withOps(cmd, async (ctx) => {
        out.print(`revoked token ${(await run(ctx, revokeToken, { name })).name}`);
      }, { files: true }),
    );
}
