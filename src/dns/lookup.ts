// The shapes of DNS answers and resolver settings, shared by the resolver
// (resolver.ts) and the questions asked on the wire (wire-query.ts, ttl-lookup.ts).

export type Lookup<T> = { kind: 'ok'; records: T[] } | { kind: 'none' } | { kind: 'nxdomain' } | { kind: 'error'; code: string };

export interface ResolverOptions {
  /** "ip" or "ip:port" / "[ipv6]:port"; empty = the system's resolvers. */
  servers: string[];
  timeoutMs: number;
  tries: number;
}
