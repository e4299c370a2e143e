// The queue file format: one file per message, written once.
//   line 1:   "RQ1 <n>\n"        (format tag and length of the envelope JSON)
//   n octets: envelope JSON
//   rest:     the message exactly as received (Received header first), CRLF lines

import { open } from 'node:fs/promises';
import type { SpoolEnvelope } from '../smtp/submitter.js';

export interface QueuedMessage {
  id: string;
  envelope: SpoolEnvelope;
  /** Offset of the first message octet in the file. */
  bodyOffset: number;
  /** Message size in octets. */
  size: number;
}

export function encodePreamble(env: SpoolEnvelope): Buffer {
  const json = Buffer.from(JSON.stringify(env), 'utf8');
  return Buffer.concat([Buffer.from(`RQ1 ${json.length}\n`, 'latin1'), json]);
}

/** Reads the envelope of a queue file without reading the message. */
export async function readQueueFile(path: string, id: string): Promise<QueuedMessage> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(32);
    const { bytesRead } = await fh.read(head, 0, 32, 0);
    const nl = head.subarray(0, bytesRead).indexOf(10);
    const m = nl > 0 ? /^RQ1 (\d+)$/.exec(head.subarray(0, nl).toString('latin1')) : null;
    if (!m) throw new Error(`queue file ${id}: bad preamble`);
    const len = Number(m[1]);
    const json = Buffer.alloc(len);
    await fh.read(json, 0, len, nl + 1);
    const envelope = JSON.parse(json.toString('utf8')) as SpoolEnvelope;
    const bodyOffset = nl + 1 + len;
    return { id, envelope, bodyOffset, size: size - bodyOffset };
  } finally {
    await fh.close();
  }
}
