import { testDeps } from '../test-deps.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { relay } from './relay.js';
import type { CheckContext } from '../types.js';
import type { Decision } from '../../core/decision.js';
import { parsePath } from '../../core/address.js';
import { validateConfig } from '../../config/load.js';
import { embeddedDefault } from '../../config/embedded-default.js';
import { Directory } from '../../directory/store.js';
import { createLogger } from '../../log/logger.js';

const directory = Directory.open(':memory:');
before(() => {
  directory.addDomain('local.example');
  directory.addDomain('Second.Example');
});
after(() => directory.close());

const config = validateConfig(embeddedDefault(), 'test', '/tmp');
const log = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));

function ctxFor(path: string): CheckContext {
  const r = parsePath(path, { utf8: true, allowNull: false, allowPostmaster: true });
  assert.ok(r.ok && r.address, `${path} should parse`);
  return {
    stage: 'rcpt',
    config,
    session: { id: 's', listener: config.listeners[0], remoteAddress: '203.0.113.9', remotePort: 1, localAddress: '127.0.0.1', localPort: 25, esmtp: true, helo: 'x.example' },
    envelope: { mailFrom: null, mailParams: { smtputf8: true }, rcpts: [] },
    rcpt: r.address,
    deps: testDeps(directory, log),
  };
}

const RELAY_DENIED = { code: 554, enhanced: '5.7.1', action: 'reject' };

const cases: Array<[string, string, 'pass' | typeof RELAY_DENIED]> = [
  ['R1 local domain passes', '<u@local.example>', 'pass'],
  ['R1 local domain any case passes', '<U@LOCAL.Example>', 'pass'],
  ['R1 second local domain passes', '<u@second.example>', 'pass'],
  ['R1 bare postmaster passes (RFC 5321 4.5.1)', '<postmaster>', 'pass'],
  ['R1 bare Postmaster any case passes', '<POSTMASTER>', 'pass'],
  ['R1 postmaster at a remote domain is relaying', '<postmaster@remote.example>', RELAY_DENIED],
  ['R1 non-local domain', '<u@remote.example>', RELAY_DENIED],
  ['R1 subdomain of a local domain is not local', '<u@sub.local.example>', RELAY_DENIED],
  ['R1 parent of a local domain is not local', '<u@example>', RELAY_DENIED],
  ['R1 suffix look-alike is not local', '<u@evillocal.example>', RELAY_DENIED],
  ['R8 IPv4 domain literal', '<u@[192.0.2.1]>', RELAY_DENIED],
  ['R8 loopback domain literal', '<u@[127.0.0.1]>', RELAY_DENIED],
  ['R8 IPv6 domain literal', '<u@[IPv6:::1]>', RELAY_DENIED],
  ['R8 general domain literal', '<u@[x-local:local.example]>', RELAY_DENIED],
  ['R1 %-hack stays local (delivered to the local part "u%remote")', '<u%remote.example@local.example>', 'pass'],
  ['R1 bang path stays local', '<remote.example!u@local.example>', 'pass'],
  ['R1 quoted @ stays local', '<"u@remote.example"@local.example>', 'pass'],
  ['R1 source route via local to remote is relaying', '<@local.example:u@remote.example>', RELAY_DENIED],
  ['R1 source route via remote to local is local', '<@remote.example:u@local.example>', 'pass'],
  ['R1 %-hack to local from remote is relaying', '<u%local.example@remote.example>', RELAY_DENIED],
  ['R1 UTF-8 remote domain', '<u@bücher.example>', RELAY_DENIED],
];

for (const [name, path, want] of cases) {
  test(`rcpt.relay: ${name} ${path}`, () => {
    const v = relay.run(ctxFor(path)) as Decision | undefined;
    if (want === 'pass') {
      assert.equal(v, undefined);
      return;
    }
    assert.ok(v, 'expected a refusal');
    assert.equal(v.action, want.action);
    assert.equal(v.code, want.code);
    assert.equal(v.enhanced, want.enhanced);
    assert.equal(v.check, 'rcpt.relay');
    assert.equal(v.feature, 'R1');
    assert.ok(v.reason, 'log detail present');
    assert.ok(!v.text.includes('remote.example') && !v.text.includes('local.example'), 'client text reveals no configuration');
  });
}

test('rcpt.relay is named after its stage and setting, and is synchronous', () => {
  assert.equal(relay.name, 'rcpt.relay');
  assert.equal(relay.feature, 'R1');
  assert.ok(!(relay.run(ctxFor('<u@remote.example>')) instanceof Promise));
});
