// Configuration of the admin listener: the HTTP API, Prometheus metrics and the
// health checks (src/admin/). Absent section: no admin listener (an upgrade never
// opens a new port by itself); the embedded default turns it on at 127.0.0.1:2580.
// The API authenticates with bearer tokens over plain HTTP, so it binds only
// loopback addresses unless allowRemote says otherwise.

import { z } from 'zod';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { network } from './relay-access-schema.js';

export const ADMIN_DEFAULT_PORT = 2580;

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopbackAddress(ip: string): boolean {
  return isIP(ip) !== 0 && ipaddr.process(ip).range() === 'loopback';
}

export const AdminSchema = z
  .object({
    addresses: z
      .array(z.string().refine((s) => isIP(s) !== 0, 'expected an IPv4 or IPv6 address'))
      .min(1)
      .default(['127.0.0.1'])
      .describe('IP addresses the admin listener binds. Loopback only unless admin.allowRemote is true. Default 127.0.0.1.'),
    port: z
      .number()
      .int()
      .min(0, 'expected a port 0..65535 (0 picks a free port)')
      .max(65535, 'expected a port 0..65535 (0 picks a free port)')
      .default(ADMIN_DEFAULT_PORT)
      .describe(`TCP port of the admin listener. Default ${ADMIN_DEFAULT_PORT}.`),
    allowRemote: z
      .boolean()
      .default(false)
      .describe('Allow non-loopback addresses in admin.addresses. The API speaks plain HTTP and tokens travel in clear: put it behind a TLS proxy or on a management network.'),
    metricsNetworks: z
      .array(network())
      .default([])
      .describe('Clients (addresses or CIDR networks, matched against the TCP peer) that may read /metrics without a token, e.g. the Prometheus server. Everything else needs a token there too.'),
  })
  .strict()
  .optional()
  .describe('Admin HTTP API, Prometheus /metrics, /healthz and /readyz on their own listener. Absent: no admin listener; "admin: {}" serves it on 127.0.0.1:2580. The embedded default serves it there.');

export function refineAdmin(cfg: { admin?: { addresses: string[]; allowRemote: boolean } }, ctx: z.RefinementCtx): void {
  if (!cfg.admin || cfg.admin.allowRemote) return;
  cfg.admin.addresses.forEach((a, i) => {
    if (!isLoopbackAddress(a)) {
      ctx.addIssue({
        code: 'custom',
        path: ['admin', 'addresses', i],
        message: `${a} is not a loopback address; the admin API sends bearer tokens in clear text: set admin.allowRemote: true to bind it anyway (behind a TLS proxy or on a management network)`,
      });
    }
  });
}
