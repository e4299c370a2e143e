// A6 site syntax (Postfix postscreen_dnsbl_sites) and reply filters.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDnsblSite, replyMatches, type DnsblSite } from './sites.js';

const site = (s: string): DnsblSite => {
  const r = parseDnsblSite(s);
  if (typeof r === 'string') throw new Error(r);
  return r;
};

test('A6 sites: zone, filter and weight', () => {
  assert.deepEqual(site('Zen.Example.'), { zone: 'zen.example', weight: 1, text: 'Zen.Example.' });
  assert.equal(site('zen.example*3').weight, 3);
  assert.equal(site('list.dnswl.example=127.0.[0..255].[1..3]*-5').weight, -5);
  assert.equal(site('b.example*0.5').weight, 0.5);
  const z = site('zen.example=127.0.0.[2..11]*3');
  assert.equal(z.zone, 'zen.example');
  assert.equal(replyMatches(z, '127.0.0.2'), true);
  assert.equal(replyMatches(z, '127.0.0.11'), true);
  assert.equal(replyMatches(z, '127.0.0.12'), false);
  assert.equal(replyMatches(z, '127.0.1.2'), false);
  const w = site('list.dnswl.example=127.0.[0..255].[1..3]*-5');
  assert.equal(w.filter?.[2], 'any');
  assert.equal(replyMatches(w, '127.0.15.2'), true);
  assert.equal(replyMatches(w, '127.0.15.0'), false);
  const list = site('multi.example=127.0.0.[2;4;10..11]');
  assert.deepEqual([2, 3, 4, 10, 11, 12].map((n) => replyMatches(list, `127.0.0.${n}`)), [true, false, true, true, true, false]);
  assert.equal(replyMatches(site('exact.example=127.0.0.2'), '127.0.0.2'), true);
});

test('A6 sites without a filter: 127.0.0.0/8 replies list, error codes and invented answers do not', () => {
  const s = site('any.example');
  assert.equal(replyMatches(s, '127.0.0.2'), true);
  assert.equal(replyMatches(s, '127.1.2.3'), true);
  assert.equal(replyMatches(s, '127.255.255.254'), false, 'Spamhaus-style "query refused"');
  assert.equal(replyMatches(s, '192.0.2.1'), false, 'a resolver that answers every name');
  assert.equal(replyMatches(site('all.example=127.255.255.[252..255]'), '127.255.255.254'), true, 'an explicit filter is obeyed');
});

test('A6 sites: errors name the problem', () => {
  assert.match(parseDnsblSite('zen example') as string, /not a DNS zone name/);
  assert.match(parseDnsblSite('zen.example*x') as string, /weight "x" is not a number/);
  assert.match(parseDnsblSite('zen.example=127.0.0') as string, /four parts/);
  assert.match(parseDnsblSite('zen.example=127.0.0.256') as string, /0\.\.255/);
  assert.match(parseDnsblSite('zen.example=127.0.0.[5..2]') as string, /range/);
  assert.match(parseDnsblSite('zen.example=127.0.0.[2') as string, /closing/);
});
