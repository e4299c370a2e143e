// A1-A3 the TXT cache: answers and "no such record" are kept for the configured
// time and shared, a question in flight is shared too, failures are never kept,
// other questions pass through, 0 turns it off, and the cache is bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DnsResolver, Lookup } from '../dns/resolver.js';
import { MAX_ENTRIES, withTxtCache } from './txt-cache.js';

function fakeDns(answers: Record<string, Lookup<string[]>>) {
  const asked: string[] = [];
  const no = () => Promise.resolve({ kind: 'none' } as const);
  const dns: DnsResolver = {
    mx: no,
    a: (n) => (asked.push(`A ${n}`), no()),
    aaaa: no,
    ptr: no,
    cname: no,
    aWithTtl: no,
    txt: () => Promise.reject(new Error('the cache asks txtChunks')),
    txtChunks: (n) => (asked.push(`TXT ${n}`), Promise.resolve(answers[n] ?? { kind: 'nxdomain' })),
  };
  return { dns, asked };
}

test('A1 TXT answers and NXDOMAIN are kept; a question in flight is shared; other types pass through', async () => {
  const { dns, asked } = fakeDns({ 'a.test': { kind: 'ok', records: [['v=spf1 ', '-all']] } });
  const c = withTxtCache(dns, 60_000);
  assert.equal(withTxtCache(dns, 60_000), c, 'one view per resolver and time');
  const [x, y] = await Promise.all([c.txt('a.test'), c.txt('A.TEST')]);
  assert.deepEqual(x, { kind: 'ok', records: ['v=spf1 -all'] });
  assert.deepEqual(y, x);
  assert.deepEqual(await c.txtChunks('a.test'), { kind: 'ok', records: [['v=spf1 ', '-all']] });
  assert.deepEqual(await c.txt('none.test'), { kind: 'nxdomain' });
  assert.deepEqual(await c.txt('none.test'), { kind: 'nxdomain' });
  await c.a('a.test');
  await c.a('a.test');
  assert.deepEqual(asked, ['TXT a.test', 'TXT none.test', 'A a.test', 'A a.test']);
});

test('A1 failures are never kept; answers expire; 0 is no cache; the cache is bounded', async () => {
  let fail = true;
  const { dns, asked } = fakeDns({});
  const flaky: DnsResolver = { ...dns, txtChunks: (n) => (fail ? (asked.push(`TXT ${n}`), Promise.resolve({ kind: 'error', code: 'ESERVFAIL' })) : dns.txtChunks(n)) };
  const c = withTxtCache(flaky, 40);
  assert.deepEqual(await c.txt('x.test'), { kind: 'error', code: 'ESERVFAIL' });
  fail = false;
  assert.deepEqual(await c.txt('x.test'), { kind: 'nxdomain' }, 'asked again after the failure');
  await c.txt('x.test');
  await new Promise((r) => setTimeout(r, 60));
  await c.txt('x.test');
  assert.equal(asked.filter((q) => q === 'TXT x.test').length, 3, 'failure, answer, expired answer asked again');

  const raw = fakeDns({});
  const off = withTxtCache(raw.dns, 0);
  assert.equal(off, raw.dns);

  const big = fakeDns({});
  const b = withTxtCache(big.dns, 60_000);
  for (let i = 0; i <= MAX_ENTRIES; i++) await b.txt(`n${i}.test`);
  await b.txt(`n${MAX_ENTRIES}.test`);
  await b.txt('n0.test');
  assert.equal(big.asked.length, MAX_ENTRIES + 2, 'the newest is kept, the oldest was dropped');
});
