// A4 ARC verification (RFC 8617): the chain of ARC sets is validated by mailauth
// (every ARC-Seal, the newest ARC-Message-Signature, instance numbering, cv= values)
// from the data the DKIM pass gathered. We add what a receiver needs to act on it:
// every hop's sealer and what its ARC-Authentication-Results said, and temperror
// instead of fail when a key could not be fetched (mailauth reports that as fail).
// trustedArcPass() is the override rule: a valid chain in which a trusted sealer
// recorded dmarc=pass vouches for a message that fails DMARC here only because it
// was forwarded (a mailing list changed it, a forwarder broke SPF).

import { arc as mailauthArc } from 'mailauth';
import type { DnsResolver } from '../dns/resolver.js';
import { adaptResolver } from './dns-adapter.js';
import { normalizeDomain } from './org-domain.js';

export type ArcResult = 'pass' | 'fail' | 'none' | 'temperror';

export interface ArcHop {
  /** i= */
  instance: number;
  /** d= of the hop's ARC-Seal: who vouches for this hop. */
  sealer: string;
  /** The authserv-id of its ARC-Authentication-Results. */
  authservId: string;
  /** method -> result in its ARC-Authentication-Results (first of each method). */
  results: Record<string, string>;
}

export interface ArcOutcome {
  result: ArcResult;
  /** Number of ARC sets (the newest i=). */
  instances: number;
  /** d= of the newest ARC-Seal (RFC 8601 header.oldest-pass is not computed). */
  sealer?: string;
  comment?: string;
  /** Hops from i=1 to the newest; present when the chain could be read. */
  hops: ArcHop[];
}

interface ChainEntry {
  i: number;
  'arc-seal'?: { parsed?: Record<string, { value: string | number } | undefined> };
  'arc-authentication-results'?: { original?: Buffer | string };
}
interface ArcData {
  chain?: ChainEntry[] | false;
  lastEntry?: { messageSignature?: { status?: { result?: string } } };
}

/** Removes RFC 5322 comments (nested too) and collapses white space. */
function uncomment(s: string): string {
  let prev;
  do {
    prev = s;
    s = s.replace(/\((?:[^()\\]|\\.)*\)/g, ' ');
  } while (s !== prev);
  return s.replace(/\s+/g, ' ').trim();
}

/** "i=1; mx.example; spf=pass ...; dkim=pass ...; dmarc=pass ..." -> authserv-id and method results. */
export function parseArcAuthResults(field: string): { authservId: string; results: Record<string, string> } {
  const value = uncomment(field.replace(/^[^:]*:/, ''));
  const parts = value.split(';').map((p) => p.trim());
  if (/^i\s*=/i.test(parts[0] ?? '')) parts.shift();
  const authservId = (parts.shift() ?? '').split(' ')[0].toLowerCase();
  const results: Record<string, string> = {};
  for (const p of parts) {
    const m = /^([a-z0-9-]+)\s*=\s*([a-z]+)/i.exec(p);
    if (m && !(m[1].toLowerCase() in results)) results[m[1].toLowerCase()] = m[2].toLowerCase();
  }
  return { authservId, results };
}

function hops(data: ArcData): ArcHop[] {
  if (!Array.isArray(data.chain)) return [];
  return data.chain.map((e) => ({
    instance: e.i,
    sealer: normalizeDomain(String(e['arc-seal']?.parsed?.d?.value ?? '')),
    ...parseArcAuthResults(Buffer.from(e['arc-authentication-results']?.original ?? '').toString('latin1')),
  }));
}

/** Validates the ARC chain gathered by verifyDkim() (its `arcData`). */
export async function verifyArc(arcData: unknown, dns: DnsResolver, opts: { minRsaBits?: number } = {}): Promise<ArcOutcome> {
  const data = (arcData ?? { chain: false }) as ArcData;
  const adapted = adaptResolver(dns);
  const r = await mailauthArc(data as Parameters<typeof mailauthArc>[0], { resolver: adapted.resolve, minBitLength: Math.max(1024, opts.minRsaBits ?? 1024) } as Parameters<typeof mailauthArc>[1]);
  const chain = hops(data);
  const newest = chain[chain.length - 1];
  const out: ArcOutcome = { result: r.status.result as ArcResult, instances: newest?.instance ?? 0, hops: chain };
  if (newest) out.sealer = newest.sealer;
  if (r.status.comment) out.comment = r.status.comment;
  const amsTemp = data.lastEntry?.messageSignature?.status?.result === 'temperror';
  if (out.result === 'fail' && (adapted.failures.length || amsTemp)) {
    out.result = 'temperror';
    out.comment = 'temporary DNS failure while fetching an ARC key';
  }
  if (!['pass', 'fail', 'none', 'temperror'].includes(out.result)) out.result = 'fail';
  return out;
}

/**
 * The hop of a passing chain whose trusted sealer saw dmarc=pass, looking only at the
 * unbroken run of trusted sealers from the newest hop back: only the newest
 * ARC-Message-Signature is verified against the message, so a trusted set behind an
 * untrusted hop could have been copied onto other content. Undefined: no override.
 */
export function trustedArcPass(arc: ArcOutcome, trustedSealers: readonly string[]): ArcHop | undefined {
  if (arc.result !== 'pass' || !trustedSealers.length) return undefined;
  const trusted = new Set(trustedSealers.map(normalizeDomain));
  for (let i = arc.hops.length - 1; i >= 0 && trusted.has(arc.hops[i].sealer); i--) {
    if (arc.hops[i].results.dmarc === 'pass') return arc.hops[i];
  }
  return undefined;
}
