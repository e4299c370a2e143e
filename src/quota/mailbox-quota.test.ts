// Q5 the quota question with a message in hand: a maildirsize that refuses the
// message (not only one that says "over quota") is recounted once it is 15
// minutes old, so mail deleted without a maildirsize line (rm, or Dovecot without
// its maildir quota backend) cannot keep a mailbox refusing mail for days.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EffectiveQuota } from '../directory/quotas.js';
import { peekQuotaState, quotaState, wouldExceed } from './mailbox-quota.js';
import { RECALC_OVER_QUOTA_AGE_MS } from './maildirsize.js';

const MAILBOX = 'alice@example.test';

function setup(quota: EffectiveQuota) {
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-quota-state-'));
  const maildir = join(dataDir, 'mail/example.test/alice/Maildir');
  for (const d of ['tmp', 'new', 'cur']) mkdirSync(join(maildir, d), { recursive: true });
  const directory = { quotas: { effective: (m: string) => (m === MAILBOX ? quota : undefined) } } as unknown as Parameters<typeof quotaState>[0];
  const put = (name: string, octets: number) => {
    const p = join(maildir, 'cur', name);
    writeFileSync(p, 'x'.repeat(octets));
    return p;
  };
  /** Makes maildirsize look as if it was last written `ms` ago. */
  const age = (ms: number) => {
    const t = (Date.now() - ms) / 1000;
    utimesSync(join(maildir, 'maildirsize'), t, t);
  };
  return { dataDir, directory, put, age, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

test('Q5 a mailbox exactly at its message limit whose mail was deleted behind our back accepts again once maildirsize is 15 minutes old', async () => {
  const s = setup({ messages: 1, mode: 'hold', from: 'mailbox' });
  try {
    const only = s.put('1.M1P1.host,S=500:2,S', 500);
    const first = (await quotaState(s.directory, s.dataDir, MAILBOX))!;
    assert.deepEqual(first.usage, { bytes: 500, messages: 1 });
    assert.match(wouldExceed(first, 0) ?? '', /is full: 1 of 1 messages/, 'at the limit: no room for one more');
    unlinkSync(only); // no maildirsize line written
    s.age(60_000);
    assert.match(wouldExceed((await quotaState(s.directory, s.dataDir, MAILBOX))!, 0) ?? '', /is full/, 'a fresh file is trusted');
    s.age(RECALC_OVER_QUOTA_AGE_MS + 1000);
    const later = (await quotaState(s.directory, s.dataDir, MAILBOX))!;
    assert.deepEqual(later.usage, { bytes: 0, messages: 0 }, 'recounted although the sum was never over the limit');
    assert.equal(wouldExceed(later, 0), undefined);
  } finally {
    s.cleanup();
  }
});

test('Q5 a mailbox under its byte limit that a message would overfill is recounted for that message once maildirsize is old', async () => {
  const s = setup({ bytes: 6144, mode: 'hold', from: 'mailbox' });
  try {
    const big = s.put('1.M1P1.host,S=5000:2,S', 5000);
    assert.deepEqual((await quotaState(s.directory, s.dataDir, MAILBOX, 3000))!.usage, { bytes: 5000, messages: 1 });
    unlinkSync(big);
    s.age(RECALC_OVER_QUOTA_AGE_MS + 1000);
    const small = (await quotaState(s.directory, s.dataDir, MAILBOX, 100))!;
    assert.deepEqual(small.usage, { bytes: 5000, messages: 1 }, 'a message that fits asks for no recount');
    const st = (await quotaState(s.directory, s.dataDir, MAILBOX, 3000))!;
    assert.deepEqual(st.usage, { bytes: 0, messages: 0 }, 'the 3000-octet message would not fit the old sum: recounted');
    assert.equal(wouldExceed(st, 3000), undefined);
  } finally {
    s.cleanup();
  }
});

test('Q5 a message larger than the whole quota asks for no recount; five questions at once get one right answer', async () => {
  const s = setup({ bytes: 6144, mode: 'hold', from: 'mailbox' });
  try {
    const big = s.put('1.M1P1.host,S=5000:2,S', 5000);
    await quotaState(s.directory, s.dataDir, MAILBOX);
    unlinkSync(big);
    s.age(RECALC_OVER_QUOTA_AGE_MS + 1000);
    const tooBig = (await quotaState(s.directory, s.dataDir, MAILBOX, 7000))!;
    assert.deepEqual(tooBig.usage, { bytes: 5000, messages: 1 }, 'no recount can make 7000 octets fit 6144');
    assert.match(wouldExceed(tooBig, 7000) ?? '', /is full/);
    const maildir = join(s.dataDir, 'mail/example.test/alice/Maildir');
    const before = statSync(join(maildir, 'maildirsize')).ino;
    const answers = await Promise.all(Array.from({ length: 5 }, () => quotaState(s.directory, s.dataDir, MAILBOX, 3000)));
    assert.ok(answers.every((a) => a!.usage.bytes === 0));
    const tmpLeft = readdirSync(join(maildir, 'tmp'));
    assert.deepEqual(tmpLeft, [], 'no recount left a file behind');
    assert.notEqual(statSync(join(maildir, 'maildirsize')).ino, before, 'rewritten');
  } finally {
    s.cleanup();
  }
});

test('Q5 rampart user show (peekQuotaState) counts a Maildir that needs a recount without rewriting its maildirsize', async () => {
  const s = setup({ messages: 1, mode: 'hold', from: 'mailbox' });
  try {
    const only = s.put('1.M1P1.host,S=500:2,S', 500);
    await quotaState(s.directory, s.dataDir, MAILBOX); // writes maildirsize
    const file = join(s.dataDir, 'mail/example.test/alice/Maildir/maildirsize');
    unlinkSync(only);
    s.age(RECALC_OVER_QUOTA_AGE_MS + 1000);
    const peek = (await peekQuotaState(s.directory, s.dataDir, MAILBOX))!;
    assert.deepEqual(peek.usage, { bytes: 500, messages: 1 }, 'not over its limit: the file is read as it is');
    writeFileSync(file, 'garbage\n');
    assert.deepEqual((await peekQuotaState(s.directory, s.dataDir, MAILBOX))!.usage, { bytes: 0, messages: 0 }, 'an unusable file: counted');
    assert.equal(readFileSync(file, 'latin1'), 'garbage\n', 'and left as it was');
  } finally {
    s.cleanup();
  }
});
