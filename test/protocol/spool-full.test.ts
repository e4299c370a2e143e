// P5 on a full disk, with a real full file system: the spool directory is a
// small tmpfs (mounted by the test; the test machines run as root).
//  - ENOSPC part-way through a message over 64 KiB: the message is read to its
//    end, the spool file is dropped (nothing left in incoming/, no handle left
//    open), the answer is 452 4.3.1 and the session goes on (eod.spool).
//  - The same, 25 times in one session: a server fault, so H5 never closes it.
//  - Below spool.minFreeBytes (or 2 x SIZE=): 452 4.3.1 at MAIL with SIZE= and at
//    DATA / the first BDAT, before the body is sent (mail/data.spoolFreeSpace).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmtpClient, codes } from '../helpers/smtp-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const KiB = 1024;
const MiB = 1024 * KiB;

interface SmallDisk {
  dataDir: string;
  spoolDir: string;
  /** Fills the spool's file system until `leave` octets are free. */
  fill(leave: number): void;
  unfill(): void;
  cleanup(): void;
}

/** A data directory whose spool/ is a tmpfs of `size` octets. */
function smallDisk(size: number): SmallDisk {
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-full-'));
  const spoolDir = join(dataDir, 'spool');
  mkdirSync(spoolDir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', spoolDir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`this test mounts a tmpfs and needs root: ${(e as Error).message}`);
  }
  const filler = join(spoolDir, 'filler');
  const free = () => {
    const s = statfsSync(spoolDir);
    return s.bavail * s.bsize;
  };
  return {
    dataDir,
    spoolDir,
    fill(leave) {
      writeFileSync(filler, Buffer.alloc(Math.max(0, free() - leave)));
    },
    unfill() {
      unlinkSync(filler);
    },
    cleanup() {
      execFileSync('umount', ['-l', spoolDir], { stdio: 'pipe' });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Open file descriptors of this process (the server runs in it) under `dir`. */
function openFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) out.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

async function session(ts: TestServer): Promise<SmtpClient> {
  const c = await SmtpClient.connect(ts.ports.mx);
  assert.equal((await c.reply()).code, 220);
  assert.equal((await c.cmd('EHLO client.test')).code, 250);
  return c;
}


function bigMessage(octets: number): string {
  const line = 'x'.repeat(76) + '\r\n';
  return 'Subject: big\r\n\r\n' + line.repeat(Math.ceil(octets / line.length));
}

test('P5 ENOSPC part-way through a 2 MiB message: read to its end, file dropped, no handle left, 452 4.3.1, the session goes on', async () => {
  const disk = smallDisk(8 * MiB);
  let ts: TestServer | undefined;
  try {
    ts = await startTestServer({ dataDir: disk.dataDir, spool: { minFreeBytes: 0 } });
    const c = await session(ts);
    disk.fill(300 * KiB); // room for the first flushes, not for the whole message
    assert.equal((await c.cmd('MAIL FROM:<sender@client.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write(bigMessage(2 * MiB) + '.\r\n');
    assert.equal(codes(await c.reply(15000)), '452 4.3.1');
    assert.deepEqual(readdirSync(join(disk.spoolDir, 'incoming')), [], 'nothing left in spool/incoming');
    assert.deepEqual(readdirSync(join(disk.spoolDir, 'queue')), []);
    assert.deepEqual(openFilesUnder(disk.spoolDir), [], 'no file handle left open in the spool');
    const d = ts.logs.filter((l) => l.event === 'decision' && l.check === 'eod.spool');
    assert.deepEqual([d.length, d[0]?.fault, d[0]?.feature, d[0]?.code], [1, 'server', 'P5', 452]);
    // The same session, once there is room again.
    disk.unfill();
    assert.equal((await c.cmd('MAIL FROM:<sender@client.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write('Subject: small\r\n\r\nfits now\r\n.\r\n');
    assert.equal(codes(await c.reply()), '250 2.0.0');
    assert.equal((await c.cmd('QUIT')).code, 221);
    c.close();
  } finally {
    await ts?.stop();
    disk.cleanup();
  }
});

test('H5 a disk that fills mid-message, message after message: 25 x 452 4.3.1 from real ENOSPC in one session, no 421, no abuse event', { timeout: 120_000 }, async () => {
  const disk = smallDisk(4 * MiB);
  let ts: TestServer | undefined;
  try {
    ts = await startTestServer({ dataDir: disk.dataDir, spool: { minFreeBytes: 0 }, limits: { maxFailedCommands: 20 } });
    const abuse: unknown[] = [];
    ts.server.abuse.subscribe((e) => void abuse.push(e));
    const c = await session(ts);
    try {
      disk.fill(200 * KiB);
      const message = bigMessage(512 * KiB) + '.\r\n';
      for (let i = 0; i < 25; i++) {
        assert.equal((await c.cmd('MAIL FROM:<sender@client.test>')).code, 250, `MAIL ${i}`);
        assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
        assert.equal((await c.cmd('DATA')).code, 354);
        c.write(message);
        assert.equal(codes(await c.reply(15000)), '452 4.3.1', `message ${i}`);
      }
      assert.equal(codes(await c.cmd('QUIT')), '221 2.0.0', 'the session ended with QUIT, not 421');
    } finally {
      c.close();
    }
    const d = ts.logs.filter((l) => l.event === 'decision' && l.check === 'eod.spool');
    assert.equal(d.length, 25);
    assert.ok(d.every((l) => l.fault === 'server'));
    assert.equal(ts.logs.filter((l) => l.event === 'decision' && l.check === 'session.maxFailedCommands').length, 0);
    assert.deepEqual(abuse, []);
    assert.equal(ts.server.access.lookup('127.0.0.1').deny, undefined, 'no deny entry');
    assert.deepEqual(readdirSync(join(disk.spoolDir, 'incoming')), []);
  } finally {
    await ts?.stop();
    disk.cleanup();
  }
});

test('P5 spool.minFreeBytes: 452 4.3.1 at MAIL with SIZE= and at DATA / first BDAT, before the body; fine again once space is back', async () => {
  const disk = smallDisk(4 * MiB);
  let ts: TestServer | undefined;
  try {
    ts = await startTestServer({ dataDir: disk.dataDir, spool: { minFreeBytes: MiB } });
    const c = await session(ts);
    disk.fill(512 * KiB);
    await new Promise((r) => setTimeout(r, 1100)); // the free-space reading is cached for a second
    assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test> SIZE=1000')), '452 4.3.1');
    assert.equal((await c.cmd('MAIL FROM:<sender@client.test>')).code, 250, 'without SIZE= MAIL passes; DATA decides');
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
    assert.equal(codes(await c.cmd('DATA')), '452 4.3.1', 'refused before 354: the client never sends the body');
    c.write('BDAT 5 LAST\r\nhello');
    assert.equal(codes(await c.reply()), '452 4.3.1', 'the first BDAT chunk is refused (and read)');
    assert.equal((await c.cmd('RSET')).code, 250);
    const logged = ts.logs.filter((l) => l.event === 'decision' && /^(mail|data)\.spoolFreeSpace$/.test(String(l.check)));
    assert.deepEqual(logged.map((l) => [l.check, l.code, l.enhanced, l.fault]), [
      ['mail.spoolFreeSpace', 452, '4.3.1', 'server'],
      ['data.spoolFreeSpace', 452, '4.3.1', 'server'],
      ['data.spoolFreeSpace', 452, '4.3.1', 'server'],
    ]);
    disk.unfill();
    await new Promise((r) => setTimeout(r, 1100));
    // 2 x SIZE= is the reserve when it is larger than minFreeBytes: 2 x 2 MiB > the 4 MiB disk's free space.
    assert.equal(codes(await c.cmd(`MAIL FROM:<sender@client.test> SIZE=${3 * MiB}`)), '452 4.3.1');
    assert.equal((await c.cmd('MAIL FROM:<sender@client.test> SIZE=1000')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write('Subject: ok\r\n\r\nroom again\r\n.\r\n');
    assert.equal(codes(await c.reply()), '250 2.0.0');
    const conn = await c.cmd('QUIT');
    assert.equal(conn.code, 221);
    c.close();
  } finally {
    await ts?.stop();
    disk.cleanup();
  }
});
