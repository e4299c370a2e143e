// The one configuration schema. Every key has a safe default and a doc line;
// `rampart config check` and start-up both validate through this file, and
// errors name the key (e.g. "listeners.0.port: expected a port 1..65535").

import { z } from 'zod';
import { isIP } from 'node:net';
import { listenerSizeFields, limitsSizeFields, refineSizeLimits } from './size-limits-schema.js';
import { ChannelsSchema, RoutesSchema, refineChannels } from './channels-schema.js';
import { listenerRelayFields, relayFields, AccessSchema, AuthSchema, refineRelayAccess } from './relay-access-schema.js';
import { listenerCleanupFields, limitsCleanupFields } from './cleanup-schema.js';
import { AdminSchema, refineAdmin } from './admin-schema.js';
import { DeliveryTimeoutsSchema, ConnectionCacheSchema } from './delivery-network-schema.js';
import { senderAuthFields, refineSenderAuth } from './sender-auth-schema.js';
import { dnsCacheSchema } from './dns-cache-schema.js';

const port = z.number().int().min(0, 'expected a port 0..65535 (0 picks a free port)').max(65535, 'expected a port 0..65535 (0 picks a free port)');
const positiveInt = z.number().int().positive();
const ms = z.number().int().min(1).describe('milliseconds');

const ipAddress = z.string().refine((s) => isIP(s) !== 0, 'expected an IPv4 or IPv6 address');

export const listenerKinds = ['mx', 'submission', 'submissions'] as const;

export const ListenerSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9_-]+$/i, 'expected letters, digits, "-" or "_"').describe('Name used in logs and metrics.'),
    kind: z.enum(listenerKinds).describe('mx: inbound from the Internet; submission: STARTTLS + AUTH required (587); submissions: implicit TLS + AUTH required (465).'),
    addresses: z.array(ipAddress).min(1).describe('IP addresses to bind (IPv4 and/or IPv6).'),
    port: port.describe('TCP port: 25 for mx, 587 for submission, 465 for submissions in production (below 1024 needs CAP_NET_BIND_SERVICE, see docs/OPERATIONS.md); 0 picks a free port (tests).'),
    requireAuth: z.boolean().optional().describe('Refuse MAIL before AUTH. Default: true for submission and submissions, false for mx.'),
    allowInsecureAuth: z.boolean().default(false).describe('Offer AUTH without TLS. Accepted only when every address is loopback.'),
    pregreetWaitMs: z.number().int().min(0).max(30000).optional().describe('P4 early-talker test: wait this long before the greeting; a client that talks first is dropped (554 5.5.1). Skipped for relay.lanNetworks and allow-listed clients, and for an IP that passed within limits.pregreetPassTtlMs. Default 300 on mx, 0 otherwise.'),
    ...listenerSizeFields, // S1/S3/S4 per listener (size-limits-schema.ts)
    ...listenerRelayFields, // R9 hideClientIp, R1 proxyProtocol (relay-access-schema.ts)
    ...listenerCleanupFields, // S6 headerLimit, S7 longLines (cleanup-schema.ts)
  })
  .strict();

export const ConfigSchema = z
  .object({
    hostname: z.string().min(1).optional().describe('Name used in the greeting, EHLO reply and Received headers. Default: the machine host name.'),
    postmasterDomain: z
      .string()
      .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/, 'expected a domain name')
      .optional()
      .describe('RFC 5321 4.5.1: mail to the bare <postmaster> goes to postmaster@<this domain>, which should be a mailbox or alias. Default: hostname.'),
    dataDir: z.string().min(1).default('./var').describe('Directory holding the spool, mailboxes, directory store and generated TLS key.'),
    listeners: z.array(ListenerSchema).min(1).describe('SMTP listeners (P2).'),
    tls: z
      .object({
        cert: z.string().optional().describe('PEM certificate chain file. Without cert/key a self-signed pair is generated under dataDir/tls on first start.'),
        key: z.string().optional().describe('PEM private key file.'),
      })
      .strict()
      .prefault({})
      .describe('TLS certificate and key for STARTTLS and implicit TLS (P1, P2). Reloaded files apply to new sessions.'),
    limits: z
      .object({
        maxMessageSize: positiveInt.default(26214400).describe('S1: largest message accepted, in octets; advertised as SIZE. Default 25 MiB.'),
        maxRecipients: positiveInt.default(1000).describe('H7: recipients per message; past it 452 4.5.3.'),
        maxConnections: positiveInt.default(1000).describe('P4: concurrent connections over all listeners; past it 421 4.7.0.'),
        maxConnectionsPerIp: positiveInt.default(50).describe('P4: concurrent connections from one client IP; past it 421 4.7.0.'),
        maxConnectionRatePerIp: z.number().int().min(0).default(60).describe('P4 (Postfix anvil smtpd_client_connection_rate_limit): new connections from one client IP within connectionRateWindowMs, over all listeners and nodes (shared store); past it 421 4.7.0. relay.lanNetworks and allow-listed clients are exempt; 0 = off. Default 60 per minute: a real MTA sends many messages over one connection, a bot opens one per try.'),
        connectionRateWindowMs: z.number().int().min(1000).max(3600000).default(60000).describe('P4: the sliding window of maxConnectionRatePerIp (Postfix anvil_rate_time_unit). Default 60000 (one minute).'),
        pregreetPassTtlMs: z.number().int().min(0).default(86400000).describe('P4 (Postfix postscreen_greet_ttl): how long a client IP that waited for the greeting is remembered (shared store) and skips the pregreet wait. Default 1 day; 0 = test every connection.'),
        maxCommandLine: z.number().int().min(512).max(65536).default(512).describe('P4: longest command line in octets including CRLF (RFC 5321 4.5.3.1.4). AUTH lines may be up to 12288 (RFC 4954).'),
        maxPipelinedBytes: z.number().int().min(4096).default(65536).describe('P4: unanswered pipelined command bytes buffered before the socket is paused.'),
        maxFailedCommands: z.number().int().min(0).default(20).describe('H5 (MailEnable "Drop a connection when the failed number of commands or recipients reaches"): refused commands and recipients in one session before 421 4.7.0 and disconnect; 0 = off. Low values hurt scripts that ignore replies.'),
        recipientCutoff: positiveInt.optional().describe('H8 (Sun recipientcutoff): when more recipients than this were presented in one transaction (accepted or not), the whole message is refused at DATA/BDAT with 550 5.5.3. Default: off. Per sender / sender domain: directory limit recipientCutoff.'),
        recipientsPerHour: positiveInt.optional().describe('H9 (MailEnable "Limit number of recipients per hour"): recipients per sliding hour per authenticated user, else per envelope sender and client IP; only relayed or authenticated-submitted recipients count; past it 450 4.7.1. Default: off. Per user / sender domain: directory limit recipientsPerHour.'),
        ...limitsSizeFields, // S3 blocks and lines, S4 Large Message Safety (size-limits-schema.ts)
        ...limitsCleanupFields, // S5 maxHeaderLines, S6 headerLimit, S8 parameter lengths (cleanup-schema.ts)
      })
      .strict()
      .prefault({})
      .describe('Server-wide limits (P4 connections and commands, S1-S8 sizes, H5/H7-H9 recipients and failed commands). Per-sender and per-domain values: `rampart limits`.'),
    timeouts: z
      .object({
        commandMs: ms.default(300000).describe('P4: idle time allowed while waiting for a command (RFC 5321 4.5.3.2.7: 5 minutes).'),
        dataBlockMs: ms.default(180000).describe('P4: idle time allowed between DATA/BDAT blocks (RFC 5321 4.5.3.2.5: 3 minutes).'),
        tlsHandshakeMs: ms.default(30000).describe('P4: time allowed for a TLS handshake.'),
        shutdownMs: ms.default(30000).describe('On SIGTERM, time given to open transactions before sessions are closed with 421.'),
      })
      .strict()
      .prefault({})
      .describe('P4 timeouts, in milliseconds.'),
    smtp: z
      .object({
        banner: z.string().default('%LOCALDOMAIN% ESMTP').describe('H4: greeting text after "220 ". %LOCALDOMAIN% and %TIME% are replaced. Names no software by default.'),
        bareLineEndings: z.enum(['reject', 'accept']).default('reject').describe('P3: bare CR or LF in commands and message content. reject refuses with 5xx; accept keeps them as content. Only <CRLF>.<CRLF> ever ends DATA.'),
      })
      .strict()
      .prefault({})
      .describe('SMTP protocol behaviour (H4 banner, P3 line endings).'),
    policy: z
      .object({
        warn: z.array(z.string()).default([]).describe('Checks run in warn mode: they decide, log and count, but let the message pass. Names as in logs, e.g. "rcpt.localRecipient".'),
        senderDomainResolvable: z.boolean().default(true).describe('H1 (MailEnable "Sender email domain must be local or resolvable through DNS"): MAIL FROM domain must be local or have MX, A or AAAA; NXDOMAIN or no such record 550 5.1.8, null MX 550 5.7.27, DNS failure 451 4.4.3. Null sender and relay.lanNetworks clients exempt.'),
        ptr: z.enum(['never', 'reject', 'mark']).default('never').describe('H2 (MailEnable "PTR Record Check"): for unauthenticated clients outside the LAN. never; reject (no PTR: 550 5.7.25 at MAIL, DNS failure 451 4.7.25); mark (add X-Rampart-PTR and a spam score, let it pass).'),
        ptrMarkScore: z.number().min(0).max(1000).default(1).describe('H2: spam score a message gets in ptr: mark mode when its client has no PTR record.'),
        heloBlocklist: z.array(z.string().min(1, 'expected a non-empty pattern')).default(['ylmf-pc']).describe('H3 (MailEnable "EHLO Blocking"): EHLO/HELO arguments that drop the connection (554 5.7.1). Whole argument, case-insensitive, "*" matches any run of characters.'),
      })
      .strict()
      .prefault({})
      .describe('Sender and client hygiene checks (H1-H3) and warn mode for any check.'),
    relay: z
      .object({
        authenticatedSenderMustUsePostoffice: z.boolean().default(true).describe('R5 (MailEnable "Authenticated senders must use address from their postoffice"): an authenticated client whose MAIL FROM domain is outside its postoffice gets 553 5.7.1. Null sender allowed.'),
        disableAllCatchalls: z.boolean().default(false).describe('R7 (MailEnable "Disable all catchalls"): ignore every domain catchall; unknown local users get 550 5.1.1.'),
        ...relayFields, // R1 lanNetworks, R6 spoofing, R8 domainLiterals (relay-access-schema.ts)
      })
      .strict()
      .prefault({})
      .describe('Relay control (R1, R5-R8): who may send mail to other domains, and which sender addresses they may use.'),
    delivery: z
      .object({
        concurrency: z.number().int().min(1).max(1000).default(100).describe('Q1/Q3: messages in delivery at once (read, routed and handed to transports). Deliveries per destination are bounded by channels.<name>.concurrency and per channel by channels.<name>.maxConnections.'),
        hold: z.boolean().default(false).describe('R10: hold all delivery; messages stay queued until this is false again (SIGHUP reload applies it).'),
        retryMs: z.array(ms).min(1).default([60000, 300000, 900000, 3600000]).describe('Q1: waits between delivery attempts after a temporary failure; the last repeats.'),
        giveUpMs: ms.default(5 * 24 * 3600 * 1000).describe('Q1/Q2: age after which a temporarily failing recipient is given up (and returned with a DSN). Default 5 days; per channel: channels.<name>.giveUpMs.'),
        delayWarningMs: ms.default(4 * 3600 * 1000).describe('Q2 (RFC 3464): age after which a sender who asked for NOTIFY=DELAY gets one delay warning. Default 4 h; per channel: channels.<name>.delayWarningMs.'),
        bounceSizeLimit: z.number().int().min(1024).max(100 * 1024 * 1024).default(50000).describe('Q2 (Postfix bounce_size_limit): largest message returned whole in a delivery status notice when the sender asked for RET=FULL, in octets. A larger message is returned as its header section only, with a note saying so. Default 50000.'),
        timeouts: DeliveryTimeoutsSchema, // Q2 outbound session timeouts (delivery-network-schema.ts)
        connectionCache: ConnectionCacheSchema, // Q2 outbound connection reuse (delivery-network-schema.ts)
      })
      .strict()
      .prefault({})
      .describe('Queue and delivery (Q1-Q3, R10): concurrency, retries, give-up, hold, delivery status notices, outbound session timeouts and connection reuse. Per channel settings: channels.<name>.'),
    directory: z
      .object({
        path: z.string().optional().describe('SQLite file of the embedded directory. Default dataDir/directory.sqlite.'),
        demo: z
          .object({
            domain: z.string().describe('The demo domain, e.g. rampart.test.'),
            mailbox: z.string().describe('Local part of the demo mailbox, e.g. demo (it gets a random password, printed once).'),
          })
          .strict()
          .optional()
          .describe('Creates this domain and mailbox on first start when the directory is empty (the embedded default uses it).'),
      })
      .strict()
      .prefault({})
      .describe('The embedded directory (SQLite): domains, mailboxes, aliases, postoffices, catchalls, limits, admin API tokens.'),
    channels: ChannelsSchema, // Q3 channels, S3 channel limits (channels-schema.ts)
    routes: RoutesSchema, // Q3 recipient domain -> channel (channels-schema.ts)
    access: AccessSchema, // R2 access lists, H6 automatic deny (relay-access-schema.ts)
    auth: AuthSchema, // R4 failed AUTH limits (relay-access-schema.ts)
    admin: AdminSchema, // admin API, metrics, health checks (admin-schema.ts)
    spool: z
      .object({
        minFreeBytes: z.number().int().min(0).default(104857600).describe('P5 (Postfix queue_minfree): free space the spool\'s file system must keep. Below it (or below 2 x a declared SIZE=, when larger) MAIL and DATA/BDAT get 452 4.3.1 before the body is sent. Measured with statfs, cached for one second. Default 100 MiB; 0 = off.'),
      })
      .strict()
      .prefault({})
      .describe('The spool (P5): the reserve of free disk space it keeps.'),
    state: z
      .object({
        redis: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').optional().describe('C1: share rate windows, deny list and LMS keys through this Redis. Default: the embedded store under dataDir/state.sqlite.'),
        prefix: z.string().default('rampart:').describe('C1: key prefix in Redis, so several clusters can share one Redis.'),
        commandTimeoutMs: z
          .number()
          .int()
          .min(50)
          .max(60000)
          .default(2000)
          .describe('C1: time one Redis command may take before it fails (the check that asked answers 451 4.3.0 naming itself, and the store error is counted), so a hung Redis costs each check this long, not 30 s. Reload applies it to new commands.'),
      })
      .strict()
      .prefault({})
      .describe('C1 shared state (rate windows, access lists, LMS keys, failed-AUTH counters): embedded SQLite, or Redis for several nodes.'),
    dns: z
      .object({
        servers: z.array(z.string().min(1)).default([]).describe('Resolvers for policy checks and for delivery (MX, A, AAAA lookups), "ip" or "ip:port". Default: the system resolvers (/etc/resolv.conf).'),
        timeoutMs: z.number().int().min(50).max(60000).default(5000).describe('Time allowed for one DNS query attempt.'),
        tries: z.number().int().min(1).max(5).default(2).describe('Attempts per DNS query.'),
        cache: dnsCacheSchema,
      })
      .strict()
      .prefault({})
      .describe('The DNS resolver of the policy checks (H1, H2, A1-A3) and of delivery (MX, A, AAAA lookups), with its answer cache.'),
    ...senderAuthFields, // A1-A9 senderAuth, dnsbl, score, greylist (sender-auth-schema.ts)
    log: z
      .object({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info').describe('Least severe level written. info logs one line per connection, decision, queued and delivered message; debug adds detail; silent writes nothing.'),
      })
      .strict()
      .prefault({})
      .describe('Logging: JSON lines (pino) on standard output.'),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    refineSizeLimits(cfg, ctx); // S1/S4 (size-limits-schema.ts)
    refineRelayAccess(cfg, ctx); // R1/R8 (relay-access-schema.ts)
    refineChannels(cfg, ctx); // Q3 (channels-schema.ts)
    refineAdmin(cfg, ctx); // admin listener loopback-only unless allowRemote (admin-schema.ts)
    refineSenderAuth(cfg, ctx); // A6/A7/A9 (sender-auth-schema.ts)
    const seen = new Set<string>();
    cfg.listeners.forEach((l, i) => {
      if (seen.has(l.name)) ctx.addIssue({ code: 'custom', path: ['listeners', i, 'name'], message: `duplicate listener name "${l.name}"` });
      seen.add(l.name);
      if (l.allowInsecureAuth && !l.addresses.every(isLoopback)) {
        ctx.addIssue({ code: 'custom', path: ['listeners', i, 'allowInsecureAuth'], message: 'AUTH without TLS is allowed only on loopback listeners' });
      }
    });
  });

export type Config = z.output<typeof ConfigSchema>;
export type ListenerConfig = Config['listeners'][number];

export function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}
