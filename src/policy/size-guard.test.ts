// SizeGuard: counting octets and lines against the limits while nothing is kept (table-driven).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SizeGuard, type GuardPlan, type GuardDecider } from './size-guard.js';
import type { Decision } from '../core/decision.js';

const size = (bytes: number) => ({ bytes, source: 'limits.maxMessageSize', feature: 'S1' as const });
const plan = (p: Partial<GuardPlan>): GuardPlan => ({ size: size(1000), ...p });

/** A decider like finalize(): names in `warn` are logged (recorded here) and not enforced. */
function decider(warn: string[] = []): GuardDecider & { warned: string[] } {
  const warned: string[] = [];
  return {
    warned,
    warns: (check) => warn.includes(check),
    decide(d: Decision) {
      if (!warn.includes(d.check)) return d;
      warned.push(d.check);
      return undefined;
    },
  };
}

interface Case {
  name: string;
  plan: GuardPlan;
  /** Checks in warn mode (policy.warn). */
  warn?: string[];
  chunks: string[];
  /** Index of the chunk whose count() first returns true (-1: never). */
  stopAt: number;
  check?: string;
  feature?: string;
  tripped?: boolean;
  lines?: number;
  warned?: string[];
}

const cases: Case[] = [
  { name: 'S1 at the limit passes', plan: plan({ size: size(10) }), chunks: ['12345', '67890'], stopAt: -1 },
  { name: 'S1 one octet over stops storing', plan: plan({ size: size(10) }), chunks: ['12345', '67890', 'x'], stopAt: 2, check: 'eod.maxMessageSize', feature: 'S1' },
  { name: 'S2 feature follows the deciding setting', plan: plan({ size: { bytes: 3, source: 'directory recipient domain a maxMessageSize', feature: 'S2' } }), chunks: ['abcd'], stopAt: 0, check: 'eod.maxMessageSize', feature: 'S2' },
  { name: 'S3 lines at the limit pass', plan: plan({ lineLimit: 3 }), chunks: ['a\r\nb', '\r\nc\r\n'], stopAt: -1, lines: 3 },
  { name: 'S3 a line over the limit stops storing', plan: plan({ lineLimit: 3 }), chunks: ['a\r\nb\r\n', 'c\r\nd\r\n'], stopAt: 1, check: 'eod.lineLimit', feature: 'S3' },
  { name: 'S3 a last line without LF counts at the end', plan: plan({ lineLimit: 2 }), chunks: ['a\r\nb\r\n', 'tail'], stopAt: -1, check: 'eod.lineLimit', feature: 'S3', lines: 3 },
  { name: 'S3 empty chunks count nothing', plan: plan({ lineLimit: 1 }), chunks: ['', 'a\r\n', ''], stopAt: -1, lines: 1 },
  { name: 'S4 past abortOver trips', plan: plan({ size: size(10), abortOver: 30 }), chunks: ['x'.repeat(20), 'x'.repeat(10), 'y'], stopAt: 0, check: 'eod.maxMessageSize', tripped: true },
  { name: 'S4 trips even under the size limit (abortOver is absolute)', plan: plan({ size: size(1000), abortOver: 30 }), chunks: ['x'.repeat(30), 'y'], stopAt: 1, tripped: true },
  { name: 'S4 exactly abortOver does not trip', plan: plan({ size: size(100), abortOver: 30 }), chunks: ['x'.repeat(30)], stopAt: -1, tripped: false },
  { name: 'S4 off (exception or disabled): never trips', plan: plan({ size: size(10) }), chunks: ['x'.repeat(1000)], stopAt: 0, check: 'eod.maxMessageSize', tripped: false },
  { name: 'warn mode: size logged once, never enforced', plan: plan({ size: size(2) }), warn: ['eod.maxMessageSize'], chunks: ['abc', 'def'], stopAt: -1, warned: ['eod.maxMessageSize'] },
  { name: 'warn mode: lines logged, not enforced', plan: plan({ lineLimit: 1 }), warn: ['eod.lineLimit'], chunks: ['a\nb\nc\n'], stopAt: -1, warned: ['eod.lineLimit'] },
  { name: 'warn mode: S4 logged, never trips', plan: plan({ size: size(100), abortOver: 5 }), warn: ['data.largeMessageSafety'], chunks: ['abcdef', 'gh'], stopAt: -1, tripped: false, warned: ['data.largeMessageSafety'] },
];

for (const c of cases) {
  test(`SizeGuard: ${c.name}`, () => {
    const dec = decider(c.warn);
    const g = new SizeGuard(c.plan, dec);
    let stopAt = -1;
    c.chunks.forEach((ch, i) => {
      if (g.count(Buffer.from(ch, 'latin1')) && stopAt < 0) stopAt = i;
    });
    assert.equal(stopAt, c.stopAt, 'chunk where storing stops');
    assert.equal(g.bytes, c.chunks.join('').length);
    const d = g.finish();
    assert.equal(d?.check, c.check);
    if (d) {
      assert.equal(d.code, 552);
      assert.equal(d.enhanced, '5.3.4');
      assert.equal(d.action, 'reject');
      if (c.feature) assert.equal(d.feature, c.feature);
    }
    if (c.tripped !== undefined) assert.equal(g.tripped, c.tripped);
    if (c.lines !== undefined) assert.equal(g.lines, c.lines);
    assert.deepEqual(dec.warned, c.warned ?? []);
  });
}

test('SizeGuard keeps no reference to the data it counts (memory stays flat)', () => {
  const g = new SizeGuard(plan({ size: size(10), lineLimit: 1_000_000_000, abortOver: 1e12 }), decider());
  const chunk = Buffer.alloc(1 << 20, 0x61);
  for (let i = 0; i < 50; i++) g.count(chunk);
  assert.equal(g.bytes, 50 << 20);
  // Only numbers and small objects are kept.
  const json = JSON.stringify({ ...g, decider: undefined });
  assert.ok(json.length < 2000, json);
});
