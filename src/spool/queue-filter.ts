// R10 queue filters: which queued messages `rampart queue list|purge` act on.
// Every given filter must match (AND). Sender and domain filters are
// case-insensitive globs (`*` any run of characters, `?` one character).

import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';
import type { SpoolEnvelope } from '../core/submission.js';

/** A filter the user wrote wrongly; the message is one sentence naming the option. */
export class FilterError extends Error {
  override name = 'FilterError';
}

export interface QueueFilterOptions {
  /** Envelope sender: an address or a glob ("*@spam.example"); "<>" or "" is the null sender. */
  sender?: string;
  /** A recipient domain, or a glob ("*.example"); matches when any recipient is in it. */
  rcptDomain?: string;
  /** Client IP address or CIDR block (IPv4 or IPv6). */
  clientIp?: string;
  /** Authenticated user (address or glob); matches only messages submitted with AUTH. */
  authUser?: string;
  /** Received at or after this time (ISO 8601, or a duration ago: 30m, 2h, 1d, 1w). */
  since?: string;
  /** Received before this time (same forms). */
  before?: string;
}

export type QueueFilter = (env: SpoolEnvelope) => boolean;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * "30m", "2h", "1d", "1w" (that long before `now`), or an ISO 8601 date or date-time
 * ("2024-05-01", "2024-05-01T10:00:00Z"; a date-time without zone is local time).
 */
export function parseTime(text: string, now: number, option = 'time'): number {
  const t = text.trim();
  const rel = /^(\d+)\s*([smhdw])$/i.exec(t);
  if (rel) return now - Number(rel[1]) * UNITS[rel[2].toLowerCase()];
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(t)) {
    const ms = Date.parse(t.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return ms;
  }
  throw new FilterError(`${option}: "${text}" is not a time (use an ISO 8601 date such as 2024-05-01T10:00Z, or a duration ago such as 30m, 2h, 1d).`);
}

/** A case-insensitive, anchored RegExp for a glob with `*` and `?`. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'is');
}

function stripBrackets(s: string): string {
  const t = s.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1) : t;
}

/** Matches an IP address (as stored: IPv4, IPv6 or IPv4-mapped IPv6) against an address or CIDR. */
export function ipMatcher(spec: string, option = '--client-ip'): (ip: string) => boolean {
  const s = spec.trim();
  const [addr, prefix, extra] = s.split('/');
  const family = isIP(addr);
  const max = family === 4 ? 32 : 128;
  if (!family || extra !== undefined || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= max))) {
    throw new FilterError(`${option}: "${spec}" is not an IP address or CIDR block.`);
  }
  let range: [ipaddr.IPv4 | ipaddr.IPv6, number] = [ipaddr.parse(addr), prefix === undefined ? max : Number(prefix)];
  // A v4-mapped IPv6 range (::ffff:192.0.2.0/120) is the same as its IPv4 range.
  if (range[0].kind() === 'ipv6' && (range[0] as ipaddr.IPv6).isIPv4MappedAddress() && range[1] >= 96) {
    range = [(range[0] as ipaddr.IPv6).toIPv4Address(), range[1] - 96];
  }
  const [net, bits] = range;
  return (ip: string) => {
    if (!ipaddr.isValid(ip)) return false;
    const a = ipaddr.process(ip); // IPv4-mapped IPv6 becomes IPv4
    return a.kind() === net.kind() && a.match([net, bits] as never);
  };
}

/** True when at least one filter option is set (purge requires one). */
export function hasFilter(o: QueueFilterOptions): boolean {
  return [o.sender, o.rcptDomain, o.clientIp, o.authUser, o.since, o.before].some((v) => v !== undefined);
}

/** Compiles the options into one predicate; throws FilterError naming a bad option. */
export function compileFilter(o: QueueFilterOptions, now = Date.now()): QueueFilter {
  const tests: QueueFilter[] = [];
  if (o.sender !== undefined) {
    const s = stripBrackets(o.sender);
    const re = globToRegExp(s);
    tests.push((env) => (s === '' ? env.mailFrom === '' : env.mailFrom !== '' && re.test(env.mailFrom)));
  }
  if (o.rcptDomain !== undefined) {
    const d = o.rcptDomain.trim().replace(/^@/, '').replace(/\.$/, '');
    if (!d) throw new FilterError('--rcpt-domain: give a domain or a glob such as *.example.');
    const re = globToRegExp(d);
    tests.push((env) => env.rcpts.some((r) => re.test(r.address.slice(r.address.lastIndexOf('@') + 1))));
  }
  if (o.clientIp !== undefined) {
    const m = ipMatcher(o.clientIp);
    tests.push((env) => m(env.client.ip));
  }
  if (o.authUser !== undefined) {
    const re = globToRegExp(stripBrackets(o.authUser));
    tests.push((env) => env.client.authUser !== undefined && re.test(env.client.authUser));
  }
  if (o.since !== undefined) {
    const t = parseTime(o.since, now, '--since');
    tests.push((env) => env.receivedAt >= t);
  }
  if (o.before !== undefined) {
    const t = parseTime(o.before, now, '--before');
    tests.push((env) => env.receivedAt < t);
  }
  return (env) => tests.every((f) => f(env));
}
