// A6 the DNSBL threshold: a client whose summed score reaches dnsbl.threshold is
// refused with 554 5.7.1 (at connect: then disconnected; at RCPT: per recipient, so
// the log shows sender and recipients, as postscreen's "enforce"). The client is
// told nothing about which list: the zones and replies go to the log only.
// A zone that did not answer (timeout, SERVFAIL) lists nothing; when its answer could
// have changed the outcome - a block list that could have reached the threshold, an
// allow list that could have kept the client under it - the client gets 451 4.7.1
// as our fault (fail closed, never counted against it), never a pass and never a
// hard refusal built on a missing answer.

import { drop, localFailure, reject, type Verdict } from '../core/decision.js';
import type { DnsblReport } from './lookup.js';
import type { DnsblSite } from './sites.js';

export const DNSBL_FEATURE = 'A6';

/** One line for the log: "zen.example=127.0.0.2(+3) dnswl.example=127.0.10.1(-5)". */
export function describeListings(report: DnsblReport): string {
  return report.listed.map((l) => `${l.zone}=${l.replies.join(',')}(${l.weight >= 0 ? '+' : ''}${l.weight})`).join(' ');
}

/** The lowest and highest score the client could have had, had the failed zones answered. */
export function scoreRange(report: DnsblReport, sites: readonly DnsblSite[]): { low: number; high: number } {
  let low = report.score;
  let high = report.score;
  for (const s of sites) {
    if (!report.failures.some((f) => f.zone === s.zone)) continue;
    if (s.weight < 0) low += s.weight;
    else high += s.weight;
  }
  return { low, high };
}

/** The refusal when the score reaches the threshold; undefined below it (or without a threshold). */
export function dnsblVerdict(report: DnsblReport, sites: readonly DnsblSite[], threshold: number | undefined, stage: 'connect' | 'rcpt', ip: string): Verdict {
  if (threshold === undefined) return undefined;
  const check = stage === 'connect' ? 'connect.dnsbl' : 'rcpt.dnsbl';
  const { low, high } = scoreRange(report, sites);
  const listed = describeListings(report) || 'not listed';
  if (low < threshold) {
    if (high < threshold) return undefined;
    const failed = report.failures.map((f) => `${f.zone}: ${f.code}`).join(', ');
    const reason = `${ip} DNSBL score ${report.score} (${low}..${high} with the zones that did not answer: ${failed}), threshold ${threshold}: ${listed}`;
    return localFailure(check, 451, '4.7.1', 'Service temporarily unavailable, please try again later', reason, DNSBL_FEATURE);
  }
  const reason = `${ip} DNSBL score ${report.score} >= ${threshold}: ${listed}`;
  const text = 'Service unavailable: your address has a poor reputation';
  return stage === 'connect' ? drop(check, 554, '5.7.1', text, reason, DNSBL_FEATURE) : reject(check, 554, '5.7.1', text, reason, DNSBL_FEATURE);
}
