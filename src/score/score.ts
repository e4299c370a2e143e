// A7 scoring: a pure function from the authentication and reputation results of a
// message (SPF, DKIM, DMARC, DNSBL) to marks (src/core/mark.ts), plus the marks
// earlier stages left (the H2 PTR mark carries its own policy.ptrMarkScore), summed
// into one score that score.quarantine / score.reject act on at end of data. Every
// weight can be 0. X-Rampart-Score carries the total, the verdict and each
// non-zero contribution; the DNSBL mark adds X-Rampart-DNSBL (zones named: the
// header is for the recipient, not for the client). A message the From domain's
// DMARC policy quarantines is marked quarantined whatever its score.

import type { Mark } from '../core/mark.js';
import { markHeaders, spamScore } from '../core/mark.js';
import type { SpfOutcome } from '../sender-auth/spf.js';
import type { DkimResult, DkimSignatureOutcome } from '../sender-auth/dkim-verify.js';
import type { DmarcOutcome } from '../sender-auth/dmarc.js';
import type { DnsblReport } from '../dnsbl/lookup.js';
import { describeListings } from '../dnsbl/verdict.js';

export const SCORE_HEADER = 'X-Rampart-Score';
export const DNSBL_HEADER = 'X-Rampart-DNSBL';

export interface ScoreWeights {
  spf: Record<SpfOutcome['result'], number>;
  dkim: Record<DkimResult | 'none', number>;
  dmarc: Record<DmarcOutcome['result'], number>;
  /** Factor on the DNSBL sum. */
  dnsbl: number;
}

export interface ScoreSettings {
  weights: ScoreWeights;
  quarantine: number;
  reject?: number;
}

export interface ScoreInput {
  /** Marks from earlier stages (H2...). */
  marks?: readonly Mark[];
  spf?: SpfOutcome;
  dkim?: readonly DkimSignatureOutcome[];
  dmarc?: DmarcOutcome;
  dnsbl?: DnsblReport;
  /** A check that had the message quarantined whatever its score (eod.dmarc for p=quarantine). */
  quarantinedBy?: string;
}

export type ScoreVerdict = 'accept' | 'quarantine' | 'reject';

export interface ScoreOutcome {
  /** The marks this function adds (one per result given). */
  marks: Mark[];
  /** Earlier marks + ours. */
  total: number;
  verdict: ScoreVerdict;
  /** Header lines (CRLF-terminated): our marks' headers, then X-Rampart-Score. */
  headers: string;
  /** The value of X-Rampart-Score. */
  value: string;
  /** score.reject, when set. */
  rejectAt?: number;
}

const DKIM_ORDER: ReadonlyArray<DkimResult> = ['pass', 'fail', 'permerror', 'neutral', 'temperror'];

/** The message's DKIM result for scoring: pass if any signature passed, else the most telling one. */
export function dkimMessageResult(sigs: readonly DkimSignatureOutcome[]): DkimResult | 'none' {
  if (!sigs.length) return 'none';
  return DKIM_ORDER.find((r) => sigs.some((s) => s.result === r)) ?? 'neutral';
}

const round = (n: number) => Math.round(n * 100) / 100;

export function score(input: ScoreInput, s: ScoreSettings): ScoreOutcome {
  const marks: Mark[] = [];
  if (input.spf) {
    marks.push({ check: 'mail.spf', feature: 'A1', score: s.weights.spf[input.spf.result], reason: `spf=${input.spf.result} (${input.spf.sender})` });
  }
  if (input.dkim) {
    const r = dkimMessageResult(input.dkim);
    marks.push({ check: 'eod.dkim', feature: 'A2', score: s.weights.dkim[r], reason: `dkim=${r}` });
  }
  if (input.dmarc) {
    marks.push({ check: 'eod.dmarc', feature: 'A3', score: s.weights.dmarc[input.dmarc.result], reason: `dmarc=${input.dmarc.result} (${input.dmarc.domain || 'no From domain'})` });
  }
  if (input.dnsbl && input.dnsbl.listed.length) {
    const listings = describeListings(input.dnsbl);
    marks.push({ check: 'connect.dnsbl', feature: 'A6', score: round(input.dnsbl.score * s.weights.dnsbl), header: { name: DNSBL_HEADER, value: listings }, reason: `dnsbl ${listings}` });
  }
  const all = [...(input.marks ?? []), ...marks];
  const total = round(spamScore(all));
  const byScore = total >= s.quarantine;
  const verdict: ScoreVerdict = s.reject !== undefined && total >= s.reject ? 'reject' : byScore || input.quarantinedBy ? 'quarantine' : 'accept';
  const parts = all.filter((m) => m.score !== 0).map((m) => `${m.check}=${round(m.score)}`);
  const forced = verdict === 'quarantine' && !byScore ? ` by ${input.quarantinedBy}` : '';
  const value = `${total} ${verdict}${parts.length ? ` (${parts.join(' ')})` : ''}${forced}`;
  return { marks, total, verdict, headers: markHeaders(marks) + `${SCORE_HEADER}: ${value}\r\n`, value, rejectAt: s.reject };
}
