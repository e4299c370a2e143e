// Helpers for the cleanup unit tests: default settings, a memory sink, feeding a
// message in odd-sized chunks, and a MIME parse of the result with an independent
// parser (@zone-eu/mailsplit, libmime) to check the output is still valid MIME.

import { Readable } from 'node:stream';
import { Splitter } from '@zone-eu/mailsplit';
import type { MessageSink } from '../core/submission.js';
import type { Decision } from '../core/decision.js';
import { CleanupPipeline, type CleanupDecide, type CleanupSettings, type CleanupStats } from './pipeline.js';

/** Cleanup settings for a test; `warn` names the checks the test's decide() treats as warn mode. */
export type TestSettings = Partial<CleanupSettings> & { warn?: string[] };

export function settings(o: TestSettings = {}): CleanupSettings {
  const { warn: _warn, ...rest } = o;
  return { maxHeaderLines: 150, headerLimit: undefined, longLines: 'truncate', parameterLengthLimit: 1024, nameParameterLengthLimit: 128, mimeProcessing: false, ...rest };
}

/** finalize()'s warn mode in small: a check named in `warn` is logged (into `logs`) and not enforced. */
export function testDecide(warn: readonly string[] = [], logs: Array<Record<string, unknown>> = []): CleanupDecide {
  return (d) => {
    const w = warn.includes(d.check);
    logs.push({ event: 'decision', check: d.check, feature: d.feature, action: d.action, code: d.code, enhanced: d.enhanced, reason: d.reason, warn: w || undefined });
    return w ? undefined : d;
  };
}

export class MemorySink implements MessageSink {
  readonly id = 'TEST';
  chunks: Buffer[] = [];
  bytes = 0;
  /** Keep only a count (for very large inputs). */
  constructor(private readonly keep = true) {}
  write(b: Buffer): Promise<void> | undefined {
    this.bytes += b.length;
    if (this.keep) this.chunks.push(Buffer.from(b)); // copied: the input may be reused
    // Back-pressure now and then, as the spool sink does.
    return this.chunks.length % 5 === 0 ? new Promise((r) => setImmediate(r)) : undefined;
  }
  get size(): number {
    return this.bytes;
  }
  stream(): Readable {
    return Readable.from(this.chunks, { objectMode: false });
  }
  async commit(): Promise<void> {}
  async abort(): Promise<void> {}
  get data(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export interface Cleaned {
  out: Buffer;
  text: string;
  refusal: Decision | undefined;
  stats: CleanupStats;
  logs: Array<Record<string, unknown>>;
}

/** A deterministic sequence of chunk sizes (1..max). */
function* sizes(seed: number, max: number): Generator<number> {
  let x = seed || 1;
  for (;;) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    yield 1 + (x % max);
  }
}

/** Runs a message through a pipeline; `chunking`: fixed size, or a seed for random sizes up to 3000. */
export async function clean(msg: string | Buffer, o: TestSettings = {}, chunking: number | { seed: number } = 65536): Promise<Cleaned> {
  const buf = typeof msg === 'string' ? Buffer.from(msg, 'latin1') : msg;
  const logs: Array<Record<string, unknown>> = [];
  const p = new CleanupPipeline(settings(o), testDecide(o.warn, logs), (f) => logs.push(f));
  const sink = new MemorySink();
  const gen = typeof chunking === 'number' ? undefined : sizes(chunking.seed, 3000);
  for (let i = 0; i < buf.length; ) {
    const n = gen ? gen.next().value! : (chunking as number);
    await p.write(buf.subarray(i, i + n), sink);
    i += n;
  }
  const refusal = await p.finish(sink);
  const out = sink.data;
  return { out, text: out.toString('latin1'), refusal, stats: p.stats, logs };
}

/** Octets of the longest line (line end included). */
export function longestLine(b: Buffer): number {
  let max = 0;
  let start = 0;
  for (;;) {
    const q = b.indexOf(10, start);
    const end = q < 0 ? b.length : q + 1;
    max = Math.max(max, end - start);
    if (q < 0) return max;
    start = q + 1;
  }
}

export interface MimePart {
  contentType: string | false;
  multipart: string | false;
  encoding: string | false;
  filename: string | false;
  /** Raw header block. */
  header: string;
  /** Body octets as written (still transfer-encoded). */
  body: Buffer;
}

/** Parses a message with mailsplit: one entry per MIME node, in order. */
export function parseMime(msg: Buffer): Promise<MimePart[]> {
  return new Promise((resolve, reject) => {
    const parts: MimePart[] = [];
    const bodies = new Map<unknown, Buffer[]>();
    const splitter = new Splitter();
    splitter.on('data', (d) => {
      if (d.type === 'node') {
        const b: Buffer[] = [];
        bodies.set(d, b);
        parts.push({ contentType: d.contentType, multipart: d.multipart, encoding: d.encoding, filename: d.filename, header: d.getHeaders().toString('latin1'), body: Buffer.alloc(0) });
        (parts[parts.length - 1] as MimePart & { node?: unknown }).node = d;
      } else if (d.type === 'body') bodies.get(d.node)?.push(d.value);
    });
    const events = splitter as unknown as NodeJS.EventEmitter;
    events.on('end', () => {
      for (const p of parts as Array<MimePart & { node?: unknown }>) {
        p.body = Buffer.concat(bodies.get(p.node) ?? []);
        delete p.node;
      }
      resolve(parts);
    });
    events.on('error', reject);
    splitter.end(msg);
  });
}

/** Decodes a quoted-printable body (soft breaks removed, =XX decoded). */
export function decodeQp(b: Buffer): Buffer {
  const s = b.toString('latin1').replace(/=\r?\n/g, '');
  return Buffer.from(s.replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
}
