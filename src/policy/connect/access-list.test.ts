import { testDeps } from '../test-deps.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { accessList } from './access-list.js';
import type { CheckContext } from '../types.js';
import type { Decision } from '../../core/decision.js';
import { validateConfig, type Snapshot } from '../../config/load.js';
import { embeddedDefault } from '../../config/embedded-default.js';
import { Directory } from '../../directory/store.js';
import { createLogger } from '../../log/logger.js';
import { AccessList } from '../../state/access-list.js';
import { EmbeddedStore } from '../../state/embedded-store.js';

const directory = Directory.open(':memory:');
const store = new EmbeddedStore(':memory:');
const list = new AccessList(store);
before(async () => {
  await list.load();
  await list.add('deny', '198.51.100.0/24', { reason: 'spam run' });
  await list.add('deny', '2001:db8:bad::/48', { reason: 'v6 spam' });
  await list.add('allow', '198.51.100.25', { reason: 'partner' });
  await list.add('deny', '203.0.113.50', { reason: 'H6 automatic', source: 'auto', ttlMs: 60_000 });
});
after(async () => {
  directory.close();
  await store.close();
});

const log = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
const cfg = (connectPolicy: string): Snapshot => validateConfig({ ...embeddedDefault(), relay: { lanNetworks: ['192.0.2.0/24'] }, access: { connectPolicy } }, 'test', '/tmp');
const ANY = cfg('allowAny');
const ONLY = cfg('allowListOnly');

function ctxFor(ip: string, config = ANY, access: AccessList | undefined = list): CheckContext {
  return {
    stage: 'connect',
    config,
    session: { id: 's', listener: config.listeners[0], remoteAddress: ip, remotePort: 1, localAddress: '127.0.0.1', localPort: 25, esmtp: false },
    envelope: undefined,
    deps: testDeps(directory, log, { access }),
  };
}

const DENY = '554 5.7.1 drop';
const cases: Array<[string, string, Snapshot, string | undefined, string?, string?]> = [
  ['unlisted client, allowAny', '203.0.113.9', ANY, undefined],
  ['denied network', '198.51.100.7', ANY, DENY, 'connect.denyList', 'R2'],
  ['denied network as IPv4-mapped IPv6', '::ffff:198.51.100.7', ANY, DENY, 'connect.denyList', 'R2'],
  ['denied IPv6 network', '2001:db8:bad:7::1', ANY, DENY, 'connect.denyList', 'R2'],
  ['allow entry beats the deny network', '198.51.100.25', ANY, undefined],
  ['automatic (H6) entry', '203.0.113.50', ANY, DENY, 'connect.denyList', 'H6'],
  ['allowListOnly: unlisted client refused', '203.0.113.9', ONLY, DENY, 'connect.connectPolicy', 'R2'],
  ['allowListOnly: allow-listed client', '198.51.100.25', ONLY, undefined],
  ['allowListOnly: LAN client', '192.0.2.9', ONLY, undefined],
  ['allowListOnly: denied stays denied', '198.51.100.8', ONLY, DENY, 'connect.denyList', 'R2'],
];

for (const [name, ip, config, want, check, feature] of cases) {
  test(`connect.accessList: R2 ${name} (${ip})`, () => {
    const v = accessList.run(ctxFor(ip, config)) as Decision | undefined;
    if (!want) return assert.equal(v, undefined);
    assert.ok(v);
    assert.equal(`${v.code} ${v.enhanced} ${v.action}`, want);
    assert.equal(v.check, check);
    assert.equal(v.feature, feature);
    assert.ok(v.reason?.includes(ip.replace('::ffff:', '')), v.reason);
    assert.ok(!v.text.includes('198.51') && !v.text.toLowerCase().includes('spam'), 'the client text reveals nothing');
  });
}

test('connect.accessList: R2 lists not loaded from the store: 421 4.3.0, never an open door', () => {
  const fresh = new AccessList(store);
  const v = accessList.run(ctxFor('203.0.113.9', ANY, fresh)) as Decision;
  assert.equal(`${v.code} ${v.enhanced} ${v.action}`, '421 4.3.0 drop');
});

test('connect.accessList: named after its stage, R2, synchronous', () => {
  assert.equal(accessList.name, 'connect.accessList');
  assert.equal(accessList.feature, 'R2');
  assert.ok(!(accessList.run(ctxFor('203.0.113.9')) instanceof Promise));
});
