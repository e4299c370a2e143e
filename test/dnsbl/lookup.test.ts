// A6 DNSBL/DNSWL lookups against zones on the loopback DNS server: weights, reply
// filters, an allow list with a negative weight, IPv6 nibbles, failures reported
// and not cached, and the DNS TTL cache on the embedded store and a real redis-server.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NodeDnsResolver } from '../../src/dns/resolver.js';
import { EmbeddedStore } from '../../src/state/embedded-store.js';
import { RedisStore } from '../../src/state/redis-store.js';
import type { SharedStore } from '../../src/state/store.js';
import { dnsblQueryName, lookupDnsbl } from '../../src/dnsbl/lookup.js';
import { parseDnsblSite, type DnsblSite } from '../../src/dnsbl/sites.js';
import { dnsblVerdict, describeListings } from '../../src/dnsbl/verdict.js';
import { startDns, type TestDns, type Rr } from '../../src/bench/loopback-dns.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const SPAMMER = '192.0.2.99';
const FRIEND = '192.0.2.50';
const CLEAN = '192.0.2.1';
const SPAMMER6 = '2001:db8::99';
const a = (data: string, ttl = 300): Rr => ({ type: 'A', data, ttl });

let dns: TestDns;
let resolver: NodeDnsResolver;

const sites = (...s: string[]): DnsblSite[] =>
  s.map((x) => {
    const r = parseDnsblSite(x);
    if (typeof r === 'string') throw new Error(r);
    return r;
  });

before(async () => {
  dns = await startDns({
    records: {
      [dnsblQueryName(SPAMMER, 'zen.test')]: [a('127.0.0.2'), a('127.0.0.11', 120)],
      [dnsblQueryName(SPAMMER, 'bl.test')]: [a('127.0.0.2')],
      [dnsblQueryName(SPAMMER, 'refusing.test')]: [a('127.255.255.254')],
      [dnsblQueryName(FRIEND, 'zen.test')]: [a('127.0.0.4')],
      [dnsblQueryName(FRIEND, 'wl.test')]: [a('127.0.10.2')],
      [dnsblQueryName(SPAMMER6, 'zen.test')]: [a('127.0.0.3')],
      [dnsblQueryName(SPAMMER, 'short.test')]: [a('127.0.0.2', 1)],
      [dnsblQueryName(SPAMMER, 'long.test')]: [a('127.0.0.2', 100000)],
    },
    servfail: [dnsblQueryName(SPAMMER, 'broken.test')],
    silent: [dnsblQueryName(SPAMMER, 'slow.test')],
  });
  resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 });
});
after(() => dns.stop());

test('A6 query names: reversed IPv4 octets, IPv6 nibbles, IPv4-mapped as IPv4', () => {
  assert.equal(dnsblQueryName('192.0.2.99', 'zen.test'), '99.2.0.192.zen.test');
  assert.equal(dnsblQueryName('2001:db8::99', 'zen.test'), '9.9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.test');
  assert.equal(dnsblQueryName('::ffff:192.0.2.99', 'zen.test'), '99.2.0.192.zen.test');
});

function suite(name: string, make: () => Promise<{ store: SharedStore; advance?: (ms: number) => void }>, done: () => Promise<void>) {
  describe(`A6 DNSBL lookups, ${name} store`, () => {
    let store: SharedStore;
    let advance: ((ms: number) => void) | undefined;
    before(async () => ({ store, advance } = await make()));
    after(async () => {
      await store.close();
      await done();
    });
    const look = (ip: string, s: DnsblSite[], ttl = { minTtl: 60, maxTtl: 3600 }) => lookupDnsbl(ip, s, { dns: resolver, store, ...ttl });
    const queriesFor = (zone: string) => dns.queries.filter((q) => q.name.endsWith(`.${zone}`)).length;

    test('weights and filters add up; one query per zone', async () => {
      const before = queriesFor('zen.test');
      const r = await look(SPAMMER, sites('zen.test=127.0.0.[2..3]*3', 'zen.test=127.0.0.[10;11]*2', 'bl.test*1.5', 'wl.test=127.0.[0..255].[1..3]*-5'));
      assert.equal(r.score, 6.5);
      assert.deepEqual(r.listed.map((l) => [l.zone, l.weight, l.replies]), [
        ['zen.test', 3, ['127.0.0.2']],
        ['zen.test', 2, ['127.0.0.11']],
        ['bl.test', 1.5, ['127.0.0.2']],
      ]);
      assert.equal(r.allowListed, false);
      assert.equal(queriesFor('zen.test') - before, 1, 'the zone is asked once for both sites');
      assert.equal(describeListings(r), 'zen.test=127.0.0.2(+3) zen.test=127.0.0.11(+2) bl.test=127.0.0.2(+1.5)');
    });

    test('an allow list with a negative weight lowers the score', async () => {
      const r = await look(FRIEND, sites('zen.test*3', 'wl.test=127.0.[0..255].[1..3]*-5'));
      assert.equal(r.score, -2);
      assert.equal(r.allowListed, true);
      assert.equal(dnsblVerdict(r, sites('zen.test*3', 'wl.test=127.0.[0..255].[1..3]*-5'), 1, 'rcpt', FRIEND), undefined);
    });

    test('not listed, IPv6, error-code replies', async () => {
      assert.equal((await look(CLEAN, sites('zen.test*3'))).score, 0);
      assert.equal((await look(SPAMMER6, sites('zen.test*3'))).score, 3);
      const odd = await look(SPAMMER, sites('refusing.test*3'));
      assert.equal(odd.score, 0);
      assert.deepEqual(odd.oddReplies, [{ zone: 'refusing.test', reply: '127.255.255.254' }]);
    });

    test('SERVFAIL and timeouts list nothing, are reported, and are not cached', async () => {
      const r = await look(SPAMMER, sites('broken.test*5', 'slow.test*5', 'bl.test*1'));
      assert.equal(r.score, 1);
      assert.deepEqual(r.failures.map((f) => f.zone).sort(), ['broken.test', 'slow.test']);
      const before = queriesFor('broken.test');
      await look(SPAMMER, sites('broken.test*5'));
      assert.equal(queriesFor('broken.test') - before, 1, 'asked again');
    });

    test('answers are cached for their TTL (clamped)', async () => {
      const s = sites('short.test*1', 'long.test*1');
      const q0 = queriesFor('short.test') + queriesFor('long.test');
      assert.equal((await look(SPAMMER, s, { minTtl: 1, maxTtl: 3600 })).score, 2);
      assert.equal((await look(SPAMMER, s, { minTtl: 1, maxTtl: 3600 })).score, 2);
      assert.equal(queriesFor('short.test') + queriesFor('long.test') - q0, 2, 'the second lookup came from the store');
      if (advance) advance(1500);
      else await new Promise((r) => setTimeout(r, 1500));
      await look(SPAMMER, s, { minTtl: 1, maxTtl: 3600 });
      assert.equal(queriesFor('short.test') - q0 + queriesFor('long.test'), 3, 'short.test (TTL 1 s) expired; long.test did not');
      if (advance) {
        advance(3600 * 1000);
        await look(SPAMMER, s, { minTtl: 1, maxTtl: 3600 });
        assert.equal(queriesFor('long.test') - q0 + queriesFor('short.test'), 5, 'a TTL of 100000 s is held for maxTtl (3600 s) only');
      }
    });

    test('the threshold refuses with 554 5.7.1 naming no zone to the client', async () => {
      const s = sites('zen.test*3');
      const r = await look(SPAMMER, s);
      const rcpt = dnsblVerdict(r, s, 3, 'rcpt', SPAMMER)!;
      assert.deepEqual([rcpt.action, rcpt.code, rcpt.enhanced, rcpt.check, rcpt.feature], ['reject', 554, '5.7.1', 'rcpt.dnsbl', 'A6']);
      assert.ok(!rcpt.text.includes('zen'));
      assert.match(rcpt.reason!, /zen\.test=127\.0\.0\.2,127\.0\.0\.11\(\+3\)/);
      const connect = dnsblVerdict(r, s, 3, 'connect', SPAMMER)!;
      assert.deepEqual([connect.action, connect.code, connect.enhanced, connect.check], ['drop', 554, '5.7.1', 'connect.dnsbl']);
      assert.equal(dnsblVerdict(r, s, 3.5, 'rcpt', SPAMMER), undefined);
      assert.equal(dnsblVerdict(r, s, undefined, 'rcpt', SPAMMER), undefined, 'no threshold: score only');
    });

    test('a zone that did not answer gives 451 4.7.1 (our fault) only when its answer could decide', async () => {
      // bl.test lists (+1); broken.test (+5) did not answer: the score could be 1 or 6.
      const block = sites('bl.test*1', 'broken.test*5');
      const r = await look(SPAMMER, block);
      assert.equal(r.score, 1);
      const unsure = dnsblVerdict(r, block, 3, 'rcpt', SPAMMER)!;
      assert.deepEqual([unsure.action, unsure.code, unsure.enhanced, unsure.fault, unsure.check], ['tempfail', 451, '4.7.1', 'server', 'rcpt.dnsbl']);
      assert.match(unsure.reason!, /broken\.test: ESERVFAIL/);
      assert.ok(!unsure.text.includes('broken'));
      assert.equal(dnsblVerdict(r, block, 7, 'rcpt', SPAMMER), undefined, 'even a listing there would not reach 7');
      assert.equal(dnsblVerdict(r, block, 1, 'rcpt', SPAMMER)?.code, 554, 'listed enough whatever the missing zone says');
      // An allow list that did not answer could have kept the client under the threshold: no 554 on a guess.
      const allow = sites('zen.test*3', 'broken.test*-5');
      const a = await look(SPAMMER, allow);
      const d = dnsblVerdict(a, allow, 3, 'connect', SPAMMER)!;
      assert.deepEqual([d.action, d.code, d.enhanced, d.fault, d.check], ['tempfail', 451, '4.7.1', 'server', 'connect.dnsbl']);
    });
  });
}

let t = Date.UTC(2030, 0, 1);
suite('embedded', async () => ({ store: new EmbeddedStore(':memory:', () => t), advance: (ms) => (t += ms) }), async () => {});

let redis: TestRedis | undefined;
suite(
  'redis',
  async () => {
    redis = await startRedis();
    const store = new RedisStore(redis.url, 'dnsbltest:');
    await store.ready();
    return { store };
  },
  async () => {
    await redis?.stop();
  },
);
