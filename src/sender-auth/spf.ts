// A1 SPF (RFC 7208) for the MAIL FROM identity and the HELO identity, evaluated
// by mailauth with every DNS question sent through our resolver. mailauth enforces
// the RFC 7208 4.6.4 limits: 10 DNS-querying terms (include, a, mx, ptr, exists,
// redirect), 2 void lookups, 10 MX names and 10 PTR names, each a permerror when
// exceeded. A temporary DNS failure anywhere in the evaluation is a temperror,
// never a pass and never a fail (mailauth alone would skip a failed include and go on
// to "-all"; the adapter's errors prevent that, and the tests prove it).

import { isIP } from 'node:net';
import { spf as mailauthSpf } from 'mailauth';
import type { DnsResolver } from '../dns/resolver.js';
import { adaptResolver } from './dns-adapter.js';

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror';

export interface SpfOutcome {
  /** Which identity was checked (RFC 7208 2.3, 2.4). */
  identity: 'mailfrom' | 'helo';
  result: SpfResult;
  /** The domain whose record was evaluated. */
  domain: string;
  /** The address checked: the MAIL FROM address, or postmaster@<helo>. */
  sender: string;
  ip: string;
  /** Human explanation (for Authentication-Results comments and the log). */
  comment: string;
  /** The SPF record found, if any. */
  record?: string;
  /** DNS-querying terms and void lookups used (RFC 7208 4.6.4). */
  lookups?: { count: number; void: number };
  /** Temporary DNS failures met on the way (log detail). */
  dnsFailures?: string[];
}

export interface SpfRequest {
  ip: string;
  /** EHLO/HELO argument. */
  helo: string;
  /** MAIL FROM address without brackets; '' for the null sender. */
  mailFrom: string;
  /** Our host name, used in the explanation text. */
  hostname: string;
}

const RESULTS: readonly string[] = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror'];

/** The HELO argument as an SPF domain, or undefined for an address literal or a bare word. */
export function heloDomain(helo: string): string | undefined {
  const h = helo.trim().replace(/\.$/, '').toLowerCase();
  if (!h || h.startsWith('[') || isIP(h) || !h.includes('.')) return undefined;
  return h;
}

async function evaluate(identity: SpfOutcome['identity'], sender: string, req: SpfRequest, dns: DnsResolver): Promise<SpfOutcome> {
  const adapted = adaptResolver(dns);
  const r = await mailauthSpf({ sender, ip: req.ip, helo: req.helo, mta: req.hostname, resolver: adapted.resolve });
  // mailauth turns our temporary failures into temperror (dns-adapter.ts marks them);
  // failures it may ignore are the other address family of a/mx and unverifiable PTR names.
  const result = (RESULTS.includes(r.status.result) ? r.status.result : 'temperror') as SpfResult;
  const comment = r.status.comment ?? '';
  const out: SpfOutcome = { identity, result, domain: r.domain, sender, ip: req.ip, comment };
  if (r.rr) out.record = r.rr;
  if (r.lookups) out.lookups = { count: r.lookups.count, void: r.lookups.void };
  if (adapted.failures.length) out.dnsFailures = adapted.failures.map((f) => `${f.type} ${f.name}: ${f.code}`);
  return out;
}

/** SPF for the MAIL FROM identity; for the null sender, RFC 7208 2.4 checks postmaster@<helo>. */
export async function checkSpfMailFrom(req: SpfRequest, dns: DnsResolver): Promise<SpfOutcome> {
  if (req.mailFrom) return evaluate('mailfrom', req.mailFrom, req, dns);
  return checkSpfHelo(req, dns);
}

/** SPF for the HELO identity (RFC 7208 2.3); 'none' when HELO names no domain. */
export async function checkSpfHelo(req: SpfRequest, dns: DnsResolver): Promise<SpfOutcome> {
  const domain = heloDomain(req.helo);
  if (!domain) {
    return { identity: 'helo', result: 'none', domain: req.helo, sender: `postmaster@${req.helo}`, ip: req.ip, comment: `${req.hostname}: HELO ${req.helo} is not a domain name` };
  }
  return evaluate('helo', `postmaster@${domain}`, req, dns);
}
