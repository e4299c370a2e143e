import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineEndingScanner } from './line-endings.js';

const CR = 13;
const LF = 10;

/** Whole-buffer reference: a CR not followed by LF is bare; an LF not preceded by CR is bare. */
function reference(b: Buffer): { bareCr: number; bareLf: number } {
  let bareCr = 0;
  let bareLf = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === CR && b[i + 1] !== LF) bareCr++;
    if (b[i] === LF && (i === 0 || b[i - 1] !== CR)) bareLf++;
  }
  return { bareCr, bareLf };
}

function scanChunks(chunks: Buffer[]): { bareCr: number; bareLf: number } {
  const s = new LineEndingScanner();
  for (const c of chunks) s.scan(c);
  s.end();
  return { bareCr: s.bareCr, bareLf: s.bareLf };
}

const fixed: Array<[string, string, number, number]> = [
  ['P3 empty', '', 0, 0],
  ['P3 only CRLF', 'a\r\nb\r\n', 0, 0],
  ['P3 bare LF', 'a\nb\r\n', 0, 1],
  ['P3 bare CR', 'a\rb\r\n', 1, 0],
  ['P3 LF at start', '\nabc', 0, 1],
  ['P3 CR at end', 'abc\r', 1, 0],
  ['P3 LF CR is one bare of each', 'a\n\rb', 1, 1],
  ['P3 CR CR LF', 'a\r\r\n', 1, 0],
  ['P3 CR LF LF', 'a\r\n\n', 0, 1],
  ['P3 smuggling sequence \\n.\\r\\n', 'a\n.\r\nb', 0, 1],
  ['P3 smuggling sequence \\r\\n.\\r', 'a\r\n.\rMAIL', 1, 0],
  ['P3 only CRs', '\r\r\r', 3, 0],
  ['P3 only LFs', '\n\n\n', 0, 3],
];

for (const [name, input, cr, lf] of fixed) {
  test(`LineEndingScanner: ${name}`, () => {
    const buf = Buffer.from(input, 'latin1');
    assert.deepEqual(reference(buf), { bareCr: cr, bareLf: lf }, 'reference');
    // whole, every single split, and byte by byte
    assert.deepEqual(scanChunks([buf]), { bareCr: cr, bareLf: lf }, 'whole');
    for (let i = 0; i <= buf.length; i++) {
      assert.deepEqual(scanChunks([buf.subarray(0, i), buf.subarray(i)]), { bareCr: cr, bareLf: lf }, `split at ${i}`);
    }
    assert.deepEqual(scanChunks([...buf].map((x) => Buffer.from([x]))), { bareCr: cr, bareLf: lf }, 'byte by byte');
  });
}

/** Small deterministic PRNG so a failure can be reproduced. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('P3 bare CR/LF counts match the whole-buffer reference for random inputs split at every position', () => {
  const rand = rng(51766);
  const alphabet = [CR, LF, 0x78];
  for (let n = 0; n < 400; n++) {
    const len = Math.floor(rand() * 24);
    const buf = Buffer.from(Array.from({ length: len }, () => alphabet[Math.floor(rand() * 3)]));
    const want = reference(buf);
    for (let i = 0; i <= len; i++) {
      assert.deepEqual(scanChunks([buf.subarray(0, i), buf.subarray(i)]), want, `${JSON.stringify(buf.toString('latin1'))} split at ${i}`);
      for (let j = i; j <= len; j++) {
        assert.deepEqual(
          scanChunks([buf.subarray(0, i), buf.subarray(i, j), buf.subarray(j)]),
          want,
          `${JSON.stringify(buf.toString('latin1'))} split at ${i} and ${j}`,
        );
      }
    }
  }
});

test('P3 random chunk sizes, with empty chunks in between', () => {
  const rand = rng(2023);
  for (let n = 0; n < 300; n++) {
    const len = Math.floor(rand() * 200);
    const buf = Buffer.from(Array.from({ length: len }, () => [CR, LF, 0x78, 0x2e][Math.floor(rand() * 4)]));
    const chunks: Buffer[] = [];
    for (let off = 0; off < len; ) {
      const size = Math.floor(rand() * 6);
      chunks.push(buf.subarray(off, off + size));
      off += size;
    }
    assert.deepEqual(scanChunks(chunks), reference(buf), JSON.stringify(buf.toString('latin1')));
  }
});

test('P3 a CR held across chunks is resolved by the next chunk, not counted twice', () => {
  const s = new LineEndingScanner();
  s.scan(Buffer.from('a\r'));
  assert.equal(s.bareCr, 0);
  s.scan(Buffer.alloc(0));
  assert.equal(s.bareCr, 0);
  s.scan(Buffer.from('\nb\r'));
  assert.equal(s.bareCr, 0);
  assert.equal(s.bareLf, 0);
  s.scan(Buffer.from('c'));
  assert.equal(s.bareCr, 1);
  s.end();
  assert.equal(s.bareCr, 1);
  s.end(); // idempotent
  assert.equal(s.bareCr, 1);
});
