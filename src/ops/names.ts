// Input field types shared by the operations. Each validates with the same
// function the directory or access list uses, so the API's 400 carries the message
// the CLI always printed, and the value arrives normalized (lower-case, canonical).

import { z } from 'zod';
import { DirectoryError, normalizeAddress, normalizeDomain } from '../directory/store.js';
import { normalizePostofficeName } from '../directory/postoffices.js';
import { normalizeSubject } from '../directory/sender-limits.js';
import { normalizeTokenName } from '../directory/admin-tokens.js';
import { AccessList, AccessListError, parseDuration } from '../state/access-list.js';
import { isTooWide, MIN_PREFIX } from '../core/cidr.js';

/** A string checked and normalized by `fn`, which throws a DirectoryError or AccessListError with the message. */
function normalized(fn: (s: string) => string, what: string) {
  return z
    .string()
    .max(1024)
    .transform((s, ctx) => {
      try {
        return fn(s);
      } catch (e) {
        if (!(e instanceof DirectoryError) && !(e instanceof AccessListError)) throw e;
        ctx.addIssue({ code: 'custom', message: e.message });
        return z.NEVER;
      }
    })
    .describe(what);
}

export const DomainName = normalized(normalizeDomain, 'A domain name, e.g. example.org (case-insensitive).');
export const MailAddress = normalized((s) => normalizeAddress(s).address, 'An address local@domain (case-insensitive).');
export const PostofficeName = normalized(normalizePostofficeName, 'A postoffice name: letters, digits, ".", "-", "_".');
export const LimitSubject = normalized(normalizeSubject, 'An address or a domain.');
export const TokenName = normalized(normalizeTokenName, 'A token name: letters, digits, ".", "-", "_".');
export const Network = normalized((s) => AccessList.network(s).text, 'An IPv4 or IPv6 address or CIDR network, e.g. 192.0.2.7 or 2001:db8::/48.');

/** A network that may be added to a list: not so wide that it means "everybody". */
export const ListableNetwork = normalized((s) => {
  const c = AccessList.network(s);
  if (isTooWide(c)) throw new AccessListError(`${s} is too wide (IPv4 prefixes must be /${MIN_PREFIX[4]} or longer, IPv6 /${MIN_PREFIX[6]} or longer)`);
  return c.text;
}, 'An IPv4 or IPv6 address or CIDR network (IPv4 /8 or longer, IPv6 /16 or longer).');

/** A duration: "90s", "30m", "1h", "2d", "1w", or milliseconds as a number. */
export const Duration = z
  .union([z.string(), z.number().int().positive()])
  .transform((v, ctx) => {
    if (typeof v === 'number') return v;
    try {
      return parseDuration(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  })
  .describe('A duration: "90s", "30m", "1h", "2d", "1w", or milliseconds.');

export const AccessKindSchema = z.enum(['allow', 'deny']).describe('allow or deny.');
