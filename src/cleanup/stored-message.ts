// The MessageView an end-of-data check gets (core/message-view.ts), over the
// spool sink: the header fields as stored (parsed only when a check asks), a
// stream of the stored octets (from memory for a small message, read back from
// its file for a large one), and the header fields checks add on top, which the
// sink stores with the message at commit (spool/queue-file.ts: the prepend).

import type { Readable } from 'node:stream';
import type { HeaderField, MessageView } from '../core/message-view.js';
import type { MessageSink } from '../core/submission.js';
import { parseHeaderFields, readHeaderBlock } from '../core/header-block.js';

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/; // RFC 5322 ftext
// Printable ASCII and HTAB; CRLF only as folding (followed by WSP).
const FIELD_VALUE = /^(?:[\t\x20-\x7e]|\r\n[\t ])*$/;

export class StoredMessage implements MessageView {
  /** Added fields, newest first (each goes on top of the ones before). */
  private readonly added: string[] = [];
  private parsed: Promise<HeaderField[]> | undefined;

  constructor(private readonly sink: MessageSink) {}

  get size(): number {
    return this.sink.size;
  }

  stream(): Readable {
    return this.sink.stream();
  }

  headers(): Promise<readonly HeaderField[]> {
    return (this.parsed ??= readHeaderBlock(this.sink.stream()).then(parseHeaderFields));
  }

  addHeader(name: string, value: string): void {
    if (!FIELD_NAME.test(name)) throw new Error(`addHeader: "${name}" is not a header field name`);
    if (!FIELD_VALUE.test(value)) throw new Error(`addHeader: the value of ${name} must be printable ASCII (CRLF only to fold)`);
    this.added.unshift(`${name}: ${value.replace(/^[ \t]+/, '')}\r\n`);
  }

  /** The fields to store before the message (newest on top), or undefined when none were added. */
  prepend(): Buffer | undefined {
    return this.added.length ? Buffer.from(this.added.join(''), 'latin1') : undefined;
  }
}
