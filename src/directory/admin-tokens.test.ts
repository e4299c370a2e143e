import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Directory, DirectoryError } from './store.js';

test('tokens: shown once, only the hash stored, verify, read-only flag, revoke, names checked', () => {
  const dir = Directory.open(':memory:');
  try {
    const { token, info } = dir.tokens.create('CI', { readOnly: true });
    assert.match(token, /^rmp_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual({ name: info.name, readOnly: info.readOnly }, { name: 'ci', readOnly: true });
    const stored = (dir as unknown as { db: { prepare(s: string): { all(): unknown[] } } }).db.prepare('SELECT * FROM admin_tokens').all();
    assert.doesNotMatch(JSON.stringify(stored), new RegExp(token.slice(4)), 'the secret is not stored');
    assert.equal(dir.tokens.verify(token)?.name, 'ci');
    assert.equal(dir.tokens.verify(token)?.readOnly, true);
    assert.ok(dir.tokens.list()[0].lastUsedAt !== undefined, 'use recorded');
    assert.equal(dir.tokens.verify(token + 'x'), undefined);
    assert.equal(dir.tokens.verify('not-a-token'), undefined);
    assert.throws(() => dir.tokens.create('ci'), (e: DirectoryError) => e.kind === 'conflict');
    assert.throws(() => dir.tokens.create('no spaces'), (e: DirectoryError) => e.kind === 'invalid');
    const rw = dir.tokens.create('deploy');
    assert.equal(dir.tokens.verify(rw.token)?.readOnly, false);
    assert.deepEqual(dir.tokens.list().map((t) => t.name), ['ci', 'deploy']);
    assert.deepEqual(dir.tokens.list({ after: 'ci', limit: 5 }).map((t) => t.name), ['deploy']);
    dir.tokens.revoke('CI');
    assert.equal(dir.tokens.verify(token), undefined, 'revoked at once');
    assert.throws(() => dir.tokens.revoke('ci'), (e: DirectoryError) => e.kind === 'notFound');
  } finally {
    dir.close();
  }
});
