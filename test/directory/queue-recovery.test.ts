// R10 "How to recover from an open-relay" (Mailtraq), end to end against the real
// server running as a child process: hold all delivery, find the abuse in the
// queue, purge it by sender, release without a restart or SIGHUP, and check that
// the legitimate mail is delivered and the purged mail is not.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessServer } from '../helpers/process-server.js';
import { runCli } from '../helpers/cli.js';
import { SmtpClient } from '../helpers/smtp-client.js';
import { until } from '../helpers/until.js';

async function send(port: number, from: string, rcpts: string[], subject: string): Promise<string> {
  const c = await SmtpClient.connect(port);
  try {
    assert.equal((await c.reply()).code, 220);
    assert.equal((await c.cmd('EHLO client.test')).code, 250);
    const m = await c.cmd(`MAIL FROM:<${from}>`);
    assert.equal(`${m.code} ${m.enhanced}`, '250 2.1.0', m.text);
    for (const r of rcpts) assert.equal((await c.cmd(`RCPT TO:<${r}>`)).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    const r = await c.cmd(`From: ${from}\r\nSubject: ${subject}\r\n\r\nbody\r\n.`);
    assert.equal(`${r.code} ${r.enhanced}`, '250 2.0.0');
    await c.cmd('QUIT');
    return /queued as (\S+)/.exec(r.text)![1];
  } finally {
    c.close();
  }
}

function maildir(ps: ProcessServer, local: string): string[] {
  const d = join(ps.dir, 'data/mail/example.test', local, 'Maildir/new');
  return existsSync(d) ? readdirSync(d).map((f) => readFileSync(join(d, f), 'latin1')) : [];
}


async function listJson(ps: ProcessServer, ...filters: string[]): Promise<{ held: boolean; count: number; total: number; messages: Array<{ id: string; mailFrom: string }> }> {
  return JSON.parse(await ps.cli('queue', 'list', '--json', ...filters));
}

test('R10 hold, find, purge by sender, release at runtime: the rest is delivered, the purged mail never', { timeout: 90_000 }, async () => {
  // H1 off: the senders' domains are made up and must not reach a real resolver.
  const ps = await ProcessServer.create({ policy: { senderDomainResolvable: false } });
  try {
    await ps.cli('user', 'add', 'bob@example.test', '--password', 'bob-secret-pw');
    // Held before the server starts: the flag file survives restarts.
    assert.match(await ps.cli('queue', 'hold', '--reason', 'open relay clean-up'), /^delivery held/);
    await ps.start();

    const spam: string[] = [];
    for (let i = 0; i < 3; i++) spam.push(await send(ps.port, 'spammer@evil.test', ['alice@example.test', 'bob@example.test'], `spam ${i}`));
    const good = [await send(ps.port, 'friend@good.test', ['alice@example.test'], 'good 1'), await send(ps.port, 'friend@good.test', ['alice@example.test'], 'good 2')];
    await new Promise((r) => setTimeout(r, 1500)); // more than one hold poll
    assert.equal(maildir(ps, 'alice').length + maildir(ps, 'bob').length, 0, 'nothing delivered while held');

    // Find.
    const all = await listJson(ps);
    assert.equal(all.held, true);
    assert.equal(all.count, 5);
    assert.match((await ps.cli('queue', 'list')).split('\n')[0], /^delivery: HELD by rampart queue hold since .* \(open relay clean-up\)$/);
    assert.deepEqual((await listJson(ps, '--sender', '*@evil.test')).messages.map((m) => m.id).sort(), [...spam].sort());
    assert.equal((await listJson(ps, '--client-ip', '127.0.0.0/8')).count, 5);
    assert.equal((await listJson(ps, '--client-ip', '10.0.0.0/8')).count, 0);
    assert.equal((await listJson(ps, '--rcpt-domain', 'example.test', '--since', '10m')).count, 5);
    assert.equal((await listJson(ps, '--before', '10m')).count, 0);
    assert.match(await ps.cli('queue', 'show', spam[0]), /\nfrom: <spammer@evil\.test>\nto: <alice@example\.test>  local  pending\nto: <bob@example\.test>  local  pending\n\n(Received: [^\n]*\n(\t[^\n]*\n)*)?From: spammer@evil\.test\nSubject: spam 0\n$/);

    // Purge: a filter is required; dry run first.
    const nofilter = await runCli(['queue', 'purge'], { config: ps.configPath });
    assert.equal(nofilter.code, 2);
    assert.match(nofilter.stderr, /needs at least one filter/);
    assert.match(await ps.cli('queue', 'purge', '--sender', 'spammer@evil.test', '--dry-run'), /would purge 3 messages \(dry run: nothing removed\)\n$/);
    assert.equal((await listJson(ps)).count, 5);
    const purged = await ps.cli('queue', 'purge', '--sender', 'spammer@evil.test');
    for (const id of spam) assert.match(purged, new RegExp(`^purged ${id} from <spammer@evil\\.test> to 2 recipients \\(client 127\\.0\\.0\\.1\\)$`, 'm'));
    assert.match(purged, /^purged 3 messages; files moved to .*purged$/m);
    assert.deepEqual(readdirSync(join(ps.dir, 'data/spool/purged')).sort(), [...spam].sort());
    assert.deepEqual((await listJson(ps)).messages.map((m) => m.id), good);

    // Release at runtime: no restart, no SIGHUP.
    assert.equal(await ps.cli('queue', 'release'), 'delivery released\n');
    await until('good mail delivered', () => maildir(ps, 'alice').length === 2);
    await until('purged ids dropped', () => spam.every((id) => new RegExp(`"event":"gone"[^\\n]*"queueId":"${id}"`).test(ps.output)));
    assert.equal(maildir(ps, 'bob').length, 0, 'purged mail never delivered');
    assert.ok(maildir(ps, 'alice').every((m) => /Subject: good \d/.test(m)));
    // The Maildir file lands before the journal retires the queue entry, so the
    // queue empties a moment after the second delivery, not with it.
    await until('queue empty', async () => (await listJson(ps)).count === 0);
    assert.equal((await listJson(ps)).held, false);
    for (const id of spam) assert.match(ps.output, new RegExp(`"event":"gone"[^\\n]*"queueId":"${id}"`));
    assert.doesNotMatch(ps.output, /"level":50/, 'no error logged');
    assert.equal(existsSync(join(ps.dir, 'data/spool/failed')) && readdirSync(join(ps.dir, 'data/spool/failed')).length > 0, false);
    assert.equal(ps.child!.exitCode, null, 'server still running');

    // Hold again at runtime: new mail stays queued until released.
    await ps.cli('queue', 'hold');
    const later = await send(ps.port, 'friend@good.test', ['bob@example.test'], 'later');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(maildir(ps, 'bob').length, 0);
    assert.deepEqual((await listJson(ps)).messages.map((m) => m.id), [later]);
    await ps.cli('queue', 'release');
    await until('held mail delivered after release', () => maildir(ps, 'bob').length === 1);
    assert.equal(await ps.signal('SIGTERM'), 0);
  } finally {
    ps.cleanup();
  }
});
