// The queue file format: one file per message, written once, front to back.
//
//   "RQ2 <n>\n"              format tag and length of the envelope JSON   } written when the
//   n octets                 envelope JSON                                } message starts
//   m octets                 the message as received and cleaned (our Received header first)
//   p octets                 header fields added at end of data (the prepend), CRLF lines
//   "RQ2T <m> <p>\n"         trailer: m and p as 12 decimal digits each (31 octets)
//
// The message streams to disk while it arrives, so fields added at end of data
// (Authentication-Results, X-Rampart-Score, DKIM-Signature) cannot go in front
// of it; they are appended with the trailer in the commit's last write, before
// the fdatasync, and every reader emits them BEFORE the message octets
// (readQueueFile() gives them as `prepend`; openMessage() streams the whole).
// A file without a valid trailer is incomplete and never acknowledged: commit
// renames into queue/ only after the fdatasync.
//
// RQ1 files (before the prepend existed) have no trailer: the message runs to
// the end of the file and nothing is prepended. They are still read.

import { open } from 'node:fs/promises';
import type { SpoolEnvelope } from '../core/submission.js';

export interface QueuedMessage {
  id: string;
  envelope: SpoolEnvelope;
  /** Offset of the first stored message octet in the file. */
  bodyOffset: number;
  /** Stored message octets (without the prepend). */
  size: number;
  /** Header fields added at end of data, emitted before the stored octets (empty when none). */
  prepend: Buffer;
  /** Size of the whole file (for recycling). */
  fileSize: number;
}

const TRAILER_LENGTH = 31;
const TRAILER = /^RQ2T (\d{12}) (\d{12})\n$/;
const NO_PREPEND = Buffer.alloc(0);

export function encodePreamble(env: SpoolEnvelope): Buffer {
  const json = Buffer.from(JSON.stringify(env), 'utf8');
  return Buffer.concat([Buffer.from(`RQ2 ${json.length}\n`, 'latin1'), json]);
}

/** The trailer for `size` message octets followed by `prependLength` octets of prepend. */
export function encodeTrailer(size: number, prependLength: number): Buffer {
  const t = Buffer.from(`RQ2T ${String(size).padStart(12, '0')} ${String(prependLength).padStart(12, '0')}\n`, 'latin1');
  if (t.length !== TRAILER_LENGTH) throw new Error(`queue file trailer: message too large (${size} octets)`);
  return t;
}

/** The whole message's octet count: prepend + stored octets. */
export function messageSize(q: Pick<QueuedMessage, 'size' | 'prepend'>): number {
  return q.prepend.length + q.size;
}

/** Reads the envelope and the prepend of a queue file without reading the message. */
export async function readQueueFile(path: string, id: string): Promise<QueuedMessage> {
  const fh = await open(path, 'r');
  try {
    const { size: fileSize } = await fh.stat();
    const head = Buffer.alloc(32);
    const { bytesRead } = await fh.read(head, 0, 32, 0);
    const nl = head.subarray(0, bytesRead).indexOf(10);
    const m = nl > 0 ? /^RQ([12]) (\d+)$/.exec(head.subarray(0, nl).toString('latin1')) : null;
    if (!m) throw new Error(`queue file ${id}: bad preamble`);
    const len = Number(m[2]);
    const json = Buffer.alloc(len);
    await fh.read(json, 0, len, nl + 1);
    const envelope = JSON.parse(json.toString('utf8')) as SpoolEnvelope;
    const bodyOffset = nl + 1 + len;
    if (m[1] === '1') return { id, envelope, bodyOffset, size: fileSize - bodyOffset, prepend: NO_PREPEND, fileSize };
    const tail = Buffer.alloc(TRAILER_LENGTH);
    const t = fileSize >= bodyOffset + TRAILER_LENGTH ? TRAILER.exec((await fh.read(tail, 0, TRAILER_LENGTH, fileSize - TRAILER_LENGTH)).buffer.toString('latin1')) : null;
    const size = t ? Number(t[1]) : -1;
    const prependLength = t ? Number(t[2]) : -1;
    if (!t || bodyOffset + size + prependLength + TRAILER_LENGTH !== fileSize) throw new Error(`queue file ${id}: incomplete (bad trailer)`);
    let prepend = NO_PREPEND;
    if (prependLength > 0) {
      prepend = Buffer.alloc(prependLength);
      await fh.read(prepend, 0, prependLength, bodyOffset + size);
    }
    return { id, envelope, bodyOffset, size, prepend, fileSize };
  } finally {
    await fh.close();
  }
}
