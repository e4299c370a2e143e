// A9 greylisting on the embedded store and a real redis-server, with a fake clock:
// first sight 451 4.7.1, too-early retries, pass after the delay, the retry window,
// the client network (/24, /64), auto-allow after N passes, exempt clients.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedStore } from '../../src/state/embedded-store.js';
import { RedisStore } from '../../src/state/redis-store.js';
import type { SharedStore } from '../../src/state/store.js';
import { clientNetwork, greylist, normalizeSender, type GreylistRequest, type GreylistSettings } from '../../src/greylist/greylist.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const MIN = 60_000;
const settings: GreylistSettings = { delayMs: 5 * MIN, retryWindowMs: 2 * 24 * 60 * MIN, passTtlMs: 35 * 24 * 60 * MIN, autoAllowAfter: 3 };

test('A9 client networks and sender normalization', () => {
  assert.equal(clientNetwork('192.0.2.77'), '192.0.2.0/24');
  assert.equal(clientNetwork('::ffff:192.0.2.77'), '192.0.2.0/24');
  assert.equal(clientNetwork('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(normalizeSender('Bounce+12345@List.Example'), 'bounce@list.example');
  assert.equal(normalizeSender('bounces-123-456@list.example'), 'bounces-#-#@list.example');
  assert.equal(normalizeSender('prvs=1234abcd=user@example.test'), 'user@example.test');
  assert.equal(normalizeSender('SRS0=HHH=TT=orig.example=user@fwd.example'), '#srs@fwd.example');
  assert.equal(normalizeSender(''), '<>');
});

function suite(name: string, make: (now: () => number) => Promise<SharedStore>, done: () => Promise<void>) {
  describe(`A9 greylisting, ${name} store`, () => {
    let t = Date.UTC(2030, 0, 1);
    const now = () => t;
    let store: SharedStore;
    let n = 0;
    let run = '';
    before(async () => {
      store = await make(now);
      run = `${Date.now()}`; // a Redis may keep keys between runs
    });
    after(async () => {
      await store.close();
      await done();
    });
    // Letters only: digit runs in senders are normalized away (VERP).
    const letters = (x: number | string) => [...String(x)].map((d) => 'abcdefghij'[Number(d)]).join('');
    const req = (over: Partial<GreylistRequest> = {}): GreylistRequest => ({ ip: '192.0.2.10', sender: `s${letters(n)}@${letters(run)}.sender.test`, recipient: 'rcpt@ours.test', now: t, ...over });

    test('first sight 451 4.7.1; too early again 451; after the delay it passes and stays passed', async () => {
      n++;
      const first = await greylist(req(), store, settings);
      assert.deepEqual([first?.action, first?.code, first?.enhanced, first?.check, first?.feature], ['tempfail', 451, '4.7.1', 'rcpt.greylist', 'A9']);
      assert.match(first!.reason!, /192\.0\.2\.0\/24 .* retry in 300 s/);
      t += 2 * MIN;
      const early = await greylist(req(), store, settings);
      assert.equal(early?.code, 451);
      assert.match(early!.reason!, /retry in 180 s/);
      t += 3 * MIN;
      assert.equal(await greylist(req({ ip: '192.0.2.200' }), store, settings), undefined, 'another address of the same /24 passes');
      t += 10 * 24 * 60 * MIN;
      assert.equal(await greylist(req(), store, settings), undefined, 'a passed triplet is remembered');
      assert.equal((await greylist(req({ recipient: 'other@ours.test' }), store, settings))?.code, 451, 'a new recipient is a new triplet');
      assert.equal((await greylist(req({ ip: '198.51.100.10' }), store, settings))?.code, 451, 'another network is a new triplet');
    });

    test('a retry after the retry window starts again', async () => {
      n++;
      await greylist(req({ ip: '203.0.113.5' }), store, settings);
      t += settings.retryWindowMs + MIN;
      assert.equal((await greylist(req({ ip: '203.0.113.5' }), store, settings))?.code, 451);
      t += settings.delayMs;
      assert.equal(await greylist(req({ ip: '203.0.113.5' }), store, settings), undefined);
    });

    test('IPv6 clients are grouped by /64', async () => {
      n++;
      await greylist(req({ ip: '2001:db8:5:6::1' }), store, settings);
      t += settings.delayMs;
      assert.equal(await greylist(req({ ip: '2001:db8:5:6::ffff' }), store, settings), undefined);
    });

    test('a client network is auto-allowed after N passes', async () => {
      const ip = `198.51.${100 + (n % 100)}.20`;
      for (let i = 0; i < settings.autoAllowAfter; i++) {
        n++;
        assert.equal((await greylist(req({ ip }), store, settings))?.code, 451);
        t += settings.delayMs;
        assert.equal(await greylist(req({ ip }), store, settings), undefined);
      }
      n++;
      assert.equal(await greylist(req({ ip }), store, settings), undefined, 'a new triplet from an auto-allowed network passes at once');
      assert.equal((await greylist(req({ ip }), store, { ...settings, autoAllowAfter: 0 }))?.code, 451, 'autoAllowAfter 0 turns auto-allow off');
    });

    test('LAN, authenticated and DNSWL-listed clients are never greylisted', async () => {
      n++;
      for (const ex of [{ lan: true }, { authenticated: true }, { dnswlListed: true }]) {
        assert.equal(await greylist(req({ ip: '192.0.2.99', ...ex }), store, settings), undefined);
      }
      assert.equal((await greylist(req({ ip: '192.0.2.99' }), store, settings))?.code, 451, 'the exemptions left no record behind');
    });
  });
}

suite('embedded', async (now) => new EmbeddedStore(':memory:', now), async () => {});

let redis: TestRedis | undefined;
suite(
  'redis',
  async () => {
    redis = await startRedis();
    const s = new RedisStore(redis.url, 'greytest:');
    await s.ready();
    return s;
  },
  async () => {
    await redis?.stop();
  },
);
