import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decisionProblem, accept, tempfail, reject, drop, type Action, type Decision } from './decision.js';

const make = (action: Action, code: number, enhanced: string): Decision => ({ action, code, enhanced, text: 'x', check: 'test.check', fault: 'client' });

// Every action against one representative code of each class, with the matching enhanced class.
const ok: Record<Action, number[]> = {
  accept: [250],
  tempfail: [421, 450, 451, 452, 454],
  reject: [500, 550, 552, 553, 554, 555],
  drop: [421, 554],
};
const classes: Array<[number, string]> = [
  [250, '2.0.0'],
  [251, '2.1.5'],
  [421, '4.7.0'],
  [450, '4.7.1'],
  [451, '4.3.0'],
  [452, '4.5.3'],
  [454, '4.7.0'],
  [500, '5.5.2'],
  [550, '5.1.1'],
  [552, '5.3.4'],
  [553, '5.7.1'],
  [554, '5.7.1'],
  [555, '5.5.4'],
];
const actions: Action[] = ['accept', 'tempfail', 'reject', 'drop'];
const allowed: Record<Action, number[]> = { accept: [2], tempfail: [4], reject: [5], drop: [4, 5] };

for (const action of actions) {
  for (const [code, enhanced] of classes) {
    const cls = Math.floor(code / 100);
    const good = allowed[action].includes(cls);
    test(`decisionProblem: ${action} ${code} ${enhanced} -> ${good ? 'well-formed' : 'problem'} (DESIGN decision model, H5)`, () => {
      const p = decisionProblem(make(action, code, enhanced));
      if (good) assert.equal(p, undefined);
      else {
        assert.equal(typeof p, 'string');
        assert.match(p!, new RegExp(`${action} with code ${code}`));
      }
    });
  }
}

test('decisionProblem: the representative codes of each action are well-formed', () => {
  for (const action of actions) {
    for (const code of ok[action]) {
      const enhanced = `${Math.floor(code / 100)}.0.0`;
      assert.equal(decisionProblem(make(action, code, enhanced)), undefined, `${action} ${code}`);
    }
  }
});

// Enhanced class digit must agree with the basic code, for every action.
const mismatched: Array<[Action, number, string]> = [
  ['accept', 250, '4.0.0'],
  ['accept', 250, '5.0.0'],
  ['tempfail', 451, '5.3.0'],
  ['tempfail', 451, '2.0.0'],
  ['reject', 550, '4.1.1'],
  ['reject', 554, '2.7.1'],
  ['drop', 421, '5.7.0'],
  ['drop', 554, '4.7.1'],
];
for (const [action, code, enhanced] of mismatched) {
  test(`decisionProblem: ${action} ${code} with enhanced ${enhanced} does not match`, () => {
    assert.match(decisionProblem(make(action, code, enhanced)) ?? '', /does not match basic code/);
  });
}

const malformedEnhanced = ['', '5', '5.1', '5.1.', '.1.1', '5.1.1.1', '3.0.0', '1.0.0', '6.0.0', '0.0.0', '5.1234.1', '5.1.1234', '5.a.1', ' 5.1.1', '5.1.1 ', '5-1-1', '5.1.1\r\n250 ok', 'x.y.z'];
for (const e of malformedEnhanced) {
  test(`decisionProblem: malformed enhanced code ${JSON.stringify(e)} (RFC 3463)`, () => {
    assert.match(decisionProblem(make('reject', 550, e)) ?? '', /malformed/);
  });
}

const badCodes = [0, 199, 600, 1000, -550, 550.5, NaN, Infinity];
for (const code of badCodes) {
  test(`decisionProblem: code ${code} is not an SMTP reply code`, () => {
    assert.match(decisionProblem(make('reject', code, '5.0.0')) ?? '', /not an SMTP reply code/);
  });
}

test('decisionProblem: 3-digit subject and detail are fine (RFC 3463 1*3digit)', () => {
  assert.equal(decisionProblem(make('reject', 550, '5.999.999')), undefined);
  assert.equal(decisionProblem(make('tempfail', 451, '4.0.0')), undefined);
});

test('constructors set action, code, enhanced, text, check, reason and feature', () => {
  assert.deepEqual(accept('c', 250, '2.0.0', 'ok'), { action: 'accept', code: 250, enhanced: '2.0.0', text: 'ok', check: 'c', fault: 'none' });
  assert.deepEqual(tempfail('c', 451, '4.3.0', 't', 'why', 'P4'), { action: 'tempfail', code: 451, enhanced: '4.3.0', text: 't', check: 'c', reason: 'why', feature: 'P4', fault: 'client' });
  assert.deepEqual(reject('c', 550, '5.1.1', 'r', 'why', 'R7'), { action: 'reject', code: 550, enhanced: '5.1.1', text: 'r', check: 'c', reason: 'why', feature: 'R7', fault: 'client' });
  assert.deepEqual(drop('c', 421, '4.7.0', 'd', 'why', 'H5'), { action: 'drop', code: 421, enhanced: '4.7.0', text: 'd', check: 'c', reason: 'why', feature: 'H5', fault: 'client' });
  for (const d of [accept('c', 250, '2.0.0', 'x'), tempfail('c', 451, '4.3.0', 'x'), reject('c', 550, '5.1.1', 'x'), drop('c', 554, '5.7.1', 'x')]) {
    assert.equal(decisionProblem(d), undefined, d.action);
  }
});
