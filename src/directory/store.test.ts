import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Directory, DirectoryError } from './store.js';
import { ensureDemo } from './demo.js';

let tmp: string;
let dir: Directory;

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'rampart-dir-'));
  dir = Directory.open(join(tmp, 'sub', 'directory.sqlite'));
});
afterEach(() => {
  dir.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('open creates the folder, WAL mode and schema version; reopen keeps data', () => {
  dir.addDomain('example.com');
  dir.close();
  const path = join(tmp, 'sub', 'directory.sqlite');
  const raw = new Database(path);
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(raw.pragma('user_version', { simple: true }), 1);
  raw.close();
  dir = Directory.open(path);
  assert.deepEqual(dir.listDomains(), ['example.com']);
});

test('refuses a file from a newer schema', () => {
  const path = join(tmp, 'newer.sqlite');
  const raw = new Database(path);
  raw.pragma('user_version = 99');
  raw.close();
  assert.throws(() => Directory.open(path), DirectoryError);
});

test('domains', () => {
  assert.equal(dir.isEmpty(), true);
  dir.addDomain('Example.COM');
  dir.addDomain('b.example');
  assert.equal(dir.isEmpty(), false);
  assert.deepEqual(dir.listDomains(), ['b.example', 'example.com']);
  assert.equal(dir.isLocalDomain('EXAMPLE.com'), true);
  assert.equal(dir.isLocalDomain('other.com'), false);
  dir.removeDomain('B.example');
  assert.deepEqual(dir.listDomains(), ['example.com']);
});

test('user errors are DirectoryError with a clear message', async () => {
  dir.addDomain('example.com');
  await dir.addMailbox('bob@example.com');
  dir.addAlias('info@example.com', ['bob@example.com']);
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['duplicate domain', () => dir.addDomain('EXAMPLE.com'), /example\.com already exists/],
    ['bad domain', () => dir.addDomain('-bad-.com'), /not a valid domain/],
    ['empty label', () => dir.addDomain('a..b'), /not a valid domain/],
    ['label too long', () => dir.addDomain('a'.repeat(64) + '.com'), /not a valid domain/],
    ['remove unknown domain', () => dir.removeDomain('nope.com'), /nope\.com does not exist/],
    ['mailbox in unknown domain', () => dir.addMailbox('x@nope.test'), /Domain nope\.test is not a local domain/],
    ['no @', () => dir.addMailbox('bob'), /not a valid address/],
    ['empty local', () => dir.addMailbox('@example.com'), /not a valid address/],
    ['space in local', () => dir.addMailbox('a b@example.com'), /not a valid address/],
    ['duplicate mailbox', () => dir.addMailbox('BOB@example.com'), /already exists as a mailbox/],
    ['mailbox over alias', () => dir.addMailbox('info@example.com'), /already exists as an alias/],
    ['alias over mailbox', () => dir.addAlias('bob@example.com', ['x@y.org']), /already exists as a mailbox/],
    ['duplicate alias', () => dir.addAlias('Info@example.com', ['x@y.org']), /already exists as an alias/],
    ['alias in remote domain', () => dir.addAlias('a@remote.org', ['bob@example.com']), /remote\.org is not a local domain/],
    ['alias bad target', () => dir.addAlias('a@example.com', ['nope']), /"nope" is not a valid address/],
    ['alias no targets', () => dir.addAlias('a@example.com', []), /at least one target/],
    ['alias to itself', () => dir.addAlias('a@example.com', ['A@example.com']), /cannot point to itself/],
    ['remove unknown mailbox', () => dir.removeMailbox('x@example.com'), /x@example\.com does not exist/],
    ['remove unknown alias', () => dir.removeAlias('x@example.com'), /x@example\.com does not exist/],
    ['password for unknown', () => dir.setPassword('x@example.com', 'pw'), /does not exist/],
    ['list unknown domain', () => dir.listMailboxes('nope.test'), /nope\.test does not exist/],
    // Defect 2 (issue 9): names a Maildir folder cannot hold, wherever a local name is created.
    ['mailbox with "/"', () => dir.addMailbox('a/b@example.com'), /"a\/b@example\.com" cannot be a local mailbox or alias: the local part contains "\/"/],
    ['mailbox with a leading dot', () => dir.addMailbox('"..x"@example.com'), /not a valid address|starts with "\."/],
    ['mailbox too long in UTF-8', () => dir.addMailbox(`${'é'.repeat(33)}@example.com`), /longer than 64 octets/],
    ['alias with "/"', () => dir.addAlias('x/y@example.com', ['bob@example.com']), /contains "\/"/],
    ['alias to a local "/" target', () => dir.addAlias('z@example.com', ['a/b@example.com']), /"a\/b@example\.com" cannot be a local mailbox/],
    ['catchall to a local "/" target', () => dir.catchalls.set('example.com', 'a/b@example.com'), /contains "\/"/],
  ];
  for (const [name, fn, msg] of cases) {
    await assert.rejects(async () => fn(), (e: unknown) => e instanceof DirectoryError && msg.test(e.message), name);
  }
  // A remote target keeps the wider RFC 5321 syntax: "/" is a valid atext character.
  dir.addAlias('fwd@example.com', ['a/b@remote.org']);
  assert.deepEqual(dir.lookupRecipient('fwd', 'example.com'), { kind: 'alias', address: 'fwd@example.com', targets: ['a/b@remote.org'] });
  dir.removeAlias('fwd@example.com');
});

test('mailboxes and passwords', async () => {
  dir.addDomain('example.com');
  dir.addDomain('other.test');
  await dir.addMailbox('Alice@Example.com', 'pw-a');
  await dir.addMailbox('bob@example.com');
  await dir.addMailbox('carol@other.test', 'pw-c');
  assert.deepEqual(dir.listMailboxes('EXAMPLE.COM'), [
    { address: 'alice@example.com', hasPassword: true },
    { address: 'bob@example.com', hasPassword: false },
  ]);
  assert.equal(dir.listMailboxes().length, 3);
  const cases: Array<[string, string, boolean]> = [
    ['alice@example.com', 'pw-a', true],
    ['ALICE@example.COM', 'pw-a', true],
    ['alice@example.com', 'PW-A', false],
    ['bob@example.com', '', false],
    ['nobody@example.com', 'pw-a', false],
  ];
  for (const [addr, pw, want] of cases) assert.equal(await dir.verifyPassword(addr, pw), want, `${addr} / ${pw}`);
  await dir.setPassword('BOB@example.com', 'pw-b');
  assert.equal(await dir.verifyPassword('bob@example.com', 'pw-b'), true);
  dir.removeMailbox('Alice@example.com');
  assert.equal(await dir.verifyPassword('alice@example.com', 'pw-a'), false);
});

test('removing a domain cascades to its mailboxes and aliases', async () => {
  dir.addDomain('example.com');
  dir.addDomain('keep.test');
  await dir.addMailbox('bob@example.com');
  await dir.addMailbox('ann@keep.test');
  dir.addAlias('info@example.com', ['ann@keep.test']);
  dir.addAlias('all@keep.test', ['bob@example.com', 'ann@keep.test']);
  dir.removeDomain('example.com');
  assert.deepEqual(dir.listMailboxes().map((m) => m.address), ['ann@keep.test']);
  assert.deepEqual(dir.listAliases().map((a) => a.address), ['all@keep.test']);
  assert.equal(dir.lookupRecipient('bob', 'example.com'), undefined);
});

test('lookupRecipient', async () => {
  dir.addDomain('example.com');
  await dir.addMailbox('bob@example.com');
  dir.addAlias('Info@example.com', ['Bob@Example.com', 'x@remote.org', 'bob@example.com']);
  assert.deepEqual(dir.listAliases(), [{ address: 'info@example.com', targets: ['bob@example.com', 'x@remote.org'] }]);
  const cases: Array<[string, string, ReturnType<Directory['lookupRecipient']>]> = [
    ['bob', 'example.com', { kind: 'mailbox', address: 'bob@example.com' }],
    ['BOB', 'EXAMPLE.COM', { kind: 'mailbox', address: 'bob@example.com' }],
    ['info', 'example.com', { kind: 'alias', address: 'info@example.com', targets: ['bob@example.com', 'x@remote.org'] }],
    ['nobody', 'example.com', undefined],
    ['bob', 'remote.org', undefined],
    ['', '', undefined],
  ];
  for (const [local, domain, want] of cases) assert.deepEqual(dir.lookupRecipient(local, domain), want, `${local}@${domain}`);
});

test('expandRecipient', async () => {
  dir.addDomain('example.com');
  for (const m of ['a', 'b', 'c']) await dir.addMailbox(`${m}@example.com`);
  dir.addAlias('team@example.com', ['a@example.com', 'b@example.com', 'ext@remote.org']);
  dir.addAlias('all@example.com', ['team@example.com', 'c@example.com', 'a@example.com', 'ghost@example.com']);
  dir.addAlias('loop1@example.com', ['loop2@example.com', 'a@example.com']);
  dir.addAlias('loop2@example.com', ['loop1@example.com', 'b@example.com']);
  for (let i = 0; i < 12; i++) dir.addAlias(`d${i}@example.com`, [i === 11 ? 'c@example.com' : `d${i + 1}@example.com`]);
  const none: string[] = [];
  const cases: Array<[string, { mailboxes: string[]; external: string[]; unresolved: string[] }]> = [
    ['A@example.com', { mailboxes: ['a@example.com'], external: none, unresolved: none }],
    ['x@remote.org', { mailboxes: none, external: ['x@remote.org'], unresolved: none }],
    ['ghost@example.com', { mailboxes: none, external: none, unresolved: ['ghost@example.com'] }],
    ['team@example.com', { mailboxes: ['a@example.com', 'b@example.com'], external: ['ext@remote.org'], unresolved: none }],
    ['ALL@example.com', {
      mailboxes: ['a@example.com', 'b@example.com', 'c@example.com'],
      external: ['ext@remote.org'],
      unresolved: ['ghost@example.com'],
    }],
    ['loop1@example.com', { mailboxes: ['b@example.com', 'a@example.com'], external: none, unresolved: none }],
    ['d2@example.com', { mailboxes: ['c@example.com'], external: none, unresolved: none }],
    ['d0@example.com', { mailboxes: none, external: none, unresolved: ['d10@example.com'] }],
  ];
  for (const [addr, want] of cases) assert.deepEqual(dir.expandRecipient(addr), want, addr);
});

test('ensureDemo creates the demo only in an empty directory', async () => {
  const created = await ensureDemo(dir, { domain: 'Rampart.test', mailbox: 'demo' });
  assert.ok(created);
  assert.equal(created.address, 'demo@rampart.test');
  assert.equal(created.password.length, 16);
  assert.equal(await dir.verifyPassword('demo@rampart.test', created.password), true);
  assert.equal(await ensureDemo(dir, { domain: 'rampart.test', mailbox: 'demo' }), undefined);
});
