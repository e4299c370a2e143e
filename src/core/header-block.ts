// The header block of a message (RFC 5322 2.2): read from a stream up to the
// empty line, and split into fields. Used by end-of-data checks (through
// cleanup/stored-message.ts) and by the queue tools.

import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { HeaderField } from './message-view.js';

/** Most header octets read by default; a larger header block is cut there. */
export const MAX_HEADER_BLOCK = 1024 * 1024;

/** Reads a stream up to the end of the header block (the empty line), at most MAX_HEADER_BLOCK octets. */
export async function readHeaderBlock(stream: Readable, max = MAX_HEADER_BLOCK): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parts.push(chunk);
      total += chunk.length;
      const sofar = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      const end = sofar.indexOf('\r\n\r\n');
      if (end >= 0) return sofar.subarray(0, end + 2);
      if (sofar.subarray(0, 2).toString('latin1') === '\r\n') return Buffer.alloc(0); // no header at all
      if (total >= max) return sofar.subarray(0, max);
      if (parts.length > 1) parts.splice(0, parts.length, sofar);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts);
}

/** Header fields of a header block (CRLF lines; a line starting with WSP continues a field). */
export function parseHeaderFields(block: Buffer): HeaderField[] {
  const text = block.toString('latin1');
  const fields: HeaderField[] = [];
  let cur: string | undefined;
  const push = () => {
    if (cur === undefined) return;
    const colon = cur.indexOf(':');
    if (colon > 0) {
      const octets = Buffer.from(cur.slice(colon + 1), 'latin1');
      const value = isUtf8(octets) ? octets.toString('utf8') : cur.slice(colon + 1);
      fields.push({ name: cur.slice(0, colon).trimEnd(), value: value.replace(/\r\n(?=[ \t])/g, '').replace(/\r\n$/, '').replace(/^[ \t]+/, ''), raw: cur });
    }
    cur = undefined;
  };
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\r\n', pos);
    const line = nl < 0 ? text.slice(pos) + '\r\n' : text.slice(pos, nl + 2);
    pos = nl < 0 ? text.length : nl + 2;
    if (line === '\r\n') break;
    if ((line[0] === ' ' || line[0] === '\t') && cur !== undefined) cur += line;
    else {
      push();
      cur = line;
    }
  }
  push();
  return fields;
}
