// A7 scoring with the configured defaults: marks, totals, verdicts, headers; every weight can be 0.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../config/load.js';
import { decisionProblem } from '../core/decision.js';
import type { Mark } from '../core/mark.js';
import type { SpfOutcome } from '../sender-auth/spf.js';
import type { DkimSignatureOutcome } from '../sender-auth/dkim-verify.js';
import type { DmarcOutcome } from '../sender-auth/dmarc.js';
import type { DnsblReport } from '../dnsbl/lookup.js';
import { dkimMessageResult, score, type ScoreSettings } from './score.js';
import { scoreVerdict } from './verdict.js';

const cfg = (score: Record<string, unknown> = {}) => validateConfig({ hostname: 'mx.test', listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }], score }, 'test', '/tmp').score;
const defaults: ScoreSettings = cfg();

const spf = (result: SpfOutcome['result']): SpfOutcome => ({ identity: 'mailfrom', result, domain: 's.test', sender: 'a@s.test', ip: '192.0.2.1', comment: '' });
const sig = (result: DkimSignatureOutcome['result']): DkimSignatureOutcome => ({ result, domain: 's.test', selector: 's', algorithm: 'rsa-sha256', b: 'x' });
const dmarc = (result: DmarcOutcome['result']): DmarcOutcome => ({ result, domain: 's.test', orgDomain: 's.test', policy: 'reject', disposition: 'reject', alignment: { spf: { mode: 'r', aligned: false }, dkim: { mode: 'r', domains: [], aligned: false } } });
const dnsbl: DnsblReport = { score: 3, listed: [{ zone: 'zen.test', site: 'zen.test*3', weight: 3, replies: ['127.0.0.2'] }], failures: [], oddReplies: [], allowListed: false };
const ptrMark: Mark = { check: 'mail.ptr', feature: 'H2', header: { name: 'X-Rampart-PTR', value: 'none' }, score: 1 };

test('A7 defaults: a clean authenticated message scores 0 and is accepted', () => {
  const r = score({ spf: spf('pass'), dkim: [sig('pass')], dmarc: dmarc('pass') }, defaults);
  assert.equal(r.total, 0);
  assert.equal(r.verdict, 'accept');
  assert.deepEqual(r.marks.map((m) => [m.check, m.feature, m.score]), [['mail.spf', 'A1', 0], ['eod.dkim', 'A2', 0], ['eod.dmarc', 'A3', 0]]);
  assert.equal(r.headers, 'X-Rampart-Score: 0 accept\r\n');
});

test('A7 defaults: SPF fail + DMARC fail + DNSBL + the H2 mark add up to quarantine', () => {
  const r = score({ marks: [ptrMark], spf: spf('fail'), dkim: [], dmarc: dmarc('fail'), dnsbl }, defaults);
  assert.equal(r.total, 1 + 3 + 0 + 2 + 3);
  assert.equal(r.verdict, 'quarantine');
  assert.equal(r.headers, 'X-Rampart-DNSBL: zen.test=127.0.0.2(+3)\r\nX-Rampart-Score: 9 quarantine (mail.ptr=1 mail.spf=3 eod.dmarc=2 connect.dnsbl=3)\r\n');
  assert.equal(scoreVerdict(r), undefined, 'quarantine is not a refusal');
});

test('A7 score.reject refuses with 550 5.7.1; every weight can be zero', () => {
  const withReject = cfg({ reject: 8 });
  const r = score({ marks: [ptrMark], spf: spf('fail'), dmarc: dmarc('fail'), dnsbl }, withReject);
  assert.equal(r.verdict, 'reject');
  const v = scoreVerdict(r)!;
  assert.deepEqual([v.action, v.code, v.enhanced, v.check, v.feature], ['reject', 550, '5.7.1', 'eod.score', 'A7']);
  assert.equal(decisionProblem(v), undefined);
  const zero = cfg({ weights: { spf: { fail: 0, none: 0, softfail: 0, permerror: 0 }, dkim: { fail: 0, permerror: 0 }, dmarc: { fail: 0 }, dnsbl: 0 } });
  const z = score({ spf: spf('fail'), dkim: [sig('fail')], dmarc: dmarc('fail'), dnsbl }, zero);
  assert.equal(z.total, 0);
  assert.equal(z.verdict, 'accept');
});

test('A7 the DKIM result of a message is its best signature', () => {
  assert.equal(dkimMessageResult([]), 'none');
  assert.equal(dkimMessageResult([sig('fail'), sig('pass')]), 'pass');
  assert.equal(dkimMessageResult([sig('neutral'), sig('fail')]), 'fail');
  assert.equal(dkimMessageResult([sig('temperror'), sig('permerror')]), 'permerror');
  assert.equal(score({ dkim: [sig('fail')] }, defaults).total, 1);
});

test('A7 an allow-listed client (negative DNSBL score) lowers the total', () => {
  const wl: DnsblReport = { ...dnsbl, score: -5, listed: [{ zone: 'wl.test', site: 'wl.test*-5', weight: -5, replies: ['127.0.10.1'] }], allowListed: true };
  assert.equal(score({ spf: spf('softfail'), dnsbl: wl }, defaults).total, -4);
});
