import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Directory } from './store.js';

async function dir(): Promise<Directory> {
  const d = Directory.open(':memory:');
  d.addDomain('example.test');
  d.addDomain('other.test');
  await d.addMailbox('alice@example.test');
  await d.addMailbox('bob@example.test');
  await d.addMailbox('carol@other.test');
  d.addAlias('team@example.test', ['alice@example.test', 'bob@example.test']);
  d.addAlias('ghostly@example.test', ['ghost@other.test']);
  return d;
}

test('R7 catchall set/list/unset; target validated; one per domain (set replaces)', async () => {
  const d = await dir();
  try {
    assert.deepEqual(d.catchalls.set('Example.Test', 'BOB@example.test'), { domain: 'example.test', target: 'bob@example.test' });
    d.catchalls.set('other.test', 'team@example.test');
    d.catchalls.set('example.test', 'alice@example.test');
    assert.deepEqual(d.catchalls.list(), [
      { domain: 'example.test', target: 'alice@example.test' },
      { domain: 'other.test', target: 'team@example.test' },
    ]);
    assert.throws(() => d.catchalls.set('nope.test', 'alice@example.test'), /not a local domain/);
    assert.throws(() => d.catchalls.set('example.test', 'nobody@example.test'), /neither a mailbox nor an alias/);
    assert.throws(() => d.catchalls.set('example.test', 'not an address'), /not a valid address/);
    assert.equal(d.catchalls.isRemote('x@remote.test'), true);
    assert.equal(d.catchalls.isRemote('alice@example.test'), false);
    d.catchalls.unset('EXAMPLE.test');
    assert.throws(() => d.catchalls.unset('example.test'), /has no catchall/);
    d.removeDomain('other.test');
    assert.deepEqual(d.catchalls.list(), [], 'removing a domain removes its catchall');
  } finally {
    d.close();
  }
});

test('R7 expandRecipient uses catchalls only when asked; never chains; known names win', async () => {
  const d = await dir();
  try {
    d.catchalls.set('example.test', 'bob@example.test');
    d.catchalls.set('other.test', 'team@example.test');
    const none = { mailboxes: [], external: [], unresolved: ['nobody@example.test'] };
    assert.deepEqual(d.expandRecipient('nobody@example.test'), none, 'off by default');
    assert.deepEqual(d.expandRecipient('nobody@example.test', { catchalls: false }), none);
    assert.deepEqual(d.expandRecipient('Nobody@Example.Test', { catchalls: true }), { mailboxes: ['bob@example.test'], external: [], unresolved: [] });
    assert.deepEqual(d.expandRecipient('alice@example.test', { catchalls: true }).mailboxes, ['alice@example.test'], 'a mailbox wins');
    assert.deepEqual(d.expandRecipient('team@example.test', { catchalls: true }).mailboxes, ['alice@example.test', 'bob@example.test'], 'an alias wins');
    assert.deepEqual(d.expandRecipient('x@other.test', { catchalls: true }).mailboxes, ['alice@example.test', 'bob@example.test'], 'catchall to an alias');
    // An alias target that is unknown in a domain with a catchall also lands there.
    // ghostly@example.test -> ghost@other.test (unknown) -> other.test's catchall team@ -> alice, bob
    assert.deepEqual(d.expandRecipient('ghostly@example.test', { catchalls: true }).mailboxes, ['alice@example.test', 'bob@example.test']);
    // Remote target: external (needs remote delivery).
    d.catchalls.set('example.test', 'Someone@Remote.Test');
    assert.deepEqual(d.expandRecipient('nobody@example.test', { catchalls: true }), { mailboxes: [], external: ['someone@remote.test'], unresolved: [] });
  } finally {
    d.close();
  }
});

test('R7 a catchall target removed later resolves to nothing (no chaining into another catchall)', async () => {
  const d = await dir();
  try {
    d.catchalls.set('example.test', 'bob@example.test');
    d.removeMailbox('bob@example.test');
    // bob@example.test is now unknown in a domain with a catchall: it must not loop back.
    assert.deepEqual(d.expandRecipient('nobody@example.test', { catchalls: true }), { mailboxes: [], external: [], unresolved: ['bob@example.test'] });
  } finally {
    d.close();
  }
});
