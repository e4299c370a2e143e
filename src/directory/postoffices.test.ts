import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Directory, DirectoryError } from './store.js';

async function dir(): Promise<Directory> {
  const d = Directory.open(':memory:');
  for (const n of ['acme.example', 'acme.org', 'beta.example', 'loner.example']) d.addDomain(n);
  await d.addMailbox('alice@acme.example');
  return d;
}

test('R5 postoffices: add, list with domains, names case-insensitive and validated', async () => {
  const d = await dir();
  try {
    assert.equal(d.postoffices.add('Acme'), 'acme');
    d.postoffices.add('beta');
    assert.throws(() => d.postoffices.add('ACME'), /already exists/);
    assert.throws(() => d.postoffices.add('bad name'), DirectoryError);
    assert.throws(() => d.postoffices.add('-x'), DirectoryError);
    d.postoffices.assign('ACME', 'Acme.Example');
    d.postoffices.assign('acme', 'acme.org');
    d.postoffices.assign('acme', 'acme.org'); // idempotent
    d.postoffices.assign('beta', 'beta.example');
    assert.deepEqual(d.postoffices.list(), [
      { name: 'acme', domains: ['acme.example', 'acme.org'] },
      { name: 'beta', domains: ['beta.example'] },
    ]);
    assert.equal(d.postoffices.ofDomain('ACME.ORG'), 'acme');
    assert.equal(d.postoffices.ofAddress('alice@acme.example'), 'acme');
    assert.equal(d.postoffices.ofDomain('loner.example'), undefined);
  } finally {
    d.close();
  }
});

test('R5 a domain belongs to at most one postoffice; unknown names are refused', async () => {
  const d = await dir();
  try {
    d.postoffices.add('acme');
    d.postoffices.add('beta');
    d.postoffices.assign('acme', 'acme.example');
    assert.throws(() => d.postoffices.assign('beta', 'acme.example'), /already belongs to postoffice acme/);
    assert.throws(() => d.postoffices.assign('nope', 'acme.org'), /Postoffice nope does not exist/);
    assert.throws(() => d.postoffices.assign('acme', 'remote.example'), /Domain remote.example does not exist/);
    assert.equal(d.postoffices.unassign('acme.example'), 'acme');
    assert.throws(() => d.postoffices.unassign('acme.example'), /not in a postoffice/);
    d.postoffices.assign('beta', 'acme.example');
    assert.equal(d.postoffices.ofDomain('acme.example'), 'beta');
  } finally {
    d.close();
  }
});

test('R5 removing a postoffice: refused while it owns domains, --force releases them; removing a domain drops its membership', async () => {
  const d = await dir();
  try {
    d.postoffices.add('acme');
    d.postoffices.assign('acme', 'acme.example');
    d.postoffices.assign('acme', 'acme.org');
    assert.throws(() => d.postoffices.remove('acme'), /still owns acme.example, acme.org/);
    d.removeDomain('acme.org');
    assert.deepEqual(d.postoffices.list(), [{ name: 'acme', domains: ['acme.example'] }]);
    assert.deepEqual(d.postoffices.remove('acme', true), ['acme.example']);
    assert.deepEqual(d.postoffices.list(), []);
    assert.ok(d.isLocalDomain('acme.example'), 'the domain stays');
    assert.ok(d.lookupRecipient('alice', 'acme.example'), 'its mailboxes stay');
    assert.throws(() => d.postoffices.remove('acme'), /does not exist/);
  } finally {
    d.close();
  }
});

test('R5 sameTenant: same postoffice, a domain alone is its own postoffice, remote domains are in none', async () => {
  const d = await dir();
  try {
    d.postoffices.add('acme');
    d.postoffices.add('beta');
    d.postoffices.assign('acme', 'acme.example');
    d.postoffices.assign('acme', 'acme.org');
    d.postoffices.assign('beta', 'beta.example');
    const cases: Array<[string, string, boolean]> = [
      ['acme.example', 'acme.example', true],
      ['acme.example', 'ACME.ORG', true],
      ['acme.org', 'acme.example', true],
      ['acme.example', 'beta.example', false],
      ['acme.example', 'loner.example', false],
      ['loner.example', 'loner.example', true],
      ['loner.example', 'acme.example', false],
      ['acme.example', 'remote.example', false],
      ['acme.example', 'sub.acme.example', false],
      ['remote.example', 'remote.example', false],
    ];
    for (const [u, s, want] of cases) assert.equal(d.postoffices.sameTenant(u, s), want, `${u} -> ${s}`);
  } finally {
    d.close();
  }
});

test('R5 postoffices persist in the directory file', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const tmp = mkdtempSync(join(tmpdir(), 'rampart-po-'));
  try {
    const a = Directory.open(join(tmp, 'd.sqlite'));
    a.addDomain('acme.example');
    a.postoffices.add('acme');
    a.postoffices.assign('acme', 'acme.example');
    a.close();
    const b = Directory.open(join(tmp, 'd.sqlite'));
    assert.equal(b.postoffices.ofDomain('acme.example'), 'acme');
    b.close();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
