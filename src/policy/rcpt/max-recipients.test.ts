// H7 recipients per message and H8 recipient cutoff: global limits and the most
// specific directory override (sender address, then sender domain).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { maxRecipients } from './max-recipients.js';
import { recipientCutoff } from '../data/recipient-cutoff.js';
import { Directory } from '../../directory/store.js';
import type { Decision } from '../../core/decision.js';
import { configWith, makeCtx } from '../hygiene-test-ctx.js';

const directory = Directory.open(':memory:');
before(() => {
  directory.addDomain('local.example');
  directory.limits.set('bulk.example', { maxRecipients: 5, recipientCutoff: 8 });
  directory.limits.set('list@bulk.example', { maxRecipients: 50, recipientCutoff: 100 });
  directory.limits.set('tight@client.example', { maxRecipients: 1, recipientCutoff: 1 });
});
after(() => directory.close());

const rcpts = (n: number) => Array.from({ length: n }, (_, i) => `<r${i}@local.example>`);
const global3 = configWith({ limits: { maxRecipients: 3 } });
const cutoff4 = configWith({ limits: { recipientCutoff: 4 } });

const h7: Array<[string, typeof global3, string, number, boolean]> = [
  ['under the global limit', global3, '<a@client.example>', 2, true],
  ['at the global limit', global3, '<a@client.example>', 3, false],
  ['null sender uses the global limit', global3, '<>', 3, false],
  ['sender domain raises the limit', global3, '<x@bulk.example>', 4, true],
  ['sender domain limit reached', global3, '<x@BULK.example>', 5, false],
  ['sender address beats its domain', global3, '<list@bulk.example>', 49, true],
  ['sender address limit reached', global3, '<List@Bulk.Example>', 50, false],
  ['sender address lowers the limit', global3, '<tight@client.example>', 1, false],
  ['default limit is 1000', configWith(), '<a@client.example>', 999, true],
];

for (const [name, config, from, accepted, pass] of h7) {
  test(`rcpt.maxRecipients: H7 ${name} (${from}, ${accepted} accepted)`, () => {
    const { ctx } = makeCtx({ stage: 'rcpt', config, directory, from, rcpts: rcpts(accepted), rcpt: '<next@local.example>' });
    const v = maxRecipients.run(ctx) as Decision | undefined;
    if (pass) return assert.equal(v, undefined);
    assert.ok(v);
    assert.equal(v.action, 'tempfail');
    assert.equal(v.code, 452);
    assert.equal(v.enhanced, '4.5.3');
    assert.equal(v.check, 'rcpt.maxRecipients');
    assert.equal(v.feature, 'H7');
  });
}

const h8: Array<[string, typeof cutoff4, string, number, boolean]> = [
  ['off by default', configWith(), '<a@client.example>', 5000, true],
  ['at the global cutoff', cutoff4, '<a@client.example>', 4, true],
  ['past the global cutoff', cutoff4, '<a@client.example>', 5, false],
  ['null sender uses the global cutoff', cutoff4, '<>', 5, false],
  ['sender domain cutoff with the global one off', configWith(), '<x@bulk.example>', 9, false],
  ['sender domain raises the cutoff', cutoff4, '<x@bulk.example>', 8, true],
  ['sender address beats its domain', cutoff4, '<list@bulk.example>', 100, true],
  ['sender address cutoff passed', cutoff4, '<list@bulk.example>', 101, false],
  ['sender address lowers the cutoff', cutoff4, '<tight@client.example>', 2, false],
];

for (const [name, config, from, presented, pass] of h8) {
  test(`data.recipientCutoff: H8 ${name} (${from}, ${presented} presented)`, () => {
    // Only one recipient was accepted: the cutoff counts what was presented.
    const { ctx } = makeCtx({ stage: 'data', config, directory, from, rcpts: rcpts(1), presented });
    const v = recipientCutoff.run(ctx) as Decision | undefined;
    if (pass) return assert.equal(v, undefined);
    assert.ok(v);
    assert.equal(v.action, 'reject');
    assert.equal(v.code, 550);
    assert.equal(v.enhanced, '5.5.3');
    assert.equal(v.check, 'data.recipientCutoff');
    assert.equal(v.feature, 'H8');
    assert.ok(v.reason?.includes(String(presented)));
  });
}
