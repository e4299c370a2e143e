// P5: a 250 after DATA means the message is on disk. A server killed with
// SIGKILL right after the 250 delivers the message after restart.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessServer } from '../helpers/process-server.js';
import { SmtpClient } from '../helpers/smtp-client.js';
import { until } from '../helpers/until.js';

const MESSAGE = 'From: sender@remote.test\r\nTo: alice@example.test\r\nSubject: durable\r\n\r\nline one\r\n..dot line\r\n';

async function sendOne(port: number): Promise<string> {
  const c = await SmtpClient.connect(port);
  assert.equal((await c.reply()).code, 220);
  assert.equal((await c.cmd('EHLO client.test')).code, 250);
  assert.equal((await c.cmd('MAIL FROM:<sender@remote.test>')).code, 250);
  assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  const r = await c.cmd(MESSAGE + '.');
  assert.equal(r.code, 250);
  assert.equal(r.enhanced, '2.0.0');
  c.close();
  return /queued as (\S+)/.exec(r.text)![1];
}

function maildirFiles(ps: ProcessServer): string[] {
  const d = join(ps.dir, 'data/mail/example.test/alice/Maildir/new');
  return existsSync(d) ? readdirSync(d).map((f) => readFileSync(join(d, f), 'latin1')) : [];
}


test('P5 a message acknowledged with 250 survives SIGKILL and is delivered after restart', async () => {
  const ps = await ProcessServer.create({ delivery: { hold: true } });
  try {
    await ps.start();
    const id = await sendOne(ps.port);
    await ps.signal('SIGKILL');
    assert.ok(existsSync(join(ps.dir, 'data/spool/queue', id)), 'queue file exists after the crash');
    assert.equal(maildirFiles(ps).length, 0);
    // A half-received message from the crashed run is never delivered.
    mkdirSync(join(ps.dir, 'data/spool/incoming'), { recursive: true });
    writeFileSync(join(ps.dir, 'data/spool/incoming', '0ABCDEFGHIJKLM123456'), 'RQ1 2\n{}partial');
    ps.writeConfig({ delivery: { hold: false } });
    await ps.start();
    await until('the condition', () => maildirFiles(ps).length === 1);
    const file = maildirFiles(ps)[0];
    assert.ok(file.startsWith('Return-Path: <sender@remote.test>\r\nDelivered-To: alice@example.test\r\nReceived: from client.test'));
    assert.ok(file.endsWith('\r\n\r\n' + MESSAGE.split('\r\n\r\n')[1].replace('..dot', '.dot')));
    await until('the condition', () => readdirSync(join(ps.dir, 'data/spool/queue')).length === 0);
    assert.deepEqual(readdirSync(join(ps.dir, 'data/spool/incoming')), []);
    assert.equal(await ps.signal('SIGTERM'), 0);
  } finally {
    ps.cleanup();
  }
});

test('config: SIGHUP reload swaps the snapshot without dropping connections; a bad file is refused', async () => {
  const ps = await ProcessServer.create({ delivery: { hold: true } });
  try {
    await ps.start();
    await sendOne(ps.port);
    const open = await SmtpClient.connect(ps.port);
    assert.equal((await open.reply()).code, 220);
    assert.equal((await open.cmd('EHLO client.test')).code, 250);
    // A broken file: the running configuration is kept.
    writeFileSync(ps.configPath, 'listeners: [ {');
    ps.child!.kill('SIGHUP');
    await ps.waitForOutput('reload refused');
    ps.writeConfig({ delivery: { hold: false } });
    ps.child!.kill('SIGHUP');
    await ps.waitForOutput('configuration reloaded');
    await until('the condition', () => maildirFiles(ps).length === 1);
    const noop = await open.cmd('NOOP');
    assert.equal(noop.code, 250, 'the connection opened before the reload still works');
    assert.equal(noop.enhanced, '2.0.0');
    open.close();
    assert.equal(await ps.signal('SIGTERM'), 0);
  } finally {
    ps.cleanup();
  }
});

test('config: SIGTERM drains: an idle session gets 421 4.3.2, an open transaction may finish first', async () => {
  const ps = await ProcessServer.create();
  try {
    await ps.start();
    const idle = await SmtpClient.connect(ps.port);
    assert.equal((await idle.reply()).code, 220);
    const busy = await SmtpClient.connect(ps.port);
    assert.equal((await busy.reply()).code, 220);
    assert.equal((await busy.cmd('EHLO client.test')).code, 250);
    assert.equal((await busy.cmd('MAIL FROM:<sender@remote.test>')).code, 250);
    assert.equal((await busy.cmd('RCPT TO:<alice@example.test>')).code, 250);
    const exited = ps.signal('SIGTERM');
    const bye = await idle.reply();
    assert.equal(bye.code, 421);
    assert.equal(bye.enhanced, '4.3.2');
    assert.equal((await busy.cmd('DATA')).code, 354);
    const done = await busy.cmd(MESSAGE + '.');
    assert.equal(done.code, 250, 'the transaction in progress completes');
    const after = await busy.reply();
    assert.equal(after.code, 421);
    assert.equal(after.enhanced, '4.3.2');
    assert.equal(await exited, 0);
  } finally {
    ps.cleanup();
  }
});
