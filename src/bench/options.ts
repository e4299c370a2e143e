// Command-line options of `npm run bench` (node:util parseArgs, no dependency).

import { parseArgs } from 'node:util';

export interface BenchOptions {
  messages: number;
  concurrency: number;
  size: number;
  perConnection: number;
  pipelining: boolean;
  /** Idle-connection memory mode when set: open this many idle connections. */
  idle?: number;
  json: boolean;
  timeLimitS: number;
  /** Run the server child under `node --cpu-prof`, profiles written here. */
  cpuProfDir?: string;
  /** Keep the temporary data directory (for inspection). */
  keep: boolean;
  /** Relay mode: to a remote domain, delivered by Rampart to a sink in the bench process. */
  relay: boolean;
  /** Relay mode: connections Rampart may open to the sink (channel concurrency and maxConnections). */
  relayConnections: number;
  /** Relay mode: hold delivery while sending (memory by queue length), then release and time the drain. */
  queueFirst: boolean;
  /**
   * Issue 11's comparison: the client outside the LAN, signed messages, a loopback DNS server the
   * bench starts; 'on': SPF, DKIM, DMARC and two DNSBL zones checked, 'off': the same without them.
   */
  senderAuth?: 'on' | 'off';
  /** Run the admin listener and scrape /metrics every second during the load. */
  scrapeMetrics: boolean;
}

export const USAGE = `usage: npm run bench -- [options]
  --messages N         messages to send (default 5000)
  --concurrency C      concurrent connections (default 20)
  --size BYTES         message size in octets, headers included (default 5120)
  --per-connection M   messages per connection before QUIT (default 100; 1 = a new connection per message)
  --pipelining         MAIL, RCPT and DATA in one write (default)
  --no-pipelining      wait for each reply before the next command
  --idle K             instead of sending: open K idle connections (after EHLO) and report RSS per connection
  --json               print one JSON result line instead of the human-readable block
  --time-limit S       stop sending after S seconds (default 120)
  --cpu-prof DIR       run the server with node --cpu-prof, writing the profile into DIR
  --keep               keep the temporary data directory
  --relay              relay mode: the LAN client sends to a remote domain; Rampart delivers over SMTP to a
                       pipelining sink in the bench process (its relay host); reports end-to-end messages/s
                       (sink-received), time in queue and RSS
  --relay-connections N  relay mode: most connections Rampart opens to the sink (default 20)
  --queue-first        relay mode: hold delivery while sending (RSS by queue length), then release and time the drain
  --sender-auth on|off issue 11's comparison: the client outside the LAN, DKIM-signed messages, a loopback DNS
                       server the bench starts (also answering H1); on: SPF, DKIM, DMARC and two DNSBL zones
                       checked; off: the same run without them
  --scrape-metrics     run the server's admin listener and scrape /metrics every second during the load
                       (as a monitoring system would); reports scrape count, failures and latency
  -h, --help           this text`;

export class UsageError extends Error {}

function int(name: string, v: string | undefined, def: number, min: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name}: expected a whole number, got "${v}"`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name}: expected a number >= ${min}, got ${v}`);
  return n;
}

function onOff(v: string | undefined): 'on' | 'off' | undefined {
  if (v === undefined || v === 'on' || v === 'off') return v;
  throw new UsageError(`--sender-auth: expected on or off, got "${v}"`);
}

/** Parses argv (without node and script); returns undefined after printing --help. */
export function parseOptions(argv: string[]): BenchOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        messages: { type: 'string' },
        concurrency: { type: 'string' },
        size: { type: 'string' },
        'per-connection': { type: 'string' },
        pipelining: { type: 'boolean' },
        'no-pipelining': { type: 'boolean' },
        idle: { type: 'string' },
        json: { type: 'boolean' },
        'time-limit': { type: 'string' },
        'cpu-prof': { type: 'string' },
        keep: { type: 'boolean' },
        relay: { type: 'boolean' },
        'relay-connections': { type: 'string' },
        'queue-first': { type: 'boolean' },
        'sender-auth': { type: 'string' },
        'scrape-metrics': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(USAGE + '\n');
    return undefined;
  }
  if (v.pipelining && v['no-pipelining']) throw new UsageError('give --pipelining or --no-pipelining, not both');
  const opts: BenchOptions = {
    messages: int('messages', v.messages, 5000, 1),
    concurrency: int('concurrency', v.concurrency, 20, 1),
    size: int('size', v.size, 5120, 512),
    perConnection: int('per-connection', v['per-connection'], 100, 1),
    pipelining: !v['no-pipelining'],
    idle: v.idle === undefined ? undefined : int('idle', v.idle, 0, 1),
    json: v.json ?? false,
    timeLimitS: int('time-limit', v['time-limit'], 120, 1),
    cpuProfDir: v['cpu-prof'],
    keep: v.keep ?? false,
    relay: v.relay ?? false,
    relayConnections: int('relay-connections', v['relay-connections'], 20, 1),
    queueFirst: v['queue-first'] ?? false,
    senderAuth: onOff(v['sender-auth']),
    scrapeMetrics: v['scrape-metrics'] ?? false,
  };
  if ((opts.queueFirst || v['relay-connections'] !== undefined) && !opts.relay) throw new UsageError('--queue-first and --relay-connections go with --relay');
  if (opts.relay && opts.idle !== undefined) throw new UsageError('give --relay or --idle, not both');
  if (opts.concurrency > 10000) throw new UsageError('--concurrency: at most 10000');
  if (opts.idle !== undefined && opts.idle > 15000) throw new UsageError('--idle: at most 15000 (file descriptors)');
  if (opts.size > 200 * 1024 * 1024) throw new UsageError('--size: at most 200 MiB');
  if (opts.scrapeMetrics && (opts.idle !== undefined || opts.relay)) throw new UsageError('--scrape-metrics measures the load mode: not with --idle or --relay');
  if (opts.senderAuth !== undefined && opts.idle !== undefined) throw new UsageError('--sender-auth measures throughput: not with --idle');
  return opts;
}
