// Q3 channels (Sun "channels", Postfix master.cf transports) and routes (Postfix
// transport map): named delivery lanes, each with its own transport, relay host,
// concurrency and retry schedule. Two exist without configuration: `local`
// (Maildir, for our own domains) and `smtp` (MX delivery); both can be overridden,
// e.g. `channels.local: { transport: lmtp, relayHost: "unix:/run/dovecot/lmtp" }`.

import { z } from 'zod';
import { isIP } from 'node:net';

const positiveInt = z.number().int().positive();
const ms = z.number().int().min(1);

export const channelTransports = ['smtp', 'lmtp', 'maildir', 'discard'] as const;
export type ChannelTransport = (typeof channelTransports)[number];
export const BUILTIN_CHANNELS = ['local', 'smtp'] as const;

const channelName = /^[a-z0-9_-]+$/i;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Where a channel sends its mail instead of the recipient domain's MX hosts. */
export type RelayHost =
  /** `host` (MX lookup of host, Postfix relayhost=host), `[host]` (no MX lookup), with an optional `:port`. */
  | { kind: 'inet'; host: string; port?: number; mx: boolean }
  /** `unix:/path` (LMTP to a local socket, e.g. Dovecot's). */
  | { kind: 'unix'; path: string };

function isHostName(s: string): boolean {
  return s.length <= 253 && s.split('.').every((l) => HOST_LABEL.test(l));
}

/** Parses Postfix relayhost syntax: host, host:port, [host], [host]:port, [ipv6], unix:/path. Returns the problem as a string. */
export function parseRelayHost(text: string): RelayHost | string {
  const s = text.trim();
  if (s.startsWith('unix:')) {
    const path = s.slice(5);
    return path.startsWith('/') ? { kind: 'unix', path } : 'expected unix:/absolute/path';
  }
  let host: string;
  let rest: string;
  let mx = true;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return 'expected "]" after "[host"';
    host = s.slice(1, close);
    rest = s.slice(close + 1);
    mx = false;
    if (!isIP(host) && !isHostName(host)) return `"${host}" is not a host name or IP address`;
  } else {
    const colon = s.lastIndexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    rest = colon < 0 ? '' : s.slice(colon);
    if (isIP(host)) mx = false; // an address has no MX records
    else if (!isHostName(host)) return `"${host}" is not a host name (IPv6 addresses go in brackets: [2001:db8::1]:25)`;
  }
  if (rest === '') return { kind: 'inet', host: host.toLowerCase(), mx };
  const m = /^:(\d{1,5})$/.exec(rest);
  const port = m ? Number(m[1]) : NaN;
  if (!(port >= 1 && port <= 65535)) return `"${rest}" is not ":port" with a port 1..65535`;
  return { kind: 'inet', host: host.toLowerCase(), port, mx };
}

const ChannelSchema = z
  .object({
    transport: z.enum(channelTransports).optional().describe('Q3: smtp (MX delivery or relayHost), lmtp (RFC 2033, relayHost required), maildir (local mailboxes), discard (accept and drop, logged). Default: maildir for local, smtp otherwise.'),
    relayHost: z.string().optional().describe('Q2/Q3 (Postfix relayhost): send everything on this channel to this host instead of the MX hosts: "host" (its MX records), "[host]" (no MX lookup), "[host]:port", "[2001:db8::1]:25", or for lmtp "unix:/path/to/socket".'),
    port: z.number().int().min(1).max(65535).optional().describe('TCP port of the destination when relayHost names none. Default 25 for smtp, 24 for lmtp. It applies to MX hosts too, which is how the tests send MX traffic to a sink on a high port; leave it unset in production.'),
    auth: z
      .object({
        user: z.string().min(1).describe('SMTP AUTH user for the relay host.'),
        passwordFile: z.string().min(1).describe('File holding the password (first line); keep it readable by the server only.'),
      })
      .strict()
      .optional()
      .describe('Q3: authenticate to the relay host (smarthost) with AUTH PLAIN or LOGIN, only over TLS.'),
    tls: z.enum(['may', 'encrypt', 'none']).optional().describe('Q2: may (STARTTLS when offered, the default), encrypt (refuse to deliver without TLS: temporary failure 4.7.5), none (never STARTTLS).'),
    concurrency: positiveInt.max(1000).optional().describe('Q3: connections at once to one destination (host or domain). Default 20.'),
    maxConnections: positiveInt.max(10000).optional().describe('Q3: connections at once over the whole channel. Default 100.'),
    retryMs: z.array(ms).min(1).optional().describe('Q3: waits between attempts after a temporary failure; the last repeats. Default: delivery.retryMs.'),
    giveUpMs: ms.optional().describe('Q2/Q3: age after which a temporarily failing recipient is returned to the sender with a DSN. Default: delivery.giveUpMs.'),
    delayWarningMs: ms.optional().describe('Q2 (RFC 3464 delay DSN): age after which a sender who asked for NOTIFY=DELAY gets one delay warning. Default: delivery.delayWarningMs.'),
    blockLimit: positiveInt.optional().describe('S3 (Sun blocklimit): largest message queued to this channel, in blocks of limits.blockSize (our Received header included). Over it (and not sent to an alternate): refused at end of data with 552 5.3.4.'),
    lineLimit: positiveInt.optional().describe('S3 (Sun linelimit): most lines in a message queued to this channel. Over it (and not sent to an alternate): refused at end of data with 552 5.3.4.'),
    recipientLimit: positiveInt.optional().describe('S3 (Sun recipientlimit): most recipients of one message on this channel. Past it (and not sent to an alternate): 452 4.5.3 at RCPT, so the client sends the rest in another transaction.'),
    alternateChannel: z.string().optional().describe('Q4 (Sun alternatechannel): channel that takes a message over any alternate* limit of this channel instead of this one (its own concurrency, retry schedule and relay host). One hop: the alternate\'s own alternate is not followed.'),
    alternateBlockLimit: positiveInt.optional().describe('Q4 (Sun alternateblocklimit): a message over this many blocks (limits.blockSize) goes to alternateChannel.'),
    alternateLineLimit: positiveInt.optional().describe('Q4 (Sun alternatelinelimit): a message over this many lines goes to alternateChannel.'),
    alternateRecipientLimit: positiveInt.optional().describe('Q4 (Sun alternaterecipientlimit): a message with more recipients than this on this channel goes to alternateChannel.'),
  })
  .strict();

/** Q3: channels by name; `local` and `smtp` exist even when absent here. */
export const ChannelsSchema = z
  .record(z.string(), ChannelSchema) // names are checked in refineChannels (a record key error would not say why)
  .default({})
  .describe('Q3 delivery channels by name. local (Maildir for our domains) and smtp (MX delivery) always exist; setting them here overrides their defaults.');

/** Q3: recipient domain pattern -> channel name. */
export const RoutesSchema = z
  .record(z.string(), z.string())
  .default({})
  .describe('Q3 (Postfix transport map): recipient domain -> channel. "example.org" matches that domain, ".example.org" its subdomains, "*" every remote domain. The most specific wins; a local domain without an exact or subdomain route goes to local, other domains to "*" or else smtp.');

export type ChannelConfig = z.output<typeof ChannelSchema>;

/** A channel with every setting resolved (in the snapshot as `channels`). */
export interface Channel {
  name: string;
  transport: ChannelTransport;
  relayHost?: RelayHost;
  port: number;
  auth?: { user: string; passwordFile: string };
  tls: 'may' | 'encrypt' | 'none';
  concurrency: number;
  maxConnections: number;
  retryMs: number[];
  giveUpMs: number;
  delayWarningMs: number;
  blockLimit?: number;
  lineLimit?: number;
  recipientLimit?: number;
  alternateChannel?: string;
  alternateBlockLimit?: number;
  alternateLineLimit?: number;
  alternateRecipientLimit?: number;
}

export interface ChannelDefaults {
  retryMs: number[];
  giveUpMs: number;
  delayWarningMs: number;
}

/** The channels of a configuration, built-ins included, every default filled in. */
export function resolveChannels(channels: Record<string, ChannelConfig>, defaults: ChannelDefaults): Record<string, Channel> {
  const out: Record<string, Channel> = {};
  const names = new Set<string>([...BUILTIN_CHANNELS, ...Object.keys(channels)]);
  for (const name of names) {
    const c = channels[name] ?? {};
    const transport = c.transport ?? (name === 'local' ? 'maildir' : 'smtp');
    const relay = c.relayHost === undefined ? undefined : parseRelayHost(c.relayHost);
    out[name] = {
      name,
      transport,
      relayHost: typeof relay === 'string' ? undefined : relay, // validation refused strings already
      port: c.port ?? (transport === 'lmtp' ? 24 : 25),
      auth: c.auth,
      tls: c.tls ?? 'may',
      concurrency: c.concurrency ?? 20,
      maxConnections: c.maxConnections ?? 100,
      retryMs: c.retryMs ?? defaults.retryMs,
      giveUpMs: c.giveUpMs ?? defaults.giveUpMs,
      delayWarningMs: c.delayWarningMs ?? defaults.delayWarningMs,
      blockLimit: c.blockLimit,
      lineLimit: c.lineLimit,
      recipientLimit: c.recipientLimit,
      alternateChannel: c.alternateChannel,
      alternateBlockLimit: c.alternateBlockLimit,
      alternateLineLimit: c.alternateLineLimit,
      alternateRecipientLimit: c.alternateRecipientLimit,
    };
  }
  return out;
}

const ROUTE_PATTERN = /^(\*|\.?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)$/;

/** Cross-key checks: channel names, relay host syntax per transport, routes naming channels that exist. */
export function refineChannels(cfg: { channels: Record<string, ChannelConfig>; routes: Record<string, string> }, ctx: z.RefinementCtx): void {
  for (const [name, c] of Object.entries(cfg.channels)) {
    if (!channelName.test(name)) {
      ctx.addIssue({ code: 'custom', path: ['channels', name], message: 'expected a channel name of letters, digits, "-" or "_"' });
      continue;
    }
    const transport = c.transport ?? (name === 'local' ? 'maildir' : 'smtp');
    const relay = c.relayHost === undefined ? undefined : parseRelayHost(c.relayHost);
    if (typeof relay === 'string') ctx.addIssue({ code: 'custom', path: ['channels', name, 'relayHost'], message: relay });
    if (transport === 'lmtp' && c.relayHost === undefined) ctx.addIssue({ code: 'custom', path: ['channels', name, 'relayHost'], message: 'an lmtp channel needs relayHost ("[host]:port" or "unix:/path")' });
    if (transport === 'smtp' && typeof relay === 'object' && relay.kind === 'unix') ctx.addIssue({ code: 'custom', path: ['channels', name, 'relayHost'], message: 'unix sockets are for lmtp channels; an smtp channel needs a host' });
    if ((transport === 'maildir' || transport === 'discard') && c.relayHost !== undefined) ctx.addIssue({ code: 'custom', path: ['channels', name, 'relayHost'], message: `a ${transport} channel sends nowhere; remove relayHost` });
    if (c.auth && transport !== 'smtp' && transport !== 'lmtp') ctx.addIssue({ code: 'custom', path: ['channels', name, 'auth'], message: `a ${transport} channel does not authenticate` });
  }
  const known = new Set<string>([...BUILTIN_CHANNELS, ...Object.keys(cfg.channels)]);
  for (const [name, c] of Object.entries(cfg.channels)) {
    const path = ['channels', name, 'alternateChannel'];
    if (c.alternateChannel !== undefined) {
      if (c.alternateChannel === name) ctx.addIssue({ code: 'custom', path, message: 'a channel cannot be its own alternate' });
      else if (!known.has(c.alternateChannel)) ctx.addIssue({ code: 'custom', path, message: `unknown channel "${c.alternateChannel}" (channels: ${[...known].sort().join(', ')})` });
    } else {
      for (const k of ['alternateBlockLimit', 'alternateLineLimit', 'alternateRecipientLimit'] as const) {
        if (c[k] !== undefined) ctx.addIssue({ code: 'custom', path: ['channels', name, k], message: 'has no effect without alternateChannel' });
      }
    }
  }
  for (const [pattern, channel] of Object.entries(cfg.routes)) {
    if (!ROUTE_PATTERN.test(pattern)) ctx.addIssue({ code: 'custom', path: ['routes', pattern], message: 'expected "example.org", ".example.org" or "*"' });
    if (!known.has(channel)) ctx.addIssue({ code: 'custom', path: ['routes', pattern], message: `unknown channel "${channel}" (channels: ${[...known].sort().join(', ')})` });
  }
}
