// Defect 2 of issue 9: a mailbox whose name the Maildir layout cannot store must never
// be accepted at RCPT. The directory refuses such names now (src/core/mailbox-name.ts);
// rows written before that (here: straight into the SQLite file) are refused at RCPT
// with 550 5.2.1, whether reached directly, through an alias or through a catchall,
// and nothing is queued for them. Those refusals are our directory's fault, not the
// client's: fault "none", never counted for H5.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { start, USERS, type TestServer } from '../protocol/support.js';
import { ehloClient, codes } from '../helpers/smtp-client.js';

/** Writes rows the way an older Rampart (or a hand edit) could have, bypassing validation. */
function legacyRows(ts: TestServer): void {
  const db = new Database(ts.server.config().directoryPath);
  try {
    db.pragma('busy_timeout = 5000');
    const now = Date.now();
    db.prepare('INSERT INTO mailboxes (address, local, domain, password_hash, created_at) VALUES (?, ?, ?, NULL, ?)').run('a/b@example.test', 'a/b', 'example.test', now);
    db.prepare('INSERT INTO mailboxes (address, local, domain, password_hash, created_at) VALUES (?, ?, ?, NULL, ?)').run('..@example.test', '..', 'example.test', now);
    db.prepare('INSERT INTO aliases (address, domain, targets, created_at) VALUES (?, ?, ?, ?)').run('legacy@example.test', 'example.test', JSON.stringify(['a/b@example.test', USERS.alice.address]), now);
    db.prepare('INSERT INTO domains (name, created_at) VALUES (?, ?)').run('catch.test', now);
    db.prepare('INSERT INTO mailboxes (address, local, domain, password_hash, created_at) VALUES (?, ?, ?, NULL, ?)').run('x\\y@catch.test', 'x\\y', 'catch.test', now);
    db.prepare('INSERT INTO catchalls (domain, target, created_at) VALUES (?, ?, ?)').run('catch.test', 'x\\y@catch.test', now);
  } finally {
    db.close();
  }
}

describe('mailbox names Maildir cannot store (issue 9, defect 2)', { timeout: 60_000 }, () => {
  test('RCPT refuses a stored unstorable mailbox with 550 5.2.1, directly, through an alias and through a catchall; H5 does not count it', async () => {
    const ts = await start({ limits: { maxFailedCommands: 2 } }); // five 5.2.1 refusals must not end the session
    try {
      legacyRows(ts);
      const { c } = await ehloClient(ts.ports.mx);
      try {
        assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test>')), '250 2.1.0');
        for (const to of ['a/b@example.test', 'A/B@Example.Test', '"a/b"@example.test', 'legacy@example.test', 'anyone@catch.test']) {
          const r = await c.cmd(`RCPT TO:<${to}>`);
          assert.equal(codes(r), '550 5.2.1', `${to}: ${r.text}`);
          assert.match(r.text, /^5\.2\.1 Mailbox unavailable: it cannot receive mail$/);
        }
        assert.equal(codes(await c.cmd(`RCPT TO:<${USERS.alice.address}>`)), '250 2.1.5', 'a good mailbox still is');
        assert.equal(codes(await c.cmd('RCPT TO:<nobody@example.test>')), '550 5.1.1', 'an unknown one still is unknown');
      } finally {
        c.close();
      }
      const lines = ts.logs.filter((l) => l.event === 'decision' && l.check === 'rcpt.localRecipient' && l.code === 550 && l.enhanced === '5.2.1');
      assert.equal(lines.length, 5);
      assert.deepEqual(lines.map((l) => l.fault), ['none', 'none', 'none', 'none', 'none']);
      assert.equal(ts.logs.filter((l) => l.check === 'session.maxFailedCommands').length, 0);
      assert.match(String(lines[0].reason), /^mailbox a\/b@example\.test cannot be delivered to: the local part contains "\/"/);
      assert.match(String(lines[4].reason), /^mailbox x\\y@catch\.test cannot be delivered to: the local part contains "\\"/);
    } finally {
      await ts.stop();
    }
  });
});
