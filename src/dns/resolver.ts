// DNS for policy checks, through a configurable resolver (dns.servers), with a
// bounded timeout. Answers are classified so checks can tell "does not exist"
// (a permanent answer, 5xx) from "could not find out" (a temporary one, 4xx).

import { promises as dnsp } from 'node:dns';

export type Lookup<T> = { kind: 'ok'; records: T[] } | { kind: 'none' } | { kind: 'nxdomain' } | { kind: 'error'; code: string };

export interface DnsResolver {
  mx(name: string): Promise<Lookup<{ exchange: string; priority: number }>>;
  a(name: string): Promise<Lookup<string>>;
  aaaa(name: string): Promise<Lookup<string>>;
  ptr(ip: string): Promise<Lookup<string>>;
}

export interface ResolverOptions {
  /** "ip" or "ip:port" / "[ipv6]:port"; empty = the system's resolvers. */
  servers: string[];
  timeoutMs: number;
  tries: number;
}

/** Node's c-ares resolver with our classification of answers. */
export class NodeDnsResolver implements DnsResolver {
  private readonly r: dnsp.Resolver;

  constructor(opts: ResolverOptions) {
    this.r = new dnsp.Resolver({ timeout: opts.timeoutMs, tries: opts.tries });
    if (opts.servers.length) this.r.setServers(opts.servers);
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
  ptr(ip: string) {
    return this.run(() => this.r.reverse(ip));
  }
}
