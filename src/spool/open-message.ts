// The one way to read a queued message whole: the fields added at end of data
// (the prepend), then the stored octets - from memory when the spool handed
// them over at commit, else streamed from the queue file. Every reader goes
// through here - the transports (maildir, smtp, lmtp: OutboundMessage.open()),
// forwarding, the copy or header section a DSN returns, `queue show` - so none
// can forget the prepend. Its octet count is queue-file.ts messageSize().

import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

export interface MessageSource {
  /** Queue file path. */
  path: string;
  /** Where the stored octets start in the file, and how many there are. */
  bodyOffset: number;
  size: number;
  /** Emitted before the stored octets (empty or absent: none). */
  prepend?: Buffer;
  /** The stored octets, when they are in memory (then the file is not read). */
  body?: Buffer;
}

/** The whole message (prepend + stored octets), as a byte stream. */
export function openMessage(src: MessageSource): Readable {
  return Readable.from(parts(src), { objectMode: false });
}

async function* parts(src: MessageSource): AsyncGenerator<Buffer> {
  if (src.prepend?.length) yield src.prepend;
  if (src.body) {
    if (src.body.length !== src.size) throw new Error(`message ${src.path}: ${src.body.length} octets in memory, ${src.size} expected`);
    if (src.body.length) yield src.body;
    return;
  }
  if (src.size === 0) return;
  let read = 0;
  for await (const chunk of createReadStream(src.path, { start: src.bodyOffset, end: src.bodyOffset + src.size - 1, highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    read += chunk.length;
    yield chunk;
  }
  if (read !== src.size) throw new Error(`queue file ${src.path} is shorter than its message`);
}
