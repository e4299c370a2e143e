// Q5 Maildir++ maildirsize: the file Dovecot's maildir quota backend shares with
// us. Created by a recount, kept by appended lines (ours on delivery, Dovecot's
// negative ones on expunge), recalculated by the Maildir++ rules: larger than
// 5120 octets, another quota line, or over quota and 15 minutes old.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addDelivery, maildirUsage, quotaLine, recalculate, RECALC_OVER_QUOTA_AGE_MS } from './maildirsize.js';

function maildir(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'rampart-quota-')), 'Maildir');
  for (const d of ['tmp', 'new', 'cur', '.Sent/cur', '.Sent/new']) mkdirSync(join(dir, d), { recursive: true });
  return dir;
}

function put(dir: string, folder: string, name: string, octets: number): string {
  const p = join(dir, folder, name);
  writeFileSync(p, 'x'.repeat(octets));
  return p;
}

const size = (dir: string) => readFileSync(join(dir, 'maildirsize'), 'latin1');

test('Q5 maildirsize: created by a recount of new/, cur/ and the Maildir++ folders (S= from the name, else stat)', async () => {
  const dir = maildir();
  try {
    put(dir, 'new', '1.M1P1.host,S=1000', 1000);
    put(dir, 'cur', '2.M2P1.host,S=500:2,S', 500);
    put(dir, '.Sent/cur', '3.M3P1.host:2,S', 300); // no S=: stat
    const q = { bytes: 10_000, messages: 100 };
    assert.deepEqual(await maildirUsage(dir, q), { bytes: 1800, messages: 3 });
    assert.equal(size(dir), '10000S,100C\n1800 3\n');
    assert.equal(quotaLine({ bytes: 5 }), '5S');
    assert.equal(quotaLine({ messages: 5 }), '5C');
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('Q5 maildirsize: a delivery appends a line; Dovecot\'s expunge line (negative) brings usage down', async () => {
  const dir = maildir();
  try {
    const q = { bytes: 10_000 };
    assert.deepEqual(await maildirUsage(dir, q), { bytes: 0, messages: 0 });
    put(dir, 'new', '1.M1P1.host,S=4000', 4000);
    await addDelivery(dir, 4000, q);
    assert.deepEqual(await maildirUsage(dir, q), { bytes: 4000, messages: 1 });
    put(dir, 'new', '2.M2P1.host,S=3000', 3000);
    await addDelivery(dir, 3000, q);
    assert.equal(size(dir), '10000S\n0 0\n4000 1\n3000 1\n');
    // What Dovecot writes when the user deletes the first message (quota = maildir backend).
    unlinkSync(join(dir, 'new', '1.M1P1.host,S=4000'));
    appendFileSync(join(dir, 'maildirsize'), '-4000 -1\n');
    assert.deepEqual(await maildirUsage(dir, q), { bytes: 3000, messages: 1 });
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('Q5 maildirsize: mail deleted without a line is found by the recount once the sum is over quota and the file is 15 minutes old', async () => {
  const dir = maildir();
  try {
    const q = { bytes: 5000 };
    put(dir, 'cur', '1.M1P1.host,S=3000:2,S', 3000);
    const second = put(dir, 'cur', '2.M2P1.host,S=3000:2,S', 3000);
    const now = Date.now();
    assert.deepEqual(await maildirUsage(dir, q, { now }), { bytes: 6000, messages: 2 });
    unlinkSync(second); // deleted by a client that keeps no maildirsize
    assert.deepEqual(await maildirUsage(dir, q, { now }), { bytes: 6000, messages: 2 }, 'a fresh file is trusted');
    assert.deepEqual(await maildirUsage(dir, q, { now: now + RECALC_OVER_QUOTA_AGE_MS + 1000 }), { bytes: 3000, messages: 1 }, 'over quota and 15 minutes old: recounted');
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('Q5 maildirsize: recalculated when larger than 5120 octets, when the quota line changed, and when it is garbage', async () => {
  const dir = maildir();
  try {
    put(dir, 'new', '1.M1P1.host,S=100', 100);
    const q = { bytes: 1_000_000 };
    await maildirUsage(dir, q);
    appendFileSync(join(dir, 'maildirsize'), '7 1\n'.repeat(1300)); // > 5120 octets, and wrong
    assert.deepEqual(await maildirUsage(dir, q), { bytes: 100, messages: 1 });
    assert.equal(size(dir), '1000000S\n100 1\n');
    assert.deepEqual(await maildirUsage(dir, { bytes: 2_000_000, messages: 9 }), { bytes: 100, messages: 1 });
    assert.equal(size(dir), '2000000S,9C\n100 1\n', 'the new quota line is written');
    writeFileSync(join(dir, 'maildirsize'), '2000000S,9C\nnonsense\n');
    assert.deepEqual(await maildirUsage(dir, { bytes: 2_000_000, messages: 9 }), { bytes: 100, messages: 1 });
    const old = (Date.now() - 2 * RECALC_OVER_QUOTA_AGE_MS) / 1000;
    utimesSync(join(dir, 'maildirsize'), old, old);
    assert.deepEqual(await maildirUsage(dir, { bytes: 2_000_000, messages: 9 }), { bytes: 100, messages: 1 }, 'old but under quota: read as it is');
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('Q5 maildirsize: a Maildir whose first message went to a folder (quarantine into .Junk) has no tmp/ of its own; the recount still works', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'rampart-quota-')), 'Maildir');
  try {
    // What delivery into <Maildir>/.Junk creates first: the folder, not the Maildir's own tmp/ new/ cur/.
    for (const d of ['.Junk/tmp', '.Junk/new', '.Junk/cur']) mkdirSync(join(dir, d), { recursive: true });
    put(dir, '.Junk/new', '1.M1P1.host,S=700', 700);
    const q = { bytes: 10_000 };
    await addDelivery(dir, 700, q); // creates maildirsize by a recount
    assert.equal(size(dir), '10000S\n700 1\n');
    unlinkSync(join(dir, 'maildirsize'));
    writeFileSync(join(dir, 'maildirsize'), ''); // left empty by an earlier failed recount
    assert.deepEqual(await maildirUsage(dir, q), { bytes: 700, messages: 1 });
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});

test('Q5 maildirsize: recounts asked for at the same time share one count (no racing renames)', async () => {
  const dir = maildir();
  try {
    put(dir, 'new', '1.M1P1.host,S=100', 100);
    const q = { bytes: 1000 };
    const a = recalculate(dir, q);
    assert.equal(recalculate(dir, q), a, 'the same count in flight');
    assert.deepEqual(await a, { bytes: 100, messages: 1 });
    const b = recalculate(dir, q);
    assert.notEqual(b, a, 'a later question counts again');
    await b;
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});
