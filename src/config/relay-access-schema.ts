// Configuration keys for relay control, access lists and authentication
// (R1 R2 R4 R6 R8 R9, H6), spread into schema.ts. Network lists are validated
// here: a prefix so wide it means "everybody" is refused, naming the key.

import { z } from 'zod';
import { parseCidr, isTooWide, MIN_PREFIX } from '../core/cidr.js';
import { isDomain } from '../core/address.js';

const ms = z.number().int().min(1).describe('milliseconds');

/** A CIDR network or a single address; `wide` allows prefixes that mean "everybody". */
export function network(opts: { wide?: boolean } = {}) {
  return z.string().superRefine((s, ctx) => {
    const c = parseCidr(s);
    if (typeof c === 'string') return void ctx.addIssue({ code: 'custom', message: `${c}; expected an address or CIDR network like 192.0.2.0/24 or 2001:db8::/32` });
    if (!opts.wide && isTooWide(c)) {
      ctx.addIssue({
        code: 'custom',
        message: `${s} is too wide: it means "everybody" (IPv4 prefixes must be /${MIN_PREFIX[4]} or longer, IPv6 /${MIN_PREFIX[6]} or longer); list the real networks`,
      });
    }
  });
}

/** Per-listener keys (spread into ListenerSchema). */
export const listenerRelayFields = {
  hideClientIp: z.boolean().default(false).describe('R9 (MailEnable "Hide IP addresses from email headers"): the Received header names no client IP (logs still do).'),
  proxyProtocol: z
    .object({
      trusted: z.array(network()).min(1).describe('Proxies / load balancers (addresses or CIDR) that must send a PROXY header (v1 or v2); their header gives the real client address. Other sources are served as direct clients and may not send one.'),
      timeoutMs: ms.default(5000).describe('Time a trusted proxy has to send the complete PROXY header; then the connection is closed.'),
    })
    .strict()
    .optional()
    .describe('R1: PROXY protocol (HAProxy v1/v2) on this listener.'),
};

/** Keys of the `relay` section (spread into its object). */
export const relayFields = {
  lanNetworks: z
    .array(network())
    .default(['127.0.0.1/32', '::1/128'])
    .describe('R1 (Mailtraq "Relay for non-local senders inside this LAN"): clients in these networks may relay without AUTH. Never 0.0.0.0/0 or ::/0.'),
  privilegedNetworks: z.array(network()).default([]).describe('R6 (MailEnable "SMTP privileged IPs"): in spoofing mode "authorized" these clients may use any local-domain sender without AUTH.'),
  spoofing: z
    .enum(['anyone', 'authenticated', 'authorized'])
    .default('authenticated')
    .describe('R6 (MailEnable "Address Spoofing") for MAIL FROM addresses in local domains: anyone = no check; authenticated = only an authenticated user, and only addresses that are or expand to its mailbox; authorized = authenticated users and privilegedNetworks may use any local address. Refusal 553 5.7.1.'),
  domainLiterals: z
    .object({
      enabled: z.boolean().default(false).describe('R8 (MailEnable "Allow domain literals"): accept user@[ip] when ip is one of the server\'s own addresses or in extra.'),
      extra: z.array(network()).default([]).describe('R8: more addresses that count as ours (NAT, load balancer front ends).'),
      domain: z.string().optional().describe('R8: the local domain a literal recipient belongs to (user@[ip] is user@domain). Default: hostname.'),
    })
    .strict()
    .prefault({})
    .describe('R8 domain literals: user@[192.0.2.1] and user@[IPv6:...] recipients.'),
};

export const AccessSchema = z
  .object({
    connectPolicy: z.enum(['allowAny', 'allowListOnly']).default('allowAny').describe('R2 (Mailtraq "Access Control"): allowAny = any client may connect unless denied; allowListOnly = only the allow list and the LAN.'),
    refreshMs: ms.default(10000).describe('R2: how often the in-memory allow/deny index checks the shared store for changes made by other nodes or the CLI.'),
    autoDeny: z
      .object({
        enabled: z.boolean().default(true).describe('H6 (MailEnable "Add to denied IP addresses if this number is reached"): deny clients that trip H5, R4 or S4.'),
        threshold: z.number().int().min(1).max(1000).default(3).describe('H6: abuse events (H5, R4, S4 disconnects) from one address within windowMs before it is denied.'),
        windowMs: ms.default(3600000).describe('H6: window over which abuse events are counted.'),
        expiresMs: ms.default(3600000).describe('H6: first automatic deny lasts this long; each repeat doubles it.'),
        maxExpiresMs: ms.default(7 * 24 * 3600000).describe('H6: cap of the doubling expiry.'),
        rememberMs: ms.default(30 * 24 * 3600000).describe('H6: how long a repeat offender is remembered for the doubling.'),
        maxEntries: z.number().int().min(1).default(10000).describe('H6: most automatic deny entries kept; past it the oldest automatic entries are removed (manual ones never).'),
        ipv6PrefixLength: z.number().int().min(48).max(128).default(64).describe('H6: IPv6 clients are counted and denied per network of this length (one host usually owns a /64).'),
      })
      .strict()
      .prefault({})
      .describe('H6 automatic deny: clients that trip H5, R4 or S4 go on the deny list for a while.'),
  })
  .strict()
  .prefault({})
  .describe('R2 access control: the allow and deny lists (managed with `rampart deny|allow` or the admin API) and H6 automatic deny.');

export const AuthSchema = z
  .object({
    disconnectBadAuthLimit: z.number().int().min(1).max(100).default(3).describe('R4 (Sun "disconnectbadauthlimit"): failed AUTH attempts in one session before 421 4.7.0 and disconnect.'),
    maxFailedAuthPerIp: z.number().int().min(1).default(10).describe('R4: failed AUTH attempts from one client address (all sessions, all nodes) within failedAuthWindowMs; past it each failure gets 421 4.7.0 and disconnect.'),
    failedAuthWindowMs: ms.default(3600000).describe('R4: window of the per-address failed AUTH counter.'),
  })
  .strict()
  .prefault({})
  .describe('R4 limits on failed SMTP AUTH attempts.');

interface RelayConfigView {
  relay: { domainLiterals: { domain?: string } };
}

// R1: that rcpt.relay cannot run in warn mode is the registry's rule (policy/registry.ts, checked in load.ts).
export function refineRelayAccess(cfg: RelayConfigView, ctx: z.RefinementCtx): void {
  const d = cfg.relay.domainLiterals.domain;
  if (d !== undefined && !isDomain(d, false)) ctx.addIssue({ code: 'custom', path: ['relay', 'domainLiterals', 'domain'], message: 'expected a domain name' });
}
