import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePassword, hashPassword, verifyPassword } from './password.js';

test('hash format', async () => {
  const h = await hashPassword('secret');
  assert.match(h, /^\$scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
  assert.notEqual(h, await hashPassword('secret'), 'random salt');
});

test('verify', async () => {
  const h = await hashPassword('correct horse');
  const [, , params, salt] = h.split('$');
  const cases: Array<[string, string, string, boolean]> = [
    ['right password', 'correct horse', h, true],
    ['wrong password', 'correct horsE', h, false],
    ['empty password', '', h, false],
    ['empty stored', 'correct horse', '', false],
    ['unknown scheme', 'correct horse', h.replace('$scrypt$', '$argon2$'), false],
    ['bcrypt-looking', 'correct horse', '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ012', false],
    ['plain text', 'correct horse', 'correct horse', false],
    ['N not a power of two', 'correct horse', h.replace('N=16384', 'N=16385'), false],
    ['absurd cost', 'correct horse', h.replace('N=16384', 'N=1073741824'), false],
    ['truncated hash', 'correct horse', `$scrypt$${params}$${salt}$AAAA`, false],
    ['missing part', 'correct horse', `$scrypt$${params}$${salt}`, false],
  ];
  for (const [name, pw, stored, want] of cases) {
    assert.equal(await verifyPassword(pw, stored), want, name);
  }
});

test('unicode passwords are normalized', async () => {
  const h = await hashPassword('caf\u00e9');
  assert.equal(await verifyPassword('cafe\u0301', h), true);
});

test('generatePassword', () => {
  const a = generatePassword();
  assert.equal(a.length, 16);
  assert.match(a, /^[A-Za-z2-9]+$/);
  assert.notEqual(a, generatePassword());
  assert.equal(generatePassword(24).length, 24);
});
