// S5: maximum header lines (Mailtraq "Maximum Header Lines", default 150). Counts the
// lines of the primary (outermost) header as the client sent them: every line counts,
// folded continuation lines too, the blank line that ends the header does not. Lines
// that wrapping (S7 wrap) adds are not counted; our own Received header is not part of
// the client's message. One line over the limit refuses the message at end of data.

import { reject, type Decision } from '../core/decision.js';

export const HEADER_LINES_CHECK = 'eod.maxHeaderLines';

export class HeaderLineCounter {
  count = 0;
  constructor(readonly max: number) {}

  /** Counts one line; true exactly when this line is the first one over the limit. */
  add(): boolean {
    return ++this.count === this.max + 1;
  }
}

/** 552 5.6.0 (as Sendmail answers "Headers too large"): a limit on the message's format, not on storage. */
export function tooManyHeaderLines(max: number): Decision {
  return reject(HEADER_LINES_CHECK, 552, '5.6.0', 'Message header has too many lines', `more than ${max} header lines`, 'S5');
}
