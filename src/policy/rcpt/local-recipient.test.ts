import { testDeps } from '../test-deps.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { localRecipient } from './local-recipient.js';
import type { CheckContext } from '../types.js';
import type { Decision } from '../../core/decision.js';
import { parsePath } from '../../core/address.js';
import { validateConfig } from '../../config/load.js';
import { embeddedDefault } from '../../config/embedded-default.js';
import { Directory } from '../../directory/store.js';
import { createLogger } from '../../log/logger.js';

const directory = Directory.open(':memory:');
before(async () => {
  directory.addDomain('local.example');
  directory.addDomain('other.example');
  directory.addDomain('mx.local.example');
  await directory.addMailbox('alice@local.example');
  await directory.addMailbox('Bob.Smith@local.example');
  await directory.addMailbox('carol@other.example');
  await directory.addMailbox('postmaster@mx.local.example');
  directory.addAlias('info@local.example', ['alice@local.example', 'someone@remote.example']);
  directory.addAlias('Sales@Other.Example', ['carol@other.example']);
});
after(() => directory.close());

// hostname is the domain a bare <postmaster> is delivered to.
const config = validateConfig({ ...embeddedDefault(), postmasterDomain: undefined, hostname: 'MX.local.example' }, 'test', '/tmp');
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

const cases: Array<[string, string, 'pass' | 'unknown']> = [
  ['R7 mailbox', '<alice@local.example>', 'pass'],
  ['R7 mailbox, local part upper case', '<ALICE@local.example>', 'pass'],
  ['R7 mailbox, domain upper case', '<alice@LOCAL.EXAMPLE>', 'pass'],
  ['R7 mailbox created with mixed case', '<bob.smith@local.example>', 'pass'],
  ['R7 mailbox, mixed case lookup', '<BOB.smith@Local.Example>', 'pass'],
  ['R7 mailbox in a second domain', '<carol@other.example>', 'pass'],
  ['R7 quoted form of a mailbox name is the same mailbox', '<"alice"@local.example>', 'pass'],
  ['R7 alias', '<info@local.example>', 'pass'],
  ['R7 alias, any case', '<INFO@Local.Example>', 'pass'],
  ['R7 alias created with mixed case', '<sales@other.example>', 'pass'],
  ['R7 bare postmaster goes to the server host name', '<postmaster>', 'pass'],
  ['R7 unknown user', '<nobody@local.example>', 'unknown'],
  ['R7 mailbox of another domain is not here', '<alice@other.example>', 'unknown'],
  ['R7 alias of another domain is not here', '<sales@local.example>', 'unknown'],
  ['R7 near miss', '<alice1@local.example>', 'unknown'],
  ['R7 prefix of a mailbox', '<alic@local.example>', 'unknown'],
  ['R7 plus tag is not stripped', '<alice+tag@local.example>', 'unknown'],
  ['R7 quoted @ is not the mailbox', '<"alice@local.example"@local.example>', 'unknown'],
  ['R7 quoted with a trailing space', '<"alice "@local.example>', 'unknown'],
  ['R7 %-hack is not the mailbox', '<alice%other.example@local.example>', 'unknown'],
  ['R7 SQL wildcard', '<a%@local.example>', 'unknown'],
  ['R7 SQL single-char wildcard', '<alic_@local.example>', 'unknown'],
  ['R7 postmaster of a domain without one', '<postmaster@local.example>', 'unknown'],
];

for (const [name, path, want] of cases) {
  test(`rcpt.localRecipient: ${name} ${path}`, () => {
    const v = localRecipient.run(ctxFor(path)) as Decision | undefined;
    if (want === 'pass') {
      assert.equal(v, undefined);
      return;
    }
    assert.ok(v, 'expected 550 5.1.1');
    assert.equal(v.action, 'reject');
    assert.equal(v.code, 550);
    assert.equal(v.enhanced, '5.1.1');
    assert.equal(v.check, 'rcpt.localRecipient');
    assert.equal(v.feature, 'R7');
    assert.ok(v.reason?.includes('@'), 'log detail names the address');
    assert.ok(!v.text.includes('local.example'), 'client text reveals nothing');
  });
}

test('rcpt.localRecipient is named after its stage and setting', () => {
  assert.equal(localRecipient.name, 'rcpt.localRecipient');
  assert.equal(localRecipient.feature, 'R7');
});

// ---- R7 catchalls

const noCatchalls = validateConfig({ ...embeddedDefault(), postmasterDomain: undefined, hostname: 'MX.local.example', relay: { disableAllCatchalls: true } }, 'test', '/tmp');

test('rcpt.localRecipient: R7 a domain catchall accepts unknown local parts; disableAllCatchalls turns it off', async () => {
  const d = Directory.open(':memory:');
  try {
    d.addDomain('c.example');
    d.addDomain('d.example');
    await d.addMailbox('catch@c.example');
    d.catchalls.set('c.example', 'catch@c.example');
    const run = (path: string, cfg = config) => {
      const ctx = ctxFor(path);
      return localRecipient.run({ ...ctx, config: cfg, deps: testDeps(d, log) }) as Decision | undefined;
    };
    assert.equal(config.relay.disableAllCatchalls, false, 'catchalls work by default');
    assert.equal(run('<nobody@c.example>'), undefined);
    assert.equal(run('<"any thing"@C.Example>'), undefined);
    assert.equal(run('<catch@c.example>'), undefined);
    const other = run('<nobody@d.example>');
    assert.equal(`${other?.code} ${other?.enhanced}`, '550 5.1.1', 'a domain without catchall still refuses');
    const disabled = run('<nobody@c.example>', noCatchalls);
    assert.equal(`${disabled?.code} ${disabled?.enhanced}`, '550 5.1.1');
    assert.equal(disabled?.check, 'rcpt.localRecipient');
    assert.match(disabled?.reason ?? '', /catchalls disabled/);
    assert.equal(run('<catch@c.example>', noCatchalls), undefined, 'real mailboxes still pass');
    // Remote target: accepted (delivery needs remote delivery, documented).
    d.catchalls.set('d.example', 'someone@remote.example');
    assert.equal(run('<nobody@d.example>'), undefined);
    // A catchall whose local target was removed accepts nothing.
    d.removeMailbox('catch@c.example');
    const dangling = run('<nobody@c.example>');
    assert.equal(`${dangling?.code} ${dangling?.enhanced}`, '550 5.1.1');
  } finally {
    d.close();
  }
});
