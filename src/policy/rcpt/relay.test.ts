import { testDeps } from '../test-deps.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { relay } from './relay.js';
import { localRecipient } from './local-recipient.js';
import { localDomainOf, spoolAddress } from './recipient-domain.js';
import type { CheckContext } from '../types.js';
import type { Decision } from '../../core/decision.js';
import { parsePath } from '../../core/address.js';
import { validateConfig, type Snapshot } from '../../config/load.js';
import { embeddedDefault } from '../../config/embedded-default.js';
import { Directory } from '../../directory/store.js';
import { createLogger } from '../../log/logger.js';

const directory = Directory.open(':memory:');
before(async () => {
  directory.addDomain('local.example');
  directory.addDomain('Second.Example');
  directory.addDomain('mx.local.example');
  await directory.addMailbox('u@local.example');
  await directory.addMailbox('postmaster@mx.local.example');
});
after(() => directory.close());

const log = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));

function cfg(relayOver: Record<string, unknown> = {}): Snapshot {
  return validateConfig({ ...embeddedDefault(), postmasterDomain: undefined, hostname: 'mx.local.example', relay: { lanNetworks: ['192.0.2.0/24', '2001:db8:1::/48'], ...relayOver } }, 'test', '/tmp');
}
const config = cfg();

const INTERNET = '203.0.113.9';

function ctxFor(path: string, opts: { ip?: string; authUser?: string; config?: Snapshot } = {}): CheckContext {
  const r = parsePath(path, { utf8: true, allowNull: false, allowPostmaster: true });
  assert.ok(r.ok && r.address, `${path} should parse`);
  const c = opts.config ?? config;
  return {
    stage: 'rcpt',
    config: c,
    session: { id: 's', listener: c.listeners[0], remoteAddress: opts.ip ?? INTERNET, remotePort: 1, localAddress: '127.0.0.1', localPort: 25, esmtp: true, helo: 'x.example', authUser: opts.authUser },
    envelope: { mailFrom: null, mailParams: { smtputf8: true }, rcpts: [] },
    rcpt: r.address,
    deps: testDeps(directory, log),
  };
}

const RELAY_DENIED = { code: 554, enhanced: '5.7.1', action: 'reject' };

const cases: Array<[string, string, 'pass' | typeof RELAY_DENIED, string?]> = [
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
  ['R1 local domain as a prefix of a remote one', '<u@local.example.evil.example>', RELAY_DENIED],
  ['R8 IPv4 domain literal', '<u@[192.0.2.1]>', RELAY_DENIED, 'R8'],
  ['R8 loopback domain literal (literals off)', '<u@[127.0.0.1]>', RELAY_DENIED, 'R8'],
  ['R8 IPv6 domain literal', '<u@[IPv6:::1]>', RELAY_DENIED, 'R8'],
  ['R8 general domain literal', '<u@[x-local:local.example]>', RELAY_DENIED, 'R8'],
  ['R1 %-hack stays local (delivered to the local part "u%remote")', '<u%remote.example@local.example>', 'pass'],
  ['R1 bang path stays local', '<remote.example!u@local.example>', 'pass'],
  ['R1 quoted @ stays local', '<"u@remote.example"@local.example>', 'pass'],
  ['R1 source route via local to remote is relaying', '<@local.example:u@remote.example>', RELAY_DENIED],
  ['R1 source route via remote to local is local', '<@remote.example:u@local.example>', 'pass'],
  ['R1 %-hack to local from remote is relaying', '<u%local.example@remote.example>', RELAY_DENIED],
  ['R1 UTF-8 remote domain', '<u@bücher.example>', RELAY_DENIED],
  ['R1 ideographic full stop is not a dot', '<u@local。example>', RELAY_DENIED],
  ['R1 punycode of nothing local', '<u@xn--lcal-example-abc.example>', RELAY_DENIED],
  ['R1 numeric "domain" without brackets is just a remote name', '<u@127.0.0.1>', RELAY_DENIED],
];

for (const [name, path, want, feature] of cases) {
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
    assert.equal(v.feature, feature ?? 'R1');
    assert.ok(v.reason, 'log detail present');
    assert.ok(!v.text.includes('remote.example') && !v.text.includes('local.example'), 'client text reveals no configuration');
  });
}

test('rcpt.relay: R1 a LAN client may relay (IPv4, IPv6 and IPv4-mapped IPv6)', () => {
  for (const ip of ['192.0.2.1', '192.0.2.254', '::ffff:192.0.2.7', '2001:db8:1:2::5']) {
    assert.equal(relay.run(ctxFor('<u@remote.example>', { ip })), undefined, ip);
  }
  for (const ip of ['192.0.3.1', '127.0.0.1', '::1', '2001:db8:2::5', '::ffff:192.0.3.7']) {
    assert.equal((relay.run(ctxFor('<u@remote.example>', { ip })) as Decision).code, 554, ip);
  }
});

test('rcpt.relay: R1 an authenticated client may relay from anywhere; never to a domain literal', () => {
  assert.equal(relay.run(ctxFor('<u@remote.example>', { authUser: 'u@local.example' })), undefined);
  assert.equal(relay.run(ctxFor('<U@Remote.Example>', { authUser: 'u@local.example' })), undefined);
  const lit = relay.run(ctxFor('<u@[198.51.100.7]>', { authUser: 'u@local.example' })) as Decision;
  assert.equal(`${lit.code} ${lit.enhanced} ${lit.feature}`, '554 5.7.1 R8');
  const lan = relay.run(ctxFor('<u@[198.51.100.7]>', { ip: '192.0.2.1' })) as Decision;
  assert.equal(lan.code, 554);
});

test('rcpt.relay: R1 the default LAN is the machine itself (127.0.0.1/32, ::1/128)', () => {
  const c = validateConfig(embeddedDefault(), 'test', '/tmp');
  assert.deepEqual(c.relay.lanNetworks, ['127.0.0.1/32', '::1/128']);
  assert.equal(relay.run(ctxFor('<u@remote.example>', { ip: '127.0.0.1', config: c })), undefined);
  assert.equal(relay.run(ctxFor('<u@remote.example>', { ip: '::1', config: c })), undefined);
  assert.equal((relay.run(ctxFor('<u@remote.example>', { ip: '127.0.0.2', config: c })) as Decision).code, 554);
});

test('rcpt.relay: R8 with domain literals on, only our own addresses (interfaces, listeners, extra) are local', () => {
  const c = cfg({ domainLiterals: { enabled: true, extra: ['198.51.100.10', '2001:db8:ff::/64'] } });
  const ok = ['<u@[127.0.0.1]>', '<u@[IPv6:::1]>', '<u@[IPv6:0:0:0:0:0:0:0:1]>', '<u@[IPv6:::ffff:127.0.0.1]>', '<u@[198.51.100.10]>', '<u@[IPv6:2001:db8:ff::25]>'];
  for (const p of ok) assert.equal(relay.run(ctxFor(p, { config: c })), undefined, p);
  const no = ['<u@[198.51.100.11]>', '<u@[0.0.0.0]>', '<u@[IPv6:::]>', '<u@[192.0.2.1]>', '<u@[x-local:127.0.0.1]>', '<u@[IPv6:2001:db8:fe::1]>'];
  for (const p of no) {
    const v = relay.run(ctxFor(p, { config: c, authUser: 'u@local.example' })) as Decision;
    assert.equal(`${v?.code} ${v?.enhanced} ${v?.feature}`, '554 5.7.1 R8', p);
  }
});

test('rcpt.localRecipient: R8 a literal recipient is a user of relay.domainLiterals.domain (default: hostname)', () => {
  const byHost = cfg({ domainLiterals: { enabled: true } });
  assert.equal(localRecipient.run(ctxFor('<postmaster@[127.0.0.1]>', { config: byHost })), undefined);
  assert.equal((localRecipient.run(ctxFor('<nobody@[127.0.0.1]>', { config: byHost })) as Decision).code, 550);
  const byDomain = cfg({ domainLiterals: { enabled: true, domain: 'Local.Example' } });
  assert.equal(localRecipient.run(ctxFor('<u@[127.0.0.1]>', { config: byDomain })), undefined);
  assert.equal((localRecipient.run(ctxFor('<postmaster@[127.0.0.1]>', { config: byDomain })) as Decision).code, 550);
  const parsed = parsePath('<U@[127.0.0.1]>', { utf8: false, allowNull: false });
  assert.ok(parsed.ok && parsed.address);
  assert.equal(spoolAddress(parsed.address, byDomain), 'U@local.example');
  assert.equal(spoolAddress(parsed.address, config), 'U@[127.0.0.1]');
});

test('rcpt.localRecipient: a relayed recipient (not local) is not looked up', () => {
  assert.equal(localRecipient.run(ctxFor('<anyone@remote.example>', { authUser: 'u@local.example' })), undefined);
  assert.equal(localDomainOf(ctxFor('<a@remote.example>').rcpt!, config, directory), undefined);
  assert.equal(localDomainOf(ctxFor('<a@LOCAL.example>').rcpt!, config, directory), 'local.example');
  assert.equal(localDomainOf(ctxFor('<postmaster>').rcpt!, config, directory), 'mx.local.example');
});

test('rcpt.relay is named after its stage and setting, and is synchronous', () => {
  assert.equal(relay.name, 'rcpt.relay');
  assert.equal(relay.feature, 'R1');
  assert.ok(!(relay.run(ctxFor('<u@remote.example>')) instanceof Promise));
});
