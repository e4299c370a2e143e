// A6 the DNSBL threshold: a client whose summed score reaches dnsbl.threshold is
// refused with 554 5.7.1 (at connect: then disconnected; at RCPT: per recipient, so
// the log shows sender and recipients, as postscreen's "enforce"). The client is
// told nothing about which list: the zones and replies go to the log only.

import { drop, reject, type Verdict } from '../core/decision.js';
import type { DnsblReport } from './lookup.js';

export const DNSBL_FEATURE = 'A6';

/** One line for the log: "zen.example=127.0.0.2(+3) dnswl.example=127.0.10.1(-5)". */
export function describeListings(report: DnsblReport): string {
  return report.listed.map((l) => `${l.zone}=${l.replies.join(',')}(${l.weight >= 0 ? '+' : ''}${l.weight})`).join(' ');
}

/** The refusal when the score reaches the threshold; undefined below it (or without a threshold). */
export function dnsblVerdict(report: DnsblReport, threshold: number | undefined, stage: 'connect' | 'rcpt', ip: string): Verdict {
  if (threshold === undefined || report.score < threshold) return undefined;
  const reason = `${ip} DNSBL score ${report.score} >= ${threshold}: ${describeListings(report)}`;
  const text = 'Service unavailable: your address has a poor reputation';
  return stage === 'connect' ? drop('connect.dnsbl', 554, '5.7.1', text, reason, DNSBL_FEATURE) : reject('rcpt.dnsbl', 554, '5.7.1', text, reason, DNSBL_FEATURE);
}
