// A7 the eod decision from the score: at score.reject 550 5.7.1 (the text names no
// rule; the log gets the contributions), else nothing (quarantine is a mark). When
// DNS lists that did not answer could have moved the total across score.reject -
// an allow list that could have lowered it, a block list that could have raised it -
// the answer is 451 4.7.1, our fault: a DNS failure never makes a hard refusal, and
// never lets through what the threshold would have refused.

import { localFailure, reject, type Verdict } from '../core/decision.js';
import type { ScoreOutcome } from './score.js';

export const SCORE_CHECK = 'eod.score';

/** `unknown`: how far the total could move, down and up, with the answers that are missing. */
export function scoreVerdict(outcome: ScoreOutcome, unknown: { down: number; up: number } = { down: 0, up: 0 }): Verdict {
  const at = outcome.rejectAt;
  if (at === undefined) return undefined;
  const parts = outcome.marks.map((m) => `${m.check}=${m.score}`).join(' ');
  const low = outcome.total - unknown.down;
  const high = outcome.total + unknown.up;
  if (low >= at) return reject(SCORE_CHECK, 550, '5.7.1', 'Message refused: it looks like spam', `score ${outcome.total}: ${parts}`, 'A7');
  if (high >= at) {
    return localFailure(SCORE_CHECK, 451, '4.7.1', 'Message deferred, please try again later', `score ${outcome.total} (${low}..${high} with the DNS lists that did not answer), reject at ${at}: ${parts}`, 'A7');
  }
  return undefined;
}
