// `rampart dkim generate|list|record|activate|remove` (A8): DKIM signing keys under
// dataDir/dkim (key-store.ts). generate prints the DNS TXT record to publish.

import type { Command } from 'commander';
import { DkimKeyStore, DkimKeyError, DKIM_ALGORITHMS, zoneFileLine, type DkimAlgorithm, type DkimKeyInfo } from '../dkim/key-store.js';
import { UsageError, snapshotOf, type CliOutput } from './common.js';

function withKeys<T>(cmd: Command, fn: (store: DkimKeyStore) => T): T {
  try {
    return fn(new DkimKeyStore(snapshotOf(cmd).snap.dataDir));
  } catch (e) {
    if (e instanceof DkimKeyError) throw new UsageError(e.message);
    throw e;
  }
}

function describe(k: DkimKeyInfo): string {
  return `${k.domain}  ${k.selector}  ${k.algorithm}  ${k.active ? 'active' : 'inactive'}  created ${k.created.toISOString()}`;
}

function printRecord(out: CliOutput, k: DkimKeyInfo): void {
  out.print(`publish this TXT record (${k.dnsName}):`);
  out.print(zoneFileLine(k));
}

export function registerDkim(program: Command, out: CliOutput): void {
  const dkim = program.command('dkim').description('DKIM signing keys (A8): one active key per sender domain signs authenticated and LAN mail');
  dkim
    .command('generate <domain>')
    .description('create a key for a domain and print the DNS record to publish; the first key of a domain is active at once')
    .option('--selector <s>', 'DNS selector (default rampart<YYYYMMDD>)')
    .option('--algorithm <a>', `key type: ${DKIM_ALGORITHMS.join(' or ')}`, 'rsa-2048')
    .action((domain: string, opts: { selector?: string; algorithm: string }, c: Command) =>
      withKeys(c, (store) => {
        if (!DKIM_ALGORITHMS.includes(opts.algorithm as DkimAlgorithm)) throw new UsageError(`--algorithm ${opts.algorithm} is not one of ${DKIM_ALGORITHMS.join(', ')}`);
        const k = store.generate(domain, { selector: opts.selector, algorithm: opts.algorithm as DkimAlgorithm });
        out.print(`generated ${describe(k)}`);
        printRecord(out, k);
        if (!k.active) out.print(`not signing with it yet: publish the record, wait for the DNS to answer it, then run: rampart dkim activate ${k.domain} ${k.selector}`);
      }),
    );
  dkim
    .command('list')
    .description('list keys: domain, selector, algorithm, active or not, creation time')
    .option('--json', 'machine-readable output (with the DNS records)')
    .action((opts: { json?: boolean }, c: Command) =>
      withKeys(c, (store) => {
        const keys = store.list();
        if (opts.json) out.printJson(keys.map((k) => ({ ...k, created: k.created.toISOString() })));
        else keys.forEach((k) => out.print(describe(k)));
      }),
    );
  dkim
    .command('record <domain> <selector>')
    .description('print the DNS TXT record of a key again')
    .action((domain: string, selector: string, _o, c: Command) => withKeys(c, (store) => printRecord(out, store.get(domain, selector))));
  dkim
    .command('activate <domain> <selector>')
    .description('sign the domain\'s mail with this key from now on (publish its record first)')
    .action((domain: string, selector: string, _o, c: Command) =>
      withKeys(c, (store) => out.print(`active: ${describe(store.activate(domain, selector))}`)),
    );
  dkim
    .command('remove <domain> <selector>')
    .description('delete a key (keep its DNS record published a few days for mail still in transit)')
    .action((domain: string, selector: string, _o, c: Command) =>
      withKeys(c, (store) => {
        const { wasActive } = store.remove(domain, selector);
        out.print(`removed ${DkimKeyStore.domain(domain)} ${DkimKeyStore.selector(selector)}${wasActive ? ' (it was active: mail from this domain is not signed until another key is activated)' : ''}`);
      }),
    );
}
