// The one place that turns a queued message back into its bytes, for every
// reader: transports (maildir, smtp, lmtp), forwarding, and the copy a DSN
// returns. Whatever the queue file keeps apart from the message bytes (fields
// the eod stage adds) is joined here, so no reader needs to know the layout.

import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { QueuedMessage } from './queue-file.js';

/**
 * The whole message (header and body, CRLF lines) from its first octet, as a
 * stream. `memBody` is the copy the spool handed over at commit, when it has
 * one; then the file is not read. The stream yields exactly `q.size` octets.
 */
export function openMessage(queuePath: string, q: Pick<QueuedMessage, 'bodyOffset' | 'size'>, memBody?: Buffer): Readable {
  if (memBody) return Readable.from([memBody], { objectMode: false });
  if (q.size === 0) return Readable.from([], { objectMode: false });
  return createReadStream(queuePath, { start: q.bodyOffset, end: q.bodyOffset + q.size - 1, highWaterMark: 256 * 1024 });
}
