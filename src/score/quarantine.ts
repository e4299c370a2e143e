// A7 whether our end-of-data checks quarantined a queued message: eod.score wrote
// "quarantine" into X-Rampart-Score (for score.quarantine or a DMARC p=quarantine).
// Only the fields Rampart added at end of data (the queue file's prepend) are read,
// never the message as sent: a sender's own X-Rampart-Score means nothing here.

import { SCORE_HEADER } from './score.js';

const QUARANTINED = new RegExp(`(?:^|\\r\\n)${SCORE_HEADER}: -?[0-9.]+ quarantine\\b`, 'i');

/** True when `prepend` (header fields added at end of data) marks the message quarantined. */
export function isQuarantined(prepend: Buffer): boolean {
  return prepend.length > 0 && QUARANTINED.test(prepend.toString('latin1'));
}
