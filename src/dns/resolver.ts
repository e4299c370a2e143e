// DNS for policy checks, through a configurable resolver (dns.servers), with a
// bounded timeout. Answers are classified so checks can tell "does not exist"
// (a permanent answer, 5xx) from "could not find out" (a temporary one, 4xx).

import { promises as dnsp } from 'node:dns';
import ipaddr from 'ipaddr.js';
import type { Lookup, ResolverOptions } from './lookup.js';
import { lookupWithTtl, type Mx, type TtlLookup, type TtlResolver } from './ttl-lookup.js';

export type { Lookup, ResolverOptions } from './lookup.js';

export interface DnsResolver {
  mx(name: string): Promise<Lookup<{ exchange: string; priority: number }>>;
  a(name: string): Promise<Lookup<string>>;
  aaaa(name: string): Promise<Lookup<string>>;
  ptr(ip: string): Promise<Lookup<string>>;
  /** TXT records, each record's character-strings joined (RFC 7208 3.3, RFC 6376 3.6.2.2). */
  txt(name: string): Promise<Lookup<string>>;
  /** TXT records as sent, each a list of its character-strings (mailauth wants them unjoined). */
  txtChunks(name: string): Promise<Lookup<string[]>>;
  /** The CNAME target of `name`, when `name` is an alias (RFC 5321 5.1: an MX must not name one). */
  cname(name: string): Promise<Lookup<string>>;
  /** A records with their TTL in seconds (DNSBL answers are cached for that long). */
  aWithTtl(name: string): Promise<Lookup<{ address: string; ttl: number }>>;
}


/** "192.0.2.1" -> "1.2.0.192.in-addr.arpa"; IPv6 -> nibbles under ip6.arpa (RFC 3596). */
export function reverseName(ip: string): string {
  const addr = ipaddr.process(ip); // IPv4-mapped IPv6 becomes IPv4
  const bytes = addr.toByteArray();
  if (addr.kind() === 'ipv4') return `${bytes.reverse().join('.')}.in-addr.arpa`;
  const nibbles = bytes.flatMap((b) => [b >> 4, b & 15]).map((n) => n.toString(16));
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

/**
 * Node's c-ares resolver with our classification of answers; the *Ttl questions go
 * on the wire (ttl-lookup.ts) to the same servers, for the answer cache.
 */
export class NodeDnsResolver implements DnsResolver, TtlResolver {
  private r: dnsp.Resolver;
  private opts: ResolverOptions;

  constructor(opts: ResolverOptions) {
    this.r = NodeDnsResolver.make(opts);
    this.opts = { ...opts };
  }

  private static make(opts: ResolverOptions): dnsp.Resolver {
    const r = new dnsp.Resolver({ timeout: opts.timeoutMs, tries: opts.tries });
    if (opts.servers.length) r.setServers(opts.servers);
    return r;
  }

  /** New settings (reload): later queries use them; queries already sent finish on the old resolver. */
  configure(opts: ResolverOptions): void {
    this.r = NodeDnsResolver.make(opts);
    this.opts = { ...opts };
  }

  aTtl(name: string) {
    return lookupWithTtl(name, 'A', this.opts) as Promise<TtlLookup<string>>;
  }
  aaaaTtl(name: string) {
    return lookupWithTtl(name, 'AAAA', this.opts) as Promise<TtlLookup<string>>;
  }
  mxTtl(name: string) {
    return lookupWithTtl(name, 'MX', this.opts) as Promise<TtlLookup<Mx>>;
  }
  txtTtl(name: string) {
    return lookupWithTtl(name, 'TXT', this.opts) as Promise<TtlLookup<string[]>>;
  }

  private async run<T>(fn: () => Promise<T[]>): Promise<Lookup<T>> {
    try {
      const records = await fn();
      return records.length ? { kind: 'ok', records } : { kind: 'none' };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
      if (code === 'ENOTFOUND') return { kind: 'nxdomain' };
      if (code === 'ENODATA') return { kind: 'none' };
      return { kind: 'error', code };
    }
  }

  mx(name: string) {
    return this.run(() => this.r.resolveMx(name));
  }
  a(name: string) {
    return this.run(() => this.r.resolve4(name));
  }
  aaaa(name: string) {
    return this.run(() => this.r.resolve6(name));
  }
  txt(name: string) {
    return this.run(async () => (await this.r.resolveTxt(name)).map((chunks) => chunks.join('')));
  }
  txtChunks(name: string) {
    return this.run(() => this.r.resolveTxt(name));
  }
  cname(name: string) {
    return this.run(() => this.r.resolveCname(name));
  }
  aWithTtl(name: string) {
    return this.run(() => this.r.resolve4(name, { ttl: true }));
  }
  ptr(ip: string) {
    // Not r.reverse(): c-ares' getHostByAddr reports SERVFAIL and timeouts as
    // ENOTFOUND, which would turn a DNS outage into "no PTR" (a 5xx for H2).
    return this.run(() => this.r.resolvePtr(reverseName(ip)));
  }
}
