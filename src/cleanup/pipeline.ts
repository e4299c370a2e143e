// The cleanup stage for one message: S5 (header lines), S6 (header size), S7 (long
// lines), S8 (MIME parameter lengths), A5 (incoming Authentication-Results claiming
// our authserv-id removed, RFC 8601 section 5), streaming. Its refusals (S5, S7 reject) are
// decided by the caller's `decide` (finalize(): warn mode, log line, counts). The Intake feeds it the client's
// message (after the DATA decoder: dot-unstuffed, CRLF line ends; or BDAT content) and
// it writes the cleaned bytes to the spool sink. Our Received header is written before
// and never passes through here. At the end it answers with the refusal, if any.
//
// Order: header lines arrive whole (up to 64 KiB) -> field assembly -> S5 (counts the
// client's header lines) -> A5 (own-auth-results.ts) -> S8 (Content-Type/-Disposition parameters) -> S7 (long
// header lines cut or folded) -> S6 (primary header size) -> out. Body lines: S7 in the
// stream (cut or wrapped as they arrive, by the part's transfer encoding). Once a refusal is certain (S5 or S7
// reject, not in warn mode) nothing more is written: the rest is read and dropped.

import type { Decision } from '../core/decision.js';
import { reject } from '../core/decision.js';
import type { Listener, Snapshot } from '../config/load.js';
import type { MessageSink } from '../core/submission.js';
import { LineStream, Output, type LongLineEvents } from './line-stream.js';
import { MimeStructure } from './mime-structure.js';
import { HeaderLineCounter, HEADER_LINES_CHECK, tooManyHeaderLines } from './header-lines.js';
import { HeaderSizeLimit, effectiveHeaderLimit } from './header-size.js';
import type { LongLinesMode } from './long-lines.js';
import { OwnAuthResults } from './own-auth-results.js';

export const LONG_LINES_CHECK = 'eod.longLines';

export interface CleanupSettings {
  /** S5 */
  maxHeaderLines: number;
  /** S6: octets, or undefined for no limit. */
  headerLimit: number | undefined;
  /** S7 */
  longLines: LongLinesMode;
  /** S8 */
  parameterLengthLimit: number;
  nameParameterLengthLimit: number;
  mimeProcessing: boolean;
  /** A5: our authserv-id (senderAuth.authservId, default the host name); undefined: nothing removed. */
  authservId?: string;
}

/** The settings for a message received on `listener` under `config`. */
export function cleanupSettings(config: Snapshot, listener: Listener): CleanupSettings {
  const l = config.limits;
  return {
    maxHeaderLines: l.maxHeaderLines,
    headerLimit: effectiveHeaderLimit(l.headerLimit, listener.headerLimit),
    longLines: listener.longLines ?? 'truncate',
    parameterLengthLimit: l.parameterLengthLimit,
    nameParameterLengthLimit: l.nameParameterLengthLimit,
    mimeProcessing: l.mimeProcessing,
    authservId: config.senderAuth.authservId ?? config.hostname,
  };
}

/** S7 reject: a line over 1000 octets is a format violation of the content (RFC 3463 5.6.0), as for bare line ends (P3). */
export function longLineRefusal(): Decision {
  return reject(LONG_LINES_CHECK, 554, '5.6.0', 'Message refused: lines must not be longer than 1000 octets including CRLF', 'line over 1000 octets', 'S7');
}

/** What the stage changed, for the log. */
export interface CleanupStats {
  headerLines: number;
  linesTruncated: number;
  linesWrapped: number;
  headerFieldsDropped: number;
  headerBytesDropped: number;
  paramsTruncated: string[];
  /** A5: Authentication-Results fields claiming our authserv-id, removed. */
  authResultsRemoved: number;
}

/** Where the summary of changes is logged. */
export type CleanupLog = (fields: Record<string, unknown>, msg: string) => void;

/**
 * How a violation is decided: finalize() in the server (logs, counts, warn mode).
 * Returns the decision to enforce, or undefined when its check is in warn mode.
 */
export type CleanupDecide = (d: Decision) => Decision | undefined;

export class CleanupPipeline {
  /** The refusal to answer with at end of data (first violation enforced). */
  refusal: Decision | undefined;
  private readonly lines: LineStream;
  private readonly headerLines: HeaderLineCounter;
  private readonly headerSize: HeaderSizeLimit;
  private readonly events: LongLineEvents;
  private readonly truncatedParams: string[] = [];
  private readonly structure: MimeStructure;
  private readonly ownAuthResults: OwnAuthResults | undefined;
  private longSeen = false;

  constructor(
    readonly settings: CleanupSettings,
    private readonly decide: CleanupDecide,
    private readonly log?: CleanupLog,
  ) {
    this.headerLines = new HeaderLineCounter(settings.maxHeaderLines);
    this.headerSize = new HeaderSizeLimit(settings.headerLimit);
    const self = this;
    this.events = {
      truncated: 0,
      wrapped: 0,
      longLine() {
        if (settings.longLines === 'wrap') return 'wrap';
        if (settings.longLines === 'reject' && !self.longSeen) {
          self.longSeen = true;
          // Warn mode lets the message pass with the default handling (truncate).
          if (self.violation(longLineRefusal())) {
            self.lines.swallow = true;
            return 'swallow';
          }
        }
        return 'truncate';
      },
    };
    this.ownAuthResults = settings.authservId ? new OwnAuthResults(settings.authservId) : undefined;
    const structure = new MimeStructure({
      ownAuthResults: this.ownAuthResults,
      track: settings.longLines === 'wrap' || settings.mimeProcessing,
      mimeProcessing: settings.mimeProcessing,
      paramLimits: settings,
      headerLines: this.headerLines,
      headerSize: this.headerSize,
      truncatedParams: this.truncatedParams,
      longLines: this.events,
      onTooManyHeaderLines: () => {
        if (this.violation(tooManyHeaderLines(settings.maxHeaderLines))) this.lines.swallow = true;
      },
    });
    this.structure = structure;
    this.lines = new LineStream(structure, this.events);
  }

  /** Decides a violation (once per check); true when it is enforced (the message will be refused). */
  private violation(d: Decision): boolean {
    const enforced = this.decide(d);
    if (!enforced) return false;
    this.refusal ??= enforced;
    return true;
  }

  /** Cleans one chunk and writes the result to the sink (with its back-pressure). */
  write(chunk: Buffer, sink: MessageSink): Promise<void> | undefined {
    if (this.lines.swallow) return undefined;
    const out = new Output();
    this.lines.push(chunk, out);
    if (this.lines.swallow) return undefined; // refused: nothing more is stored
    return writeAll(sink, out.take(), 0);
  }

  /** End of the message: writes what was held back; returns the refusal, if any. */
  async finish(sink: MessageSink): Promise<Decision | undefined> {
    if (!this.lines.swallow) {
      const out = new Output();
      this.lines.end(out);
      this.structure.end(out);
      if (!this.lines.swallow) await writeAll(sink, out.take(), 0);
    }
    const s = this.stats;
    if (s.linesTruncated || s.linesWrapped || s.headerFieldsDropped || s.paramsTruncated.length || s.authResultsRemoved) {
      this.log?.({ event: 'cleanup', ...s, refused: this.refusal?.check }, 'cleanup changed the message');
    }
    return this.refusal;
  }

  get stats(): CleanupStats {
    return {
      headerLines: this.headerLines.count,
      linesTruncated: this.events.truncated,
      linesWrapped: this.events.wrapped,
      headerFieldsDropped: this.headerSize.droppedFields,
      headerBytesDropped: this.headerSize.droppedBytes,
      paramsTruncated: this.truncatedParams,
      authResultsRemoved: this.ownAuthResults?.removed ?? 0,
    };
  }
}

/** Writes buffers in order, waiting where the sink asks to. */
function writeAll(sink: MessageSink, bufs: Buffer[], from: number): Promise<void> | undefined {
  for (let i = from; i < bufs.length; i++) {
    const wait = sink.write(bufs[i]);
    if (wait) return wait.then(() => writeAll(sink, bufs, i + 1));
  }
  return undefined;
}

/** HEADER_LINES_CHECK re-exported so callers need one import. */
export { HEADER_LINES_CHECK };
