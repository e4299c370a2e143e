// mailauth asks DNS through one callback with node:dns.promises.resolve semantics
// (arrays; TXT as lists of character-strings; errors carrying ENOTFOUND, ENODATA,
// ETIMEOUT, ESERVFAIL...). This adapter answers it from our DnsResolver, so every
// question goes to dns.servers with our timeout, and it records what went wrong:
// mailauth's ARC code swallows key lookup failures, and its SPF include/redirect
// code ignores errors that carry no SPF verdict, so we mark every temporary failure
// as an SPF temperror ourselves and let the callers see the failures afterwards.

import ipaddr from 'ipaddr.js';
import type { DnsResolver, Lookup } from '../dns/resolver.js';

/** The callback mailauth takes as `resolver` (its type says string lists; MX answers are objects, as from node:dns). */
export type MailauthResolver = (name: string, type: string) => Promise<string[] | string[][]>;

export interface DnsFailure {
  name: string;
  type: string;
  code: string;
}

export interface AdaptedResolver {
  resolve: MailauthResolver;
  /** Temporary failures (timeouts, SERVFAIL, refused...) seen so far. */
  readonly failures: readonly DnsFailure[];
  /** Questions asked so far. */
  readonly lookups: number;
}

export interface AdapterOptions {
  /** Refuse (as a temporary failure, code ELIMIT) every question past this many. */
  maxLookups?: number;
}

/** A DNS error as node:dns raises it. */
export class DnsError extends Error {
  constructor(
    readonly code: string,
    readonly hostname: string,
    temporary: boolean,
  ) {
    super(`${code} ${hostname}`);
    // Read by mailauth's SPF code: without it a failed include is skipped, not a temperror (RFC 7208 5.2).
    if (temporary) (this as { spfResult?: unknown }).spfResult = { error: 'temperror', text: `DNS ${code} for ${hostname}` };
  }
}

/** "4.3.2.1.in-addr.arpa" or a nibble ip6.arpa name back to the address it names. */
export function addressOfReverseName(name: string): string | undefined {
  const n = name.toLowerCase().replace(/\.$/, '');
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(n);
  if (v4) {
    const ip = [v4[4], v4[3], v4[2], v4[1]].join('.');
    return ipaddr.IPv4.isValidFourPartDecimal(ip) ? ip : undefined;
  }
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(n);
  if (!v6) return undefined;
  const hex = v6[1].split('.').filter(Boolean).reverse().join('');
  return hex.match(/.{4}/g)!.join(':');
}

type Answer = Lookup<unknown>;

function ask(dns: DnsResolver, name: string, type: string): Promise<Answer> {
  switch (type.toUpperCase()) {
    case 'TXT':
      return dns.txtChunks(name);
    case 'A':
      return dns.a(name);
    case 'AAAA':
      return dns.aaaa(name);
    case 'MX':
      return dns.mx(name);
    case 'CNAME':
      return dns.cname(name);
    case 'PTR': {
      const ip = addressOfReverseName(name);
      return ip ? dns.ptr(ip) : Promise.resolve({ kind: 'nxdomain' });
    }
    default:
      return Promise.resolve({ kind: 'error', code: 'ENOTIMP' });
  }
}

/** A fresh adapter per message or per SPF evaluation (it counts and records). */
export function adaptResolver(dns: DnsResolver, opts: AdapterOptions = {}): AdaptedResolver {
  const failures: DnsFailure[] = [];
  let lookups = 0;
  const resolve: MailauthResolver = async (name, type) => {
    lookups++;
    const fail = (code: string): never => {
      failures.push({ name, type, code });
      throw new DnsError(code, name, true);
    };
    if (opts.maxLookups !== undefined && lookups > opts.maxLookups) fail('ELIMIT');
    let answer: Answer;
    try {
      answer = await ask(dns, name, type);
    } catch (e) {
      return fail((e as NodeJS.ErrnoException).code ?? 'ESERVFAIL');
    }
    switch (answer.kind) {
      case 'ok':
        return answer.records as string[];
      case 'none':
        throw new DnsError('ENODATA', name, false);
      case 'nxdomain':
        throw new DnsError('ENOTFOUND', name, false);
      case 'error':
        // A name that cannot be asked (bad syntax) cannot exist either.
        if (answer.code === 'EBADNAME') throw new DnsError('ENOTFOUND', name, false);
        return fail(answer.code);
    }
  };
  return {
    resolve,
    get failures() {
      return failures;
    },
    get lookups() {
      return lookups;
    },
  };
}
