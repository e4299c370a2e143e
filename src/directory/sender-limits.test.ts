import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Directory, DirectoryError } from './store.js';

test('S2/H7 limits: address beats its domain; unset; list', () => {
  const d = Directory.open(':memory:');
  d.limits.set('example.org', { maxMessageSize: 1000, maxRecipients: 5 });
  d.limits.set('Alice@Example.org', { maxRecipients: 50 });
  assert.deepEqual(d.limits.forSender('alice@example.org'), { maxMessageSize: 1000, maxRecipients: 50 });
  assert.deepEqual(d.limits.forSender('bob@example.org'), { maxMessageSize: 1000, maxRecipients: 5 });
  assert.deepEqual(d.limits.forSender(''), {});
  assert.deepEqual(d.limits.forDomain('EXAMPLE.org'), { maxMessageSize: 1000, maxRecipients: 5 });
  d.limits.unset('example.org', ['maxRecipients']);
  assert.deepEqual(d.limits.forDomain('example.org'), { maxMessageSize: 1000 });
  d.limits.unset('example.org');
  assert.deepEqual(d.limits.list(), [{ subject: 'alice@example.org', limits: { maxRecipients: 50 } }]);
  d.close();
});

test('limits: bad keys and values are refused with a sentence naming them', () => {
  const d = Directory.open(':memory:');
  assert.throws(() => d.limits.set('example.org', { maxRecipient: 5 }), (e: Error) => e instanceof DirectoryError && /maxRecipient/.test(e.message));
  assert.throws(() => d.limits.set('example.org', { maxRecipients: 0 }), (e: Error) => e instanceof DirectoryError && /maxRecipients/.test(e.message));
  assert.throws(() => d.limits.set('not a domain', { maxRecipients: 1 }), DirectoryError);
  assert.throws(() => d.limits.unset('example.org', ['bogus']), /bogus/);
  d.close();
});
