import { testDeps } from '../test-deps.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { spoofing } from './spoofing.js';
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
  directory.addDomain('other.example');
  await directory.addMailbox('alice@local.example');
  await directory.addMailbox('bob@local.example');
  await directory.addMailbox('carol@other.example');
  directory.addAlias('info@local.example', ['alice@local.example']);
  directory.addAlias('team@local.example', ['info@local.example', 'bob@local.example']); // nested: alice through info
  directory.addAlias('fwd@local.example', ['someone@remote.example']);
  directory.catchalls.set('other.example', 'carol@other.example');
});
after(() => directory.close());

const log = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
const mode = (spoofing: string): Snapshot =>
  validateConfig({ ...embeddedDefault(), relay: { spoofing, privilegedNetworks: ['198.51.100.0/24', '2001:db8:5::/48'] } }, 'test', '/tmp');
const CONFIGS = { anyone: mode('anyone'), authenticated: mode('authenticated'), authorized: mode('authorized') };

function ctxFor(config: Snapshot, from: string, authUser?: string, ip = '203.0.113.9'): CheckContext {
  const r = parsePath(from, { utf8: true, allowNull: true });
  assert.ok(r.ok, `${from} should parse`);
  return {
    stage: 'mail',
    config,
    session: { id: 's', listener: config.listeners[0], remoteAddress: ip, remotePort: 1, localAddress: '127.0.0.1', localPort: 25, esmtp: true, helo: 'x.example', authUser },
    envelope: { mailFrom: r.address, mailParams: { smtputf8: true }, rcpts: [] },
    deps: testDeps(directory, log),
  };
}

type Want = 'pass' | 'refuse';
// [mode, description, MAIL FROM, authenticated as, client ip, expected]
const cases: Array<[keyof typeof CONFIGS, string, string, string | undefined, string | undefined, Want]> = [
  ['anyone', 'unauthenticated local sender', '<alice@local.example>', undefined, undefined, 'pass'],
  ['anyone', 'authenticated as someone else', '<bob@local.example>', 'alice@local.example', undefined, 'pass'],
  ['authenticated', 'default mode is authenticated', '<alice@local.example>', undefined, undefined, 'refuse'],
  ['authenticated', 'own mailbox', '<alice@local.example>', 'alice@local.example', undefined, 'pass'],
  ['authenticated', 'own mailbox, any case and quoted form', '<"ALICE"@Local.Example>', 'alice@local.example', undefined, 'pass'],
  ['authenticated', 'alias that expands to the mailbox', '<info@local.example>', 'alice@local.example', undefined, 'pass'],
  ['authenticated', 'alias expanding to it through another alias', '<team@local.example>', 'alice@local.example', undefined, 'pass'],
  ['authenticated', 'alias of several mailboxes, for the other member', '<team@local.example>', 'bob@local.example', undefined, 'pass'],
  ['authenticated', 'alias that does not include the user', '<info@local.example>', 'bob@local.example', undefined, 'refuse'],
  ['authenticated', 'alias forwarding elsewhere', '<fwd@local.example>', 'alice@local.example', undefined, 'refuse'],
  ['authenticated', "another user's mailbox", '<bob@local.example>', 'alice@local.example', undefined, 'refuse'],
  ['authenticated', 'unknown address in a local domain', '<ghost@local.example>', 'alice@local.example', undefined, 'refuse'],
  ['authenticated', 'a catchall never makes an address owned', '<anything@other.example>', 'carol@other.example', undefined, 'refuse'],
  ['authenticated', '%-hack of the own address is not the own address', '<alice%local.example@local.example>', 'alice@local.example', undefined, 'refuse'],
  ['authenticated', 'plus tag is not the own address', '<alice+x@local.example>', 'alice@local.example', undefined, 'refuse'],
  ['authenticated', 'privileged network does not help in this mode', '<alice@local.example>', undefined, '198.51.100.7', 'refuse'],
  ['authenticated', 'remote sender domain is not checked', '<alice@remote.example>', undefined, undefined, 'pass'],
  ['authenticated', 'subdomain of a local domain is not local', '<alice@sub.local.example>', undefined, undefined, 'pass'],
  ['authenticated', 'null sender is exempt (bounces)', '<>', undefined, undefined, 'pass'],
  ['authenticated', 'domain literal sender is not a local domain', '<alice@[127.0.0.1]>', undefined, undefined, 'pass'],
  ['authorized', 'authenticated user may use any local address', '<bob@local.example>', 'alice@local.example', undefined, 'pass'],
  ['authorized', 'privileged IPv4 client without AUTH', '<anyone@local.example>', undefined, '198.51.100.7', 'pass'],
  ['authorized', 'privileged IPv6 client without AUTH', '<anyone@local.example>', undefined, '2001:db8:5:1::9', 'pass'],
  ['authorized', 'privileged as IPv4-mapped IPv6', '<anyone@local.example>', undefined, '::ffff:198.51.100.8', 'pass'],
  ['authorized', 'unprivileged, unauthenticated', '<alice@local.example>', undefined, '198.51.101.7', 'refuse'],
  ['authorized', 'remote sender domain is not checked', '<x@remote.example>', undefined, undefined, 'pass'],
];

for (const [m, name, from, user, ip, want] of cases) {
  test(`mail.spoofing (${m}): ${name} ${from}${user ? ` as ${user}` : ''}`, () => {
    const v = spoofing.run(ctxFor(CONFIGS[m], from, user, ip)) as Decision | undefined;
    if (want === 'pass') return assert.equal(v, undefined);
    assert.ok(v, 'expected a refusal');
    assert.equal(v.action, 'reject');
    assert.equal(`${v.code} ${v.enhanced}`, '553 5.7.1');
    assert.equal(v.check, 'mail.spoofing');
    assert.equal(v.feature, 'R6');
    assert.ok(v.reason);
    assert.ok(!v.text.includes('local.example'), 'client text reveals nothing');
  });
}

test('R6: the default mode is "authenticated" with no privileged networks', () => {
  const d = validateConfig(embeddedDefault(), 'test', '/tmp');
  assert.equal(d.relay.spoofing, 'authenticated');
  assert.deepEqual(d.relay.privilegedNetworks, []);
});
