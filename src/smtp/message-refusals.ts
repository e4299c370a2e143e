// Decisions about the message itself that the intake takes outside the runner
// (guards listed in policy/registry.ts, finalized through SessionPolicy.decide):
// P3 bare line endings at the end of the data, and spool trouble (data.spool:
// the file cannot be opened; eod.spool: it cannot be written or made durable).
// Spool trouble is our fault (fault 'server'): H5 never counts it.

import { localFailure, reject, type Decision } from '../core/decision.js';

/** P3: bare CR or LF in the content (smtp.bareLineEndings: reject). */
export function bareLineEndingsRefusal(bareLf: number, bareCr: number): Decision {
  return reject('eod.bareLineEndings', 554, '5.6.0', 'Message refused: bare CR or LF in message content, lines must end with CRLF', `${bareLf} bare LF, ${bareCr} bare CR`, 'P3');
}

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/** True for the errors of a full file system or quota. */
export function isNoSpace(e: unknown): boolean {
  return NO_SPACE.has((e as NodeJS.ErrnoException)?.code ?? '');
}

/** The spool file could not be opened at DATA / the first BDAT. */
export function spoolOpenFailure(e: unknown): Decision {
  return isNoSpace(e)
    ? localFailure('data.spool', 452, '4.3.1', 'Insufficient system storage, please try again later', `spool: ${(e as Error).message}`, 'P5')
    : localFailure('data.spool', 451, '4.3.0', 'Local error in processing, please try again later', `spool: ${(e as Error).message}`, 'P5');
}

/** Writing the message, or making it durable, failed (ENOSPC: 452 4.3.1). */
export function spoolWriteFailure(e: unknown): Decision {
  return isNoSpace(e)
    ? localFailure('eod.spool', 452, '4.3.1', 'Insufficient system storage, please try again later', `spool: ${(e as Error).message}`, 'P5')
    : localFailure('eod.spool', 451, '4.3.0', 'Local error in processing, please try again later', `spool: ${(e as Error).message}`, 'P5');
}
