// Looks for octets over 127 in a queued message, for the rare peer without
// 8BITMIME or SMTPUTF8: only then does the transport read the message twice.

import type { OutboundMessage } from './types.js';

/** Where the message has 8-bit octets: in its header, in its body. */
export async function eightBitParts(msg: OutboundMessage, headerOnly: boolean): Promise<{ header: boolean; body: boolean }> {
  const found = { header: false, body: false };
  let inHeader = true;
  let tail = Buffer.alloc(0); // the last 3 octets, to find CRLFCRLF across chunks
  const source = msg.open();
  try {
    for await (const c of source) {
      let chunk = c as Buffer;
      if (inHeader) {
        const joined = Buffer.concat([tail, chunk]);
        const end = joined.indexOf('\r\n\r\n');
        const header = end < 0 ? joined : joined.subarray(0, end);
        if (has8bit(header)) found.header = true;
        if (end < 0) {
          tail = joined.subarray(Math.max(0, joined.length - 3));
          continue;
        }
        inHeader = false;
        if (headerOnly) break;
        chunk = joined.subarray(end + 4);
      }
      if (has8bit(chunk)) {
        found.body = true;
        break;
      }
    }
  } finally {
    source.destroy();
  }
  return found;
}

function has8bit(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] > 127) return true;
  return false;
}

export function isAscii(s: string): boolean {
  return !/[^\x00-\x7f]/.test(s);
}
