// Q5 quotas in the directory: a mailbox's own fields over its domain's, field by
// field; validation naming the problem; removal with the mailbox or the domain.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Directory, DirectoryError } from './store.js';

async function dir(): Promise<Directory> {
  const d = Directory.open(':memory:');
  d.addDomain('example.org');
  await d.addMailbox('alice@example.org');
  await d.addMailbox('bob@example.org');
  return d;
}

test('Q5 effective quota: mailbox fields over domain fields; mode defaults to hold; none without a limit', async () => {
  const d = await dir();
  try {
    assert.equal(d.quotas.effective('alice@example.org'), undefined);
    d.quotas.set('Example.ORG', { bytes: 1000, mode: 'return' });
    assert.deepEqual(d.quotas.effective('alice@example.org'), { bytes: 1000, mode: 'return', from: 'domain' });
    d.quotas.set('ALICE@example.org', { messages: 5 });
    assert.deepEqual(d.quotas.effective('alice@example.org'), { bytes: 1000, messages: 5, mode: 'return', from: 'domain' }, 'the byte limit still comes from the domain');
    d.quotas.set('alice@example.org', { bytes: 2000, mode: 'hold' });
    assert.deepEqual(d.quotas.effective('alice@example.org'), { bytes: 2000, messages: 5, mode: 'hold', from: 'mailbox' });
    assert.deepEqual(d.quotas.get('alice@example.org'), { subject: 'alice@example.org', bytes: 2000, messages: 5, mode: 'hold' }, 'set merges with what was stored');
    assert.deepEqual(d.quotas.effective('bob@example.org'), { bytes: 1000, mode: 'return', from: 'domain' });
    d.quotas.set('bob@example.org', { mode: 'hold' });
    assert.deepEqual(d.quotas.effective('bob@example.org'), { bytes: 1000, mode: 'hold', from: 'domain' }, 'a mode alone on the mailbox');
    d.quotas.unset('example.org');
    assert.equal(d.quotas.effective('bob@example.org'), undefined, 'a mode without a limit is no quota');
  } finally {
    d.close();
  }
});

test('Q5 quota validation and removal: unknown subjects, negative values; gone with the mailbox or the domain', async () => {
  const d = await dir();
  try {
    assert.throws(() => d.quotas.set('ghost@example.org', { bytes: 1 }), (e: Error) => e instanceof DirectoryError && e.kind === 'notFound' && /Mailbox ghost@example\.org does not exist/.test(e.message));
    assert.throws(() => d.quotas.set('other.org', { bytes: 1 }), /Domain other\.org is not a local domain/);
    assert.throws(() => d.quotas.set('alice@example.org', { bytes: -1 }), /bytes: expected a whole number 0 or more, got -1/);
    assert.throws(() => d.quotas.set('alice@example.org', { messages: 1.5 }), /messages: expected a whole number/);
    assert.throws(() => d.quotas.unset('alice@example.org'), /alice@example\.org has no quota of its own/);
    d.quotas.set('alice@example.org', { bytes: 10 });
    d.removeMailbox('alice@example.org');
    await d.addMailbox('alice@example.org');
    assert.equal(d.quotas.effective('alice@example.org'), undefined, 'a new mailbox of the same name starts without the old quota');
    d.quotas.set('example.org', { bytes: 10 });
    d.removeDomain('example.org');
    d.addDomain('example.org');
    assert.equal(d.quotas.get('example.org'), undefined, 'removed with its domain');
  } finally {
    d.close();
  }
});
