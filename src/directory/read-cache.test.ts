// The directory's read cache (read-cache.ts) never answers from a stale state:
// our own writes clear it at once, another process's (the CLI's) by the next
// event-loop turn.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Directory } from './store.js';

function withTwo(fn: (server: Directory, cli: Directory) => Promise<void>): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'rampart-cache-'));
  const path = join(tmp, 'directory.sqlite');
  const server = Directory.open(path);
  const cli = Directory.open(path); // a second connection, as the CLI opens it
  return fn(server, cli).finally(() => {
    server.close();
    cli.close();
    rmSync(tmp, { recursive: true, force: true });
  });
}

test('directory read cache: our own writes are seen at once (domains, limits)', () =>
  withTwo(async (server) => {
    assert.equal(server.isLocalDomain('example.org'), false);
    server.addDomain('example.org');
    assert.equal(server.isLocalDomain('Example.ORG'), true, 'same turn, same connection');
    assert.deepEqual(server.limits.forDomain('example.org'), {});
    server.limits.set('example.org', { maxRecipients: 3 });
    assert.deepEqual(server.limits.forDomain('example.org'), { maxRecipients: 3 });
    server.limits.unset('example.org');
    assert.deepEqual(server.limits.forDomain('example.org'), {});
    server.removeDomain('example.org');
    assert.equal(server.isLocalDomain('example.org'), false);
  }));

test('directory read cache: another connection\'s writes are seen from the next event-loop turn on', () =>
  withTwo(async (server, cli) => {
    assert.equal(server.isLocalDomain('example.net'), false);
    assert.deepEqual(server.limits.forSender('a@example.net'), {});
    await nextTurn();
    cli.addDomain('example.net');
    cli.limits.set('a@example.net', { recipientsPerHour: 7 });
    await nextTurn();
    assert.equal(server.isLocalDomain('example.net'), true);
    assert.deepEqual(server.limits.forSender('a@example.net'), { recipientsPerHour: 7 });
    await nextTurn();
    cli.removeDomain('example.net');
    await nextTurn();
    assert.equal(server.isLocalDomain('example.net'), false);
  }));

test('directory read cache: quotas (own writes at once, the CLI\'s from the next turn, a removed domain\'s default gone)', () =>
  withTwo(async (server, cli) => {
    server.addDomain('example.org');
    await server.addMailbox('alice@example.org', 'secret-password-1');
    assert.equal(server.quotas.effective('alice@example.org'), undefined);
    server.quotas.set('example.org', { bytes: 1000 });
    assert.deepEqual(server.quotas.effective('alice@example.org'), { bytes: 1000, mode: 'hold', from: 'domain' });
    await nextTurn();
    cli.quotas.set('alice@example.org', { bytes: 500, mode: 'return' });
    await nextTurn();
    assert.deepEqual(server.quotas.effective('Alice@example.org'), { bytes: 500, mode: 'return', from: 'mailbox' });
    await nextTurn();
    cli.quotas.unset('alice@example.org');
    await nextTurn();
    assert.deepEqual(server.quotas.effective('alice@example.org'), { bytes: 1000, mode: 'hold', from: 'domain' });
    server.removeDomain('example.org');
    assert.equal(server.quotas.effective('alice@example.org'), undefined, 'the domain default cascaded away');
  }));

test('directory read cache: recipients (own writes at once, the CLI\'s from the next turn, a fresh answer each time)', () =>
  withTwo(async (server, cli) => {
    server.addDomain('example.org');
    assert.equal(server.lookupRecipient('bob', 'example.org'), undefined);
    await server.addMailbox('bob@example.org', 'secret-password-1');
    assert.deepEqual(server.lookupRecipient('Bob', 'example.org'), { kind: 'mailbox', address: 'bob@example.org' });
    await nextTurn();
    cli.addAlias('team@example.org', ['bob@example.org']);
    await nextTurn();
    const first = server.lookupRecipient('team', 'example.org');
    assert.deepEqual(first, { kind: 'alias', address: 'team@example.org', targets: ['bob@example.org'] });
    if (first?.kind === 'alias') first.targets.push('changed@example.org');
    assert.deepEqual(server.lookupRecipient('team', 'example.org'), { kind: 'alias', address: 'team@example.org', targets: ['bob@example.org'] }, 'a caller cannot change the cached answer');
    server.removeAlias('team@example.org');
    server.removeMailbox('bob@example.org');
    assert.equal(server.lookupRecipient('team', 'example.org'), undefined);
    assert.equal(server.lookupRecipient('bob', 'example.org'), undefined);
  }));
