// The intake's own decisions (registered guards): P3 eod.bareLineEndings is the
// client's doing; spool trouble (data.spool, eod.spool) is ours, and a full disk
// (ENOSPC, EDQUOT) is 452 4.3.1 rather than 451 4.3.0.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decisionProblem } from '../core/decision.js';
import { bareLineEndingsRefusal, isNoSpace, spoolOpenFailure, spoolWriteFailure } from './message-refusals.js';

const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
const eio = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });

test('eod.bareLineEndings: 554 5.6.0, P3, the client\'s fault', () => {
  const d = bareLineEndingsRefusal(2, 1);
  assert.deepEqual([d.check, d.action, d.code, d.enhanced, d.feature, d.fault], ['eod.bareLineEndings', 'reject', 554, '5.6.0', 'P3', 'client']);
  assert.equal(decisionProblem(d), undefined);
});

const cases: Array<[string, ReturnType<typeof spoolOpenFailure>, string, number, string]> = [
  ['data.spool ENOSPC', spoolOpenFailure(enospc), 'data.spool', 452, '4.3.1'],
  ['data.spool other error', spoolOpenFailure(eio), 'data.spool', 451, '4.3.0'],
  ['eod.spool ENOSPC', spoolWriteFailure(enospc), 'eod.spool', 452, '4.3.1'],
  ['eod.spool EDQUOT', spoolWriteFailure(Object.assign(new Error('quota'), { code: 'EDQUOT' })), 'eod.spool', 452, '4.3.1'],
  ['eod.spool other error', spoolWriteFailure(eio), 'eod.spool', 451, '4.3.0'],
];
for (const [name, d, check, code, enhanced] of cases) {
  test(`${name}: ${code} ${enhanced}, P5, our fault (never counted by H5)`, () => {
    assert.deepEqual([d.check, d.action, d.code, d.enhanced, d.feature, d.fault], [check, 'tempfail', code, enhanced, 'P5', 'server']);
    assert.equal(decisionProblem(d), undefined);
    assert.match(d.reason ?? '', /^spool: /);
  });
}

test('isNoSpace: only a full file system or quota', () => {
  assert.equal(isNoSpace(enospc), true);
  assert.equal(isNoSpace(eio), false);
  assert.equal(isNoSpace(undefined), false);
});
