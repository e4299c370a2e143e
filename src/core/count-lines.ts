// Lines of a message stream, counted the way the size guard counts them (S3):
// every LF, plus a last line without one.

import type { Readable } from 'node:stream';

export async function countLines(stream: Readable): Promise<number> {
  let lfs = 0;
  let last = -1;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (!chunk.length) continue;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lfs++;
    last = chunk[chunk.length - 1];
  }
  return lfs + (last >= 0 && last !== 10 ? 1 : 0);
}
