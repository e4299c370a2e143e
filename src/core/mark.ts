// Marks: what a check that does not refuse can still say about a transaction
// (H2 "mark" mode: "no PTR record"). A check hands a Mark to ctx.mark(); the
// session keeps it on the envelope; session-data writes each mark's header right
// after our Received header, and eod checks read the summed spam score from
// ctx.envelope.marks. A mark made at end of data, when those headers are written
// already, has its header added on top of the message (MessageView.addHeader).
// A mark never changes the reply the client gets.

export interface Mark {
  /** The check that marked, "<stage>.<settingName>". */
  check: string;
  /** SPEC feature ID, e.g. "H2". */
  feature: string;
  /** Header field added after the Received header. */
  header?: { name: string; value: string };
  /** Spam score for the filter stage (summed over the transaction's marks). */
  score: number;
  /** Detail for the log only. */
  reason?: string;
}

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/; // RFC 5322 ftext

/** A mark's header field, name checked and value sanitised (one line, printable ASCII); undefined when it has none. */
export function markHeader(m: Mark): { name: string; value: string } | undefined {
  if (!m.header || !FIELD_NAME.test(m.header.name)) return undefined;
  return { name: m.header.name, value: m.header.value.replace(/[\r\n\t]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim() };
}

/** Header lines (CRLF-terminated) for the marks that carry one; names and values are sanitised. */
export function markHeaders(marks: readonly Mark[] | undefined): string {
  let out = '';
  for (const m of marks ?? []) {
    const h = markHeader(m);
    if (h) out += `${h.name}: ${h.value}\r\n`;
  }
  return out;
}

/** The summed spam score of a transaction's marks. */
export function spamScore(marks: readonly Mark[] | undefined): number {
  return (marks ?? []).reduce((sum, m) => sum + m.score, 0);
}
