// A7 the eod decision from the score: at score.reject 550 5.7.1 (the text names no
// rule; the log gets the contributions), else nothing (quarantine is a mark).

import { reject, type Verdict } from '../core/decision.js';
import type { ScoreOutcome } from './score.js';

export function scoreVerdict(outcome: ScoreOutcome): Verdict {
  if (outcome.verdict !== 'reject') return undefined;
  const parts = outcome.marks.map((m) => `${m.check}=${m.score}`).join(' ');
  return reject('eod.score', 550, '5.7.1', 'Message refused: it looks like spam', `score ${outcome.total}: ${parts}`, 'A7');
}
