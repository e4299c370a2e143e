import { testDeps } from '../test-deps.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { authenticatedSenderMustUsePostoffice as check } from './authenticated-sender-must-use-postoffice.js';
import type { CheckContext } from '../types.js';
import type { Decision } from '../../core/decision.js';
import { parsePath } from '../../core/address.js';
import { validateConfig } from '../../config/load.js';
import { embeddedDefault } from '../../config/embedded-default.js';
import { Directory } from '../../directory/store.js';
import { createLogger } from '../../log/logger.js';

const directory = Directory.open(':memory:');
before(async () => {
  for (const d of ['acme.example', 'acme.org', 'beta.example', 'loner.example']) directory.addDomain(d);
  await directory.addMailbox('alice@acme.example');
  await directory.addMailbox('bea@beta.example');
  await directory.addMailbox('lou@loner.example');
  directory.postoffices.add('acme');
  directory.postoffices.add('beta');
  directory.postoffices.assign('acme', 'acme.example');
  directory.postoffices.assign('acme', 'acme.org');
  directory.postoffices.assign('beta', 'beta.example');
});
after(() => directory.close());

const on = validateConfig(embeddedDefault(), 'test', '/tmp');
const off = validateConfig({ ...embeddedDefault(), relay: { authenticatedSenderMustUsePostoffice: false } }, 'test', '/tmp');
const log = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));

function ctxFor(from: string, authUser: string | undefined, config = on): CheckContext {
  const r = parsePath(from, { utf8: true, allowNull: true });
  assert.ok(r.ok, `${from} should parse`);
  return {
    stage: 'mail',
    config,
    session: { id: 's', listener: config.listeners[0], remoteAddress: '203.0.113.9', remotePort: 1, localAddress: '127.0.0.1', localPort: 587, esmtp: true, helo: 'x.example', authUser },
    envelope: { mailFrom: r.address, mailParams: { smtputf8: true }, rcpts: [] },
    deps: testDeps(directory, log),
  };
}

const cases: Array<[string, string, string | undefined, 'pass' | 'refuse']> = [
  ['own address', '<alice@acme.example>', 'alice@acme.example', 'pass'],
  ['another address in the same domain', '<sales@acme.example>', 'alice@acme.example', 'pass'],
  ['any case', '<ALICE@ACME.EXAMPLE>', 'alice@acme.example', 'pass'],
  ['second domain of the same postoffice', '<alice@acme.org>', 'alice@acme.example', 'pass'],
  ['null sender (bounces, auto-replies)', '<>', 'alice@acme.example', 'pass'],
  ['unauthenticated sessions are not checked here (R6)', '<x@beta.example>', undefined, 'pass'],
  ['domain of another postoffice', '<bea@beta.example>', 'alice@acme.example', 'refuse'],
  ['local domain outside every postoffice', '<lou@loner.example>', 'alice@acme.example', 'refuse'],
  ['remote domain', '<alice@gmail.example>', 'alice@acme.example', 'refuse'],
  ['subdomain of an own domain', '<alice@mail.acme.example>', 'alice@acme.example', 'refuse'],
  ['look-alike domain', '<alice@acme.example.evil>', 'alice@acme.example', 'refuse'],
  ['domain literal', '<alice@[192.0.2.1]>', 'alice@acme.example', 'refuse'],
  ['%-hack keeps the real domain', '<alice%acme.example@evil.example>', 'alice@acme.example', 'refuse'],
  ['domain without postoffice is its own postoffice', '<info@loner.example>', 'lou@loner.example', 'pass'],
  ['... and owns nothing else', '<lou@acme.example>', 'lou@loner.example', 'refuse'],
  ['a user of another postoffice', '<bea@acme.example>', 'bea@beta.example', 'refuse'],
  ['a user whose domain was removed owns nothing', '<x@gone.example>', 'x@gone.example', 'refuse'],
];

for (const [name, from, user, want] of cases) {
  test(`mail.authenticatedSenderMustUsePostoffice: R5 ${name} ${from} as ${user ?? '(no auth)'}`, () => {
    const v = check.run(ctxFor(from, user)) as Decision | undefined;
    if (want === 'pass') return assert.equal(v, undefined);
    assert.ok(v, 'expected 553 5.7.1');
    assert.equal(v.action, 'reject');
    assert.equal(v.code, 553);
    assert.equal(v.enhanced, '5.7.1');
    assert.equal(v.check, 'mail.authenticatedSenderMustUsePostoffice');
    assert.equal(v.feature, 'R5');
    assert.ok(v.reason?.includes(user!), 'log detail names the user');
    assert.ok(!/acme|beta|loner/.test(v.text), 'client text reveals no configuration');
  });
}

test('mail.authenticatedSenderMustUsePostoffice: R5 relay.authenticatedSenderMustUsePostoffice: false turns it off; default is on', () => {
  assert.equal(on.relay.authenticatedSenderMustUsePostoffice, true);
  assert.equal(check.run(ctxFor('<bea@beta.example>', 'alice@acme.example', off)), undefined);
  assert.equal(check.name, 'mail.authenticatedSenderMustUsePostoffice');
  assert.equal(check.feature, 'R5');
});
