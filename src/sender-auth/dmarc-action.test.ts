// A3 actions on DMARC outcomes (per policy and per domain) and A1's SPF verdicts, with their SMTP codes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decisionProblem } from '../core/decision.js';
import { dmarcAction, dmarcVerdict, type DmarcActionSettings } from './dmarc-action.js';
import { spfVerdict } from './spf-verdict.js';
import type { DmarcOutcome } from './dmarc.js';
import type { SpfOutcome } from './spf.js';

const settings: DmarcActionSettings = { onReject: 'reject', onQuarantine: 'quarantine', onTemperror: 'tempfail', domains: {} };
const outcome = (over: Partial<DmarcOutcome>): DmarcOutcome => ({
  result: 'fail',
  domain: 'mail.sender.test',
  orgDomain: 'sender.test',
  policy: 'reject',
  disposition: 'reject',
  record: { p: 'reject', adkim: 'r', aspf: 'r', pct: 100, testing: false, text: 'v=DMARC1; p=reject' },
  alignment: { spf: { mode: 'r', aligned: false }, dkim: { mode: 'r', domains: [], aligned: false } },
  ...over,
});

test('A3 DMARC actions per published policy', () => {
  assert.equal(dmarcAction(outcome({}), settings), 'reject');
  assert.equal(dmarcAction(outcome({ policy: 'quarantine', disposition: 'quarantine' }), settings), 'quarantine');
  assert.equal(dmarcAction(outcome({ policy: 'none', disposition: 'none' }), settings), 'mark');
  assert.equal(dmarcAction(outcome({ disposition: 'none', override: { type: 'trusted_forwarder', comment: 'x' } }), settings), 'mark', 'ARC override');
  assert.equal(dmarcAction(outcome({ result: 'pass', disposition: 'none' }), settings), 'none');
  assert.equal(dmarcAction(outcome({ result: 'none', disposition: 'none', record: undefined, policy: 'none' }), settings), 'mark');
  assert.equal(dmarcAction(outcome({}), { ...settings, onReject: 'quarantine' }), 'quarantine', 'per-policy override');
  assert.equal(dmarcAction(outcome({ policy: 'quarantine', disposition: 'quarantine' }), { ...settings, onQuarantine: 'mark' }), 'mark');
});

test('A3 DMARC per-domain overrides: the From domain, then its organizational domain', () => {
  assert.equal(dmarcAction(outcome({}), { ...settings, domains: { 'Sender.Test': 'mark' } }), 'mark');
  assert.equal(dmarcAction(outcome({}), { ...settings, domains: { 'sender.test': 'mark', 'mail.sender.test': 'quarantine' } }), 'quarantine');
  assert.equal(dmarcAction(outcome({ result: 'pass', disposition: 'none' }), { ...settings, domains: { 'sender.test': 'reject' } }), 'none', 'overrides act on fails only');
});

test('A3 DMARC temperror: tempfail unless the policy is known to be none', () => {
  assert.equal(dmarcAction(outcome({ result: 'temperror', record: undefined, policy: 'none', disposition: 'none' }), settings), 'tempfail');
  assert.equal(dmarcAction(outcome({ result: 'temperror', disposition: 'none' }), settings), 'tempfail');
  assert.equal(dmarcAction(outcome({ result: 'temperror', policy: 'none', disposition: 'none', record: { p: 'none', adkim: 'r', aspf: 'r', pct: 100, testing: false, text: '' } }), settings), 'mark');
  assert.equal(dmarcAction(outcome({ result: 'temperror', disposition: 'none' }), { ...settings, onTemperror: 'mark' }), 'mark');
});

test('A3 DMARC verdicts: 550 5.7.1 (the client\'s), and 451 4.7.1 for a DNS failure (ours, never counted by H5)', () => {
  const r = dmarcVerdict(outcome({}), 'reject')!;
  assert.deepEqual([r.action, r.code, r.enhanced, r.check, r.feature], ['reject', 550, '5.7.1', 'eod.dmarc', 'A3']);
  assert.match(r.text, /mail\.sender\.test/);
  assert.match(r.reason!, /p=reject/);
  const t = dmarcVerdict(outcome({ result: 'temperror' }), 'tempfail')!;
  assert.deepEqual([t.action, t.code, t.enhanced], ['tempfail', 451, '4.7.1']);
  assert.deepEqual([r.fault, t.fault], ['client', 'server']);
  for (const d of [r, t]) assert.equal(decisionProblem(d), undefined);
  assert.equal(dmarcVerdict(outcome({}), 'quarantine'), undefined);
  assert.equal(dmarcVerdict(outcome({}), 'mark'), undefined);
});

test('A1 SPF verdicts in reject mode: fail 550 5.7.23, temperror 451 4.7.24, the rest pass', () => {
  const o = (result: SpfOutcome['result']): SpfOutcome => ({ identity: 'mailfrom', result, domain: 's.test', sender: 'a@s.test', ip: '192.0.2.1', comment: '' });
  const f = spfVerdict(o('fail'), 'reject')!;
  assert.deepEqual([f.action, f.code, f.enhanced, f.check, f.feature], ['reject', 550, '5.7.23', 'mail.spf', 'A1']);
  const t = spfVerdict(o('temperror'), 'reject')!;
  assert.deepEqual([t.action, t.code, t.enhanced], ['tempfail', 451, '4.7.24']);
  assert.deepEqual([f.fault, t.fault], ['client', 'server']);
  for (const d of [f, t]) assert.equal(decisionProblem(d), undefined);
  for (const r of ['pass', 'softfail', 'neutral', 'none', 'permerror'] as const) assert.equal(spfVerdict(o(r), 'reject'), undefined, r);
  assert.equal(spfVerdict(o('fail'), 'mark'), undefined);
  assert.equal(spfVerdict(o('fail'), 'off'), undefined);
});
