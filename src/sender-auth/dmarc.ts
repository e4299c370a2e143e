// A3 DMARC evaluation (RFC 7489, DMARCbis alignment) of the RFC 5322.From domain:
// policy discovery at _dmarc.<from>, then at _dmarc.<organizational domain>; pass
// when SPF passed for an aligned domain or a DKIM signature passed for an aligned
// domain (relaxed: same organizational domain from the Public Suffix List; strict:
// same domain). mailauth's own DMARC code is not used: version 4.13.3 ignores
// adkim=s/aspf=s (always relaxed).
// Temporary failures never become a fail: a policy lookup failure, or a fail where
// an aligned SPF or DKIM check was a temperror, is a temperror.
// The disposition is the published policy after pct= sampling / t=y testing and
// after the ARC override (A4): a trusted sealer that saw dmarc=pass -> none.

import type { DnsResolver } from '../dns/resolver.js';
import type { DkimSignatureOutcome } from './dkim-verify.js';
import type { SpfOutcome } from './spf.js';
import type { ArcOutcome } from './arc.js';
import { trustedArcPass } from './arc.js';
import { isDmarcRecord, parseDmarcRecord, weaker, type DmarcPolicy, type DmarcRecord } from './dmarc-record.js';
import { aligned, normalizeDomain, organizationalDomain } from './org-domain.js';

export type DmarcResult = 'pass' | 'fail' | 'none' | 'temperror' | 'permerror';

export interface DmarcOutcome {
  result: DmarcResult;
  /** The RFC 5322.From domain evaluated ('' when there is none). */
  domain: string;
  orgDomain: string;
  /** The record that applies, when one was found. */
  record?: DmarcRecord;
  /** Where the record was found: the From domain or its organizational domain. */
  recordDomain?: string;
  /** The published policy for this domain (p=, or sp= for a subdomain); 'none' without a record. */
  policy: DmarcPolicy;
  /** What the domain asks us to do with this message (policy after pct=/t= and the ARC override); 'none' unless result is fail. */
  disposition: DmarcPolicy;
  /** Why the disposition is weaker than the policy. */
  override?: { type: 'sampled_out' | 'testing' | 'trusted_forwarder'; comment: string };
  alignment: {
    spf: { mode: 'r' | 's'; domain?: string; aligned: boolean };
    dkim: { mode: 'r' | 's'; domains: string[]; aligned: boolean };
  };
  comment?: string;
}

export interface DmarcInput {
  /** Addresses of the From header field(s) (DkimVerification.fromAddresses). */
  fromAddresses: readonly string[];
  spf?: SpfOutcome;
  dkim: readonly DkimSignatureOutcome[];
  arc?: ArcOutcome;
  /** Domains whose valid ARC seal with dmarc=pass overrides a fail. */
  arcTrustedSealers?: readonly string[];
  /** Random number in [0,1) for pct= sampling (tests pass a fixed one). */
  random?: () => number;
}

type Discovery = { kind: 'record'; record: DmarcRecord; at: string } | { kind: 'none' } | { kind: 'temperror'; code: string };

async function lookup(dns: DnsResolver, domain: string): Promise<Discovery | 'next'> {
  const r = await dns.txt(`_dmarc.${domain}`);
  if (r.kind === 'error') return { kind: 'temperror', code: r.code };
  if (r.kind !== 'ok') return 'next';
  const candidates = r.records.filter(isDmarcRecord);
  // RFC 7489 6.6.3: several records, or none, mean no policy at this name.
  if (candidates.length !== 1) return 'next';
  const record = parseDmarcRecord(candidates[0]);
  return record ? { kind: 'record', record, at: domain } : 'next';
}

async function discover(dns: DnsResolver, domain: string, org: string): Promise<Discovery> {
  const own = await lookup(dns, domain);
  if (own !== 'next') return own;
  if (org === domain) return { kind: 'none' };
  const parent = await lookup(dns, org);
  return parent === 'next' ? { kind: 'none' } : parent;
}

async function evaluateOne(domain: string, input: DmarcInput, dns: DnsResolver): Promise<DmarcOutcome> {
  const org = organizationalDomain(domain);
  const found = await discover(dns, domain, org);
  const record = found.kind === 'record' ? found.record : undefined;
  const spfMode = record?.aspf ?? 'r';
  const dkimMode = record?.adkim ?? 'r';
  const spf = input.spf;
  const spfAligned = !!spf && spf.result === 'pass' && aligned(spf.domain, domain, spfMode);
  const dkimDomains = input.dkim.filter((s) => s.result === 'pass' && aligned(s.domain, domain, dkimMode)).map((s) => s.domain);
  const out: DmarcOutcome = {
    result: 'none',
    domain,
    orgDomain: org,
    policy: 'none',
    disposition: 'none',
    alignment: { spf: { mode: spfMode, aligned: spfAligned, ...(spf ? { domain: spf.domain } : {}) }, dkim: { mode: dkimMode, domains: dkimDomains, aligned: dkimDomains.length > 0 } },
  };
  if (found.kind === 'temperror') return { ...out, result: 'temperror', comment: `DMARC policy lookup failed: ${found.code}` };
  if (!record || found.kind !== 'record') return { ...out, comment: 'no DMARC record' };
  out.record = record;
  out.recordDomain = found.at;
  out.policy = found.at !== domain && record.sp ? record.sp : record.p;
  if (spfAligned || dkimDomains.length) return { ...out, result: 'pass' };
  // Could an aligned check have passed, had DNS answered?
  const spfTemp = !!spf && spf.result === 'temperror' && aligned(spf.domain, domain, spfMode);
  const dkimTemp = input.dkim.some((s) => s.result === 'temperror' && aligned(s.domain, domain, dkimMode));
  if (spfTemp || dkimTemp) return { ...out, result: 'temperror', comment: `an aligned ${spfTemp ? 'SPF' : 'DKIM'} check had a temporary DNS failure` };
  out.result = 'fail';
  out.disposition = out.policy;
  const hop = input.arc ? trustedArcPass(input.arc, input.arcTrustedSealers ?? []) : undefined;
  if (hop && out.disposition !== 'none') {
    out.disposition = 'none';
    out.override = { type: 'trusted_forwarder', comment: `ARC i=${hop.instance} sealed by trusted ${hop.sealer} saw dmarc=pass` };
  } else if (record.testing && out.disposition !== 'none') {
    out.disposition = weaker(out.disposition);
    out.override = { type: 'testing', comment: 't=y' };
  } else if (record.pct < 100 && out.disposition !== 'none' && (input.random ?? Math.random)() * 100 >= record.pct) {
    out.disposition = weaker(out.disposition);
    out.override = { type: 'sampled_out', comment: `pct=${record.pct}` };
  }
  return out;
}

const RANK: Record<DmarcResult, number> = { pass: 0, none: 1, permerror: 2, temperror: 3, fail: 4 };
const STRICTNESS: Record<DmarcPolicy, number> = { none: 0, quarantine: 1, reject: 2 };

/**
 * DMARC for the message's From domain. A From naming several domains is evaluated
 * for each and the worst outcome is kept (the strictest disposition among fails).
 */
export async function evaluateDmarc(input: DmarcInput, dns: DnsResolver): Promise<DmarcOutcome> {
  const domains = [...new Set(input.fromAddresses.map((a) => (a.includes('@') ? normalizeDomain(a.slice(a.lastIndexOf('@') + 1)) : '')))];
  if (!domains.length || domains.some((d) => !d)) {
    const why = domains.length ? 'a From address without a valid domain' : 'no From address';
    return {
      result: domains.length ? 'permerror' : 'none',
      domain: '',
      orgDomain: '',
      policy: 'none',
      disposition: 'none',
      alignment: { spf: { mode: 'r', aligned: false }, dkim: { mode: 'r', domains: [], aligned: false } },
      comment: why,
    };
  }
  const outcomes = await Promise.all(domains.map((d) => evaluateOne(d, input, dns)));
  return outcomes.reduce((worst, o) => {
    if (RANK[o.result] !== RANK[worst.result]) return RANK[o.result] > RANK[worst.result] ? o : worst;
    return STRICTNESS[o.disposition] > STRICTNESS[worst.disposition] ? o : worst;
  });
}
