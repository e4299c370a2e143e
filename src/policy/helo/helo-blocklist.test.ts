// H3: EHLO/HELO arguments against the blocklist: whole argument, any case, "*" wildcards.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { heloBlocklist, heloPattern } from './helo-blocklist.js';
import { Directory } from '../../directory/store.js';
import type { Decision } from '../../core/decision.js';
import { configWith, makeCtx } from '../hygiene-test-ctx.js';

const directory = Directory.open(':memory:');
after(() => directory.close());

const byDefault = configWith();
const custom = configWith({ policy: { heloBlocklist: ['ylmf-pc', '*.dynamic.example', 'bad*bot', '[192.0.2.1]', 'WIN-*'] } });
const empty = configWith({ policy: { heloBlocklist: [] } });

const cases: Array<[string, typeof byDefault, string, boolean]> = [
  ['default list blocks ylmf-pc', byDefault, 'ylmf-pc', true],
  ['any case', byDefault, 'YLMF-PC', true],
  ['whole argument only: longer name passes', byDefault, 'ylmf-pc.example', false],
  ['whole argument only: prefix passes', byDefault, 'ylmf', false],
  ['an ordinary name passes', byDefault, 'mail.client.example', false],
  ['leading wildcard', custom, 'host-1-2-3-4.dynamic.example', true],
  ['leading wildcard needs the dot', custom, 'dynamic.example', false],
  ['inner wildcard', custom, 'bad-spam-bot', true],
  ['inner wildcard matches nothing in between', custom, 'badbot', true],
  ['regex characters are literal', custom, 'badxbotz', false],
  ['address literal', custom, '[192.0.2.1]', true],
  ['other address literal passes', custom, '[192.0.2.10]', false],
  ['upper-case pattern, lower-case argument', custom, 'win-abc123', true],
  ['empty list blocks nothing', empty, 'ylmf-pc', false],
];

for (const [name, config, helo, blocked] of cases) {
  test(`helo.heloBlocklist: H3 ${name} (${helo})`, () => {
    const { ctx } = makeCtx({ stage: 'helo', config, directory, helo });
    const v = heloBlocklist.run(ctx) as Decision | undefined;
    if (!blocked) {
      assert.equal(v, undefined);
      return;
    }
    assert.ok(v, 'expected a drop');
    assert.equal(v.action, 'drop');
    assert.equal(v.code, 554);
    assert.equal(v.enhanced, '5.7.1');
    assert.equal(v.check, 'helo.heloBlocklist');
    assert.equal(v.feature, 'H3');
    assert.ok(v.reason?.includes(helo));
    assert.ok(!v.text.toLowerCase().includes('ylmf'), 'client text reveals no list entry');
  });
}

test('H3 heloPattern escapes everything but "*"', () => {
  assert.equal(heloPattern('a.b').test('aXb'), false);
  assert.equal(heloPattern('a+b').test('a+b'), true);
  assert.equal(heloPattern('*').test('anything'), true);
});

test('H3 an empty pattern is refused by config validation, naming the key', () => {
  assert.throws(() => configWith({ policy: { heloBlocklist: [''] } }), /policy\.heloBlocklist\.0/);
});
