// A5 RFC 8601 section 5 in the cleanup stage: an Authentication-Results field of the
// outermost header that claims our authserv-id is removed before the message is
// stored, so a sender cannot forge our verdict (eod.dkim adds our own field on top).
// Fields of other authserv-ids stay (other ADMDs' claims); ARC-Authentication-Results
// belong to ARC sets and are never touched. The cleanup stage already holds each
// header field whole (mime-structure.ts), so this decides on the whole field; a field
// too long to hold (over 64 KiB) is decided on its start, where the authserv-id is,
// and its remaining lines follow the decision.

import { claimsAuthservId } from '../sender-auth/authserv-id.js';

const NAME = 'authentication-results';

export class OwnAuthResults {
  /** Fields removed from this message. */
  removed = 0;

  constructor(private readonly authservId: string) {}

  /** True when the field (its lines, name first) claims our authserv-id: the caller drops it. */
  claims(lines: readonly Buffer[]): boolean {
    const first = lines[0];
    if (first.length <= NAME.length || (first[0] | 0x20) !== 0x61) return false; // cheap: not "a..."
    if (first.toString('latin1', 0, NAME.length).toLowerCase() !== NAME) return false;
    if (!claimsAuthservId(Buffer.concat(lines as Buffer[]).toString('latin1'), this.authservId)) return false;
    this.removed++;
    return true;
  }
}
