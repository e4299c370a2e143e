// `rampart check` (the policy simulator, like Exim -bh): one SMTP session from a
// given client through the real session and policy code against the configuration
// (src/simulator/simulate.ts). Nothing listens, nothing is queued, the shared store
// is read but not written (--record writes). --dns answers from a YAML file through
// an in-process DNS server on loopback instead of the configured resolvers.
// Exit status: 0 the message would be accepted, 1 refused, 2 a usage error.

import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { Directory } from '../directory/store.js';
import { openStore } from '../state/open-store.js';
import { AccessList } from '../state/access-list.js';
import { NodeDnsResolver } from '../dns/resolver.js';
import { loadTls } from '../listener/tls-context.js';
import { startDns, type TestDns, type Zone } from '../bench/loopback-dns.js';
import { OverlayStore } from '../simulator/overlay-store.js';
import { pickListener, simulate, type SimulationInput } from '../simulator/simulate.js';
import { reportText } from '../simulator/report.js';
import { UsageError, snapshotOf, type CliOutput } from './common.js';

interface CheckOpts {
  ip: string;
  helo: string;
  from: string;
  rcpt: string[];
  auth?: string;
  tls?: boolean;
  size?: string;
  message?: string;
  json?: boolean;
  record?: boolean;
  dns?: string;
  listener?: string;
}

/** --dns: a zone file in YAML: `records: {name: [{type, data}]}`, optional `servfail: [names]`, `silent: [names]`. */
export function readZone(path: string): Zone {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--dns ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  const z = doc as Partial<Zone> | null;
  if (!z || typeof z !== 'object' || typeof z.records !== 'object' || z.records === null) throw new UsageError(`--dns ${path}: expected "records:" mapping names to lists of {type, data}`);
  const records: Zone['records'] = {};
  for (const [name, list] of Object.entries(z.records)) {
    if (!Array.isArray(list)) throw new UsageError(`--dns ${path}: records.${name}: expected a list of {type, data}`);
    for (const [i, rr] of list.entries()) {
      if (!rr || !['A', 'AAAA', 'MX', 'PTR', 'TXT', 'CNAME'].includes(rr.type) || rr.data === undefined) throw new UsageError(`--dns ${path}: records.${name}.${i}: expected {type: A|AAAA|MX|PTR|TXT|CNAME, data}`);
    }
    records[name.toLowerCase().replace(/\.$/, '')] = list;
  }
  return { records, servfail: z.servfail ?? [], silent: z.silent ?? [] };
}

function input(opts: CheckOpts): SimulationInput {
  if (!isIP(opts.ip)) throw new UsageError(`--ip: "${opts.ip}" is not an IPv4 or IPv6 address.`);
  const size = opts.size === undefined ? undefined : Number(opts.size);
  if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0)) throw new UsageError(`--size: "${opts.size}" is not a number of octets.`);
  let message: Buffer | undefined;
  if (opts.message) {
    try {
      message = readFileSync(opts.message);
    } catch (e) {
      throw new UsageError(`--message: cannot read ${opts.message}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const from = opts.from === '<>' ? '' : opts.from.replace(/^<(.*)>$/, '$1');
  return { ip: opts.ip, helo: opts.helo, from, rcpts: opts.rcpt.map((r) => r.replace(/^<(.*)>$/, '$1')), auth: opts.auth, tls: opts.tls, size, message, listener: opts.listener };
}

export function registerCheck(program: Command, out: CliOutput): void {
  program
    .command('check')
    .description('policy simulator (like exim -bh): run one SMTP session from a client through the real session and policy code; prints every check\'s verdict and the replies the client would get. Nothing is queued; shared state is not written unless --record')
    .requiredOption('--ip <address>', 'the client\'s IP address')
    .requiredOption('--helo <name>', 'the EHLO/HELO name the client gives')
    .requiredOption('--from <address>', 'envelope sender ("<>" for the null sender)')
    .requiredOption('--rcpt <address>', 'a recipient (repeat for several)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--auth <user>', 'authenticate (AUTH PLAIN) as this mailbox; the simulator vouches for the password')
    .option('--tls', 'STARTTLS after EHLO')
    .option('--size <octets>', 'SIZE= on MAIL FROM, and the size of the generated message')
    .option('--message <file.eml>', 'send this message (default: a small generated one)')
    .option('--listener <name>', 'the listener to simulate (default: the first mx listener)')
    .option('--dns <file.yaml>', 'answer DNS queries from this file (records/servfail/silent) instead of the configured resolvers')
    .option('--record', 'write to the shared store as a real session would (greylist triplets, rate counters)')
    .option('--json', 'machine-readable output')
    .action(async (opts: CheckOpts, cmd: Command) => {
      const { snap } = snapshotOf(cmd);
      const sim = input(opts);
      try {
        pickListener(snap, opts.listener);
      } catch (e) {
        throw new UsageError(`--listener: ${(e as Error).message}`);
      }
      const zone = opts.dns ? readZone(opts.dns) : undefined;
      let dnsServer: TestDns | undefined;
      let directory: Directory | undefined;
      const store = await openStore(snap);
      let access: AccessList | undefined;
      try {
        dnsServer = zone ? await startDns(zone) : undefined;
        if (!existsSync(snap.directoryPath)) throw new UsageError(`no directory at ${snap.directoryPath}: the simulator runs against a configured server (rampart domain add ...)`);
        directory = Directory.open(snap.directoryPath);
        const shared = opts.record ? store : new OverlayStore(store);
        access = new AccessList(shared);
        await access.load();
        const dns = new NodeDnsResolver(dnsServer ? { ...snap.dns, servers: [dnsServer.server] } : snap.dns);
        const result = await simulate({ config: snap, directory, store: shared, dns, access, tls: await loadTls(snap) }, sim);
        if (opts.json) out.printJson({ simulated: true, recorded: !!opts.record, ...result });
        else {
          const mode = opts.record ? 'shared state WRITTEN (--record)' : 'no shared state written';
          out.io.stdout.write(reportText(result, `rampart check: client ${sim.ip} on listener ${result.listener}; ${snap.source}; nothing queued, ${mode}${dnsServer ? `; DNS from ${opts.dns}` : ''}`));
        }
        out.exitCode = result.accepted ? 0 : 1;
      } finally {
        access?.close();
        directory?.close();
        await store.close();
        await dnsServer?.stop();
      }
    });
}
