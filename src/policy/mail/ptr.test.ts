// H2 against a real DNS server on loopback, with clients at TEST-NET addresses
// (the session's remoteAddress), in every mode.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ptr, PTR_HEADER } from './ptr.js';
import { Directory } from '../../directory/store.js';
import { NodeDnsResolver } from '../../dns/resolver.js';
import type { Decision } from '../../core/decision.js';
import type { SessionInfo } from '../../core/envelope.js';
import { markHeaders, spamScore } from '../../core/mark.js';
import { configWith, makeCtx } from '../hygiene-test-ctx.js';
import { startDns, reverseName, type TestDns } from '../../bench/loopback-dns.js';

const directory = Directory.open(':memory:');
let dns: TestDns;
let resolver: NodeDnsResolver;

const NAMED = '192.0.2.10';
const NAMED6 = '2001:db8::10';
const NAMELESS = '192.0.2.20'; // NXDOMAIN
const EMPTY = '192.0.2.30'; // the reverse name exists, no PTR record
const BROKEN = '198.51.100.7'; // SERVFAIL
const SLOW = '198.51.100.8'; // no answer

before(async () => {
  dns = await startDns({
    records: {
      [reverseName(NAMED)]: [{ type: 'PTR', data: 'host.client.test' }],
      [reverseName(NAMED6)]: [{ type: 'PTR', data: 'host6.client.test' }],
      [reverseName(EMPTY)]: [{ type: 'TXT', data: 'nothing here' }],
    },
    servfail: [reverseName(BROKEN)],
    silent: [reverseName(SLOW)],
  });
  resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 });
});
after(async () => {
  directory.close();
  await dns.stop();
});

const modes = { never: configWith({ policy: { ptr: 'never' } }), reject: configWith({ policy: { ptr: 'reject' } }), mark: configWith({ policy: { ptr: 'mark', ptrMarkScore: 2.5 } }) };

type Want = 'pass' | 'mark' | 'mark-temperror' | [number, string];

const cases: Array<[string, keyof typeof modes, { ip: string; authUser?: string }, Want]> = [
  ['never: no PTR passes', 'never', { ip: NAMELESS }, 'pass'],
  ['reject: client with a PTR passes', 'reject', { ip: NAMED }, 'pass'],
  ['reject: IPv6 client with a PTR passes', 'reject', { ip: NAMED6 }, 'pass'],
  ['reject: NXDOMAIN reverse name', 'reject', { ip: NAMELESS }, [550, '5.7.25']],
  ['reject: reverse name without PTR record', 'reject', { ip: EMPTY }, [550, '5.7.25']],
  ['reject: IPv6 client without PTR', 'reject', { ip: '2001:db8::99' }, [550, '5.7.25']],
  ['reject: SERVFAIL is temporary', 'reject', { ip: BROKEN }, [451, '4.7.25']],
  ['reject: timeout is temporary', 'reject', { ip: SLOW }, [451, '4.7.25']],
  ['reject: authenticated client is not checked', 'reject', { ip: NAMELESS, authUser: 'alice@local.example' }, 'pass'],
  ['reject: loopback (LAN) client is not checked', 'reject', { ip: '127.0.0.1' }, 'pass'],
  ['reject: IPv6 loopback (LAN) client is not checked', 'reject', { ip: '::1' }, 'pass'],
  ['mark: client with a PTR gets no mark', 'mark', { ip: NAMED }, 'pass'],
  ['mark: no PTR passes with a mark', 'mark', { ip: NAMELESS }, 'mark'],
  ['mark: DNS failure passes with a temperror mark and no score', 'mark', { ip: BROKEN }, 'mark-temperror'],
  ['mark: authenticated client gets no mark', 'mark', { ip: NAMELESS, authUser: 'alice@local.example' }, 'pass'],
];

for (const [name, mode, client, want] of cases) {
  test(`mail.ptr: H2 ${name} (${client.ip})`, async () => {
    const before = dns.queries.length;
    const { ctx, marks } = makeCtx({ stage: 'mail', config: modes[mode], directory, deps: { dns: resolver }, ip: client.ip, authUser: client.authUser, from: '<u@client.test>' });
    const v = (await ptr.run(ctx)) as Decision | undefined;
    if (want === 'pass') {
      assert.equal(v, undefined, JSON.stringify(v));
      assert.deepEqual(marks, []);
      if (mode === 'never' || client.authUser || client.ip === '127.0.0.1' || client.ip === '::1') assert.equal(dns.queries.length, before, 'no PTR query');
      return;
    }
    if (want === 'mark' || want === 'mark-temperror') {
      assert.equal(v, undefined, 'mark mode never refuses');
      assert.equal(marks.length, 1);
      assert.equal(marks[0].check, 'mail.ptr');
      assert.equal(marks[0].feature, 'H2');
      assert.equal(marks[0].header?.name, PTR_HEADER);
      if (want === 'mark') {
        assert.match(marks[0].header!.value, /^none \(client 192\.0\.2\.20 has no PTR record\)$/);
        assert.equal(spamScore(marks), 2.5);
      } else {
        assert.match(marks[0].header!.value, /^temperror/);
        assert.equal(spamScore(marks), 0);
      }
      return;
    }
    assert.ok(v, `expected ${want.join(' ')}`);
    assert.equal(v.code, want[0]);
    assert.equal(v.enhanced, want[1]);
    assert.equal(v.action, want[0] >= 500 ? 'reject' : 'tempfail');
    assert.equal(v.check, 'mail.ptr');
    assert.equal(v.feature, 'H2');
    assert.ok(v.reason?.includes(client.ip), 'log detail names the client');
    assert.deepEqual(marks, []);
  });
}

test('H2 the answer is remembered for the session; a failure is asked again', async () => {
  const session = (ip: string): SessionInfo => ({ id: 's', listener: modes.reject.listeners[0], remoteAddress: ip, remotePort: 1, localAddress: '192.0.2.25', localPort: 25, esmtp: true, helo: 'x.test' });
  const s1 = session(NAMELESS);
  const before = dns.queries.length;
  for (let i = 0; i < 3; i++) {
    const { ctx } = makeCtx({ stage: 'mail', config: modes.reject, directory, deps: { dns: resolver }, session: s1, from: '<u@client.test>' });
    assert.equal(((await ptr.run(ctx)) as Decision).code, 550);
  }
  assert.equal(dns.queries.length - before, 1, 'one PTR query for three transactions');
  const s2 = session(BROKEN);
  const before2 = dns.queries.length;
  for (let i = 0; i < 2; i++) {
    const { ctx } = makeCtx({ stage: 'mail', config: modes.reject, directory, deps: { dns: resolver }, session: s2, from: '<u@client.test>' });
    assert.equal(((await ptr.run(ctx)) as Decision).code, 451);
  }
  assert.equal(dns.queries.length - before2, 2, 'a failed lookup is not remembered');
});

test('H2 the mark becomes one header line', async () => {
  const { ctx, marks } = makeCtx({ stage: 'mail', config: modes.mark, directory, deps: { dns: resolver }, ip: NAMELESS, from: '<u@client.test>' });
  await ptr.run(ctx);
  assert.equal(markHeaders(marks), 'X-Rampart-PTR: none (client 192.0.2.20 has no PTR record)\r\n');
});

test('H2 the resolver tells a DNS failure from "no PTR" (SERVFAIL, timeout, NXDOMAIN)', async () => {
  assert.equal((await resolver.ptr(BROKEN)).kind, 'error');
  assert.equal((await resolver.ptr(SLOW)).kind, 'error');
  assert.equal((await resolver.ptr(NAMELESS)).kind, 'nxdomain');
  assert.equal((await resolver.ptr(EMPTY)).kind, 'none');
  assert.deepEqual(await resolver.ptr(NAMED6), { kind: 'ok', records: ['host6.client.test'] });
});
