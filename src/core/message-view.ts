// What an end-of-data check sees of the message: the stored header fields, a
// stream of the stored octets, and a way to add header fields on top. The stored
// message is our Received header (and mark headers), then the client's message
// after cleanup (S5-S8), exactly as delivery will read it.

import type { Readable } from 'node:stream';

export interface HeaderField {
  /** Field name as written, e.g. "DKIM-Signature". */
  name: string;
  /** Unfolded value (CRLFs of folding removed), leading white space trimmed; UTF-8 decoded when valid. */
  value: string;
  /** The field as stored, folding and final CRLF included, one character per octet
   * (latin1): Buffer.from(raw, 'latin1') gives the octets back (what DKIM hashes). */
  raw: string;
}

export interface MessageView {
  /** Octets stored (our Received header included; fields added at eod not). */
  readonly size: number;
  /** The header fields as stored, top first; parsed on first use, only then. */
  headers(): Promise<readonly HeaderField[]>;
  /**
   * The stored octets from the first one: from memory for a small message, read
   * back from the spool file for a large one (never a second in-memory copy).
   * Each call starts a new stream.
   */
  stream(): Readable;
  /**
   * Adds a header field on top of the message when it is committed: above our
   * Received header, and above the fields added before it (as trace fields stack).
   * Name must be a valid field name; the value may be pre-folded with CRLF + WSP.
   */
  addHeader(name: string, value: string): void;
}
