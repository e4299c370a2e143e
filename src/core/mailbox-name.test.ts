// The one local-part validator for mailboxes (defect 2 of issue 9): what a Maildir
// folder name can hold, and the Maildir path code refusing the rest permanently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dovecotDefaultAccepts, mailboxNameProblem } from './mailbox-name.js';
import { maildirPath } from './mailbox-name.js';

test('mailboxNameProblem: storable local parts pass', () => {
  for (const ok of ['alice', 'bob.smith', 'o\'brien', 'a+tag', 'x_y-z', 'müller', '用户', 'a'.repeat(64), 'é'.repeat(32), 'trailing.dot.inside.a']) {
    assert.equal(mailboxNameProblem(ok), undefined, ok);
  }
});

test('mailboxNameProblem: names a Maildir folder cannot hold are refused, each with its reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['a/b', /contains "\/"/],
    ['../../etc', /contains "\/"/],
    ['a\\b', /contains "\\"/],
    ['a\0b', /control character/],
    ['a\tb', /control character/],
    ['a\x7fb', /control character/],
    ['a\u0085b', /control character/],
    ['.', /directory link/],
    ['..', /directory link/],
    ['.hidden', /starts with "\."/],
    ['a'.repeat(65), /longer than 64 octets/],
    ['é'.repeat(33), /longer than 64 octets/], // 66 octets in UTF-8
    ['a\uD800b', /not valid Unicode/],
  ];
  for (const [local, want] of cases) assert.match(mailboxNameProblem(local) ?? 'accepted', want, JSON.stringify(local));
});

test('maildirPath: an unstorable stored name fails permanently (no five days of retries)', () => {
  assert.equal(maildirPath('/d', 'alice@example.test'), '/d/mail/example.test/alice/Maildir');
  for (const bad of ['a/b@example.test', '..@example.test', '.x@example.test', 'a@../x', 'a@']) {
    assert.throws(() => maildirPath('/d', bad), (e: Error & { permanent?: boolean }) => e.permanent === true && /^unsafe mailbox name /.test(e.message), bad);
  }
});

test('dovecotDefaultAccepts: letters, digits, ".-_@" only', () => {
  assert.equal(dovecotDefaultAccepts('bob.smith-1_x@example.test'), true);
  assert.equal(dovecotDefaultAccepts('a+tag@example.test'), false);
  assert.equal(dovecotDefaultAccepts("o'brien@example.test"), false);
});
