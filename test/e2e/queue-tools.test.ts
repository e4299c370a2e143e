// Q6 queue tools against a running server process: `rampart queue list` shows
// each recipient's state and last reply, and retry, hold ID, bounce and delete
// reach the running scheduler (within its one-second poll) with no restart.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { ProcessServer } from '../helpers/process-server.js';
import { dsnOfMaildirFile, parseDsn } from '../helpers/dsn.js';
import { until } from '../helpers/until.js';


function maildir(ps: ProcessServer, local: string): string[] {
  const d = join(ps.dir, 'data/mail/example.test', local, 'Maildir/new');
  return existsSync(d) ? readdirSync(d).sort().map((f) => readFileSync(join(d, f), 'latin1')) : [];
}

async function send(ps: ProcessServer, to: string[], subject: string): Promise<string> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: ps.port, secure: false, ignoreTLS: true, name: 'nm.client.test' });
  try {
    const info = await t.sendMail({ envelope: { from: 'alice@example.test', to }, raw: `From: alice@example.test\r\nSubject: ${subject}\r\n\r\nbody\r\n` });
    return /queued as (\S+)/.exec(info.response)![1];
  } finally {
    t.close();
  }
}

function count(ps: ProcessServer, text: string): number {
  return ps.output.split(text).length - 1;
}

test('Q6 queue list / retry / hold ID / bounce / delete on a running server', { timeout: 120_000 }, async () => {
  // spoofing: anyone lets the test send as alice@example.test without AUTH on the mx listener.
  const ps = await ProcessServer.create({ delivery: { retryMs: [3_600_000] }, relay: { spoofing: 'anyone' } });
  const bobBox = join(ps.dir, 'data/mail/example.test/bob');
  const breakBob = () => {
    rmSync(join(bobBox, 'Maildir'), { recursive: true, force: true }); // `user add` created it
    mkdirSync(bobBox, { recursive: true });
    writeFileSync(join(bobBox, 'Maildir'), 'x');
  };
  try {
    await ps.cli('user', 'add', 'bob@example.test', '--password', 'bob-secret-pw-1');
    await ps.start();
    breakBob();
    const first = await send(ps, ['alice@example.test', 'bob@example.test'], 'first');
    await until('deferral', () => count(ps, '"event":"deferred"') === 1);
    // The log line comes before the journal's fdatasync: list until the record is read.
    let lines = (await ps.cli('queue', 'list')).split('\n');
    for (let i = 0; i < 50 && !lines[3]?.includes('deferred ('); i++) {
      await new Promise((r) => setTimeout(r, 100));
      lines = (await ps.cli('queue', 'list')).split('\n');
    }
    assert.match(lines[1], new RegExp(`^${first}  \\S+Z  age \\d+s  \\d+  127\\.0\\.0\\.1  <alice@example\\.test>  next: \\S+Z$`));
    assert.equal(lines[2], '    alice@example.test  local  delivered');
    assert.match(lines[3], /^    bob@example\.test  local  deferred \(maildir delivery to bob@example\.test failed: .*\)$/);
    const listed = JSON.parse(await ps.cli('queue', 'list', '--json'));
    assert.deepEqual(listed.messages[0].recipients.map((r: { state: string; status?: string }) => [r.state, r.status]), [['delivered', '2.0.0'], ['deferred', '4.3.0']]);

    rmSync(join(bobBox, 'Maildir'));
    assert.equal(await ps.cli('queue', 'retry', first), `retrying: ${first}\n`);
    await until('retried delivery', () => maildir(ps, 'bob').length === 1);
    assert.equal(maildir(ps, 'alice').length, 1, 'alice not delivered twice');

    breakBob(); // (bob's delivered copy goes with it)
    const second = await send(ps, ['bob@example.test'], 'second');
    await until('deferral', () => count(ps, '"event":"deferred"') === 2);
    await ps.cli('queue', 'hold', second);
    assert.match((await ps.cli('queue', 'list')).split('\n')[1], /  next: held$/);
    assert.equal(await ps.cli('queue', 'bounce', second), `returning to sender: ${second}\n`);
    await until('notice', () => maildir(ps, 'alice').length === 2);
    const n = await parseDsn(dsnOfMaildirFile(maildir(ps, 'alice').find((f) => f.startsWith('Return-Path: <>'))!).dsn);
    assert.deepEqual([n.perRecipient[0]['final-recipient'], n.perRecipient[0].action, n.perRecipient[0].status], ['rfc822; bob@example.test', 'failed', '5.0.0']);
    assert.equal(n.perMessage['x-rampart-queue-id'], second);

    const third = await send(ps, ['bob@example.test'], 'third');
    await until('deferral', () => count(ps, '"event":"deferred"') === 3);
    assert.deepEqual(JSON.parse(await ps.cli('queue', 'delete', third, '--json')), { deleted: [third], missing: [] });
    await until('forget', () => ps.output.includes('"op":"forget"'));
    assert.equal(JSON.parse(await ps.cli('queue', 'list', '--json')).count, 0);
    assert.equal(maildir(ps, 'alice').length, 2, 'a deleted message gets no notice');
    assert.equal(await ps.signal('SIGTERM'), 0);
  } finally {
    ps.cleanup();
  }
});
