// H7 recipients per message, H8 recipient cutoff and H9 recipients per hour, end
// to end: global limits, per-sender and per-domain overrides from the directory,
// DATA and BDAT, python3 smtplib and swaks, and the hourly window shared by two
// servers through a real redis-server.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, listeners } from '../protocol/support.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { ehlo, decisions, message, smtplib, swaks, swaksReplies, mailbox, USERS } from './support.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;
const BOB = USERS.bob.address;
const authPlain = (user: string, pw: string) => `AUTH PLAIN ${Buffer.from(`\0${user}\0${pw}`).toString('base64')}`;

/** MAIL, then each RCPT; returns the "code enhanced" of each RCPT reply. */
async function rcpts(c: SmtpClient, from: string, to: string[]): Promise<string[]> {
  assert.equal(codes(await c.cmd(`MAIL FROM:<${from}>`)), '250 2.1.0');
  const out: string[] = [];
  for (const t of to) out.push(codes(await c.cmd(`RCPT TO:<${t}>`)));
  return out;
}

describe('H7 recipients per message', { timeout: 60_000 }, () => {
  test('H7 global limit: 452 4.5.3 past it; the message goes to the accepted ones; the rest fit in a new transaction', async () => {
    const ts = await start({ limits: { maxRecipients: 2 } });
    const c = await ehlo(ts.ports.mx);
    try {
      assert.deepEqual(await rcpts(c, 'u@client.test', [ALICE, BOB, 'postmaster@example.test']), ['250 2.1.5', '250 2.1.5', '452 4.5.3']);
      assert.equal(codes(await c.cmd('DATA')), '354 -');
      c.write(message('h7 first') + '.\r\n');
      assert.equal(codes(await c.reply()), '250 2.0.0');
      assert.deepEqual(await rcpts(c, 'u@client.test', ['postmaster@example.test']), ['250 2.1.5']);
      assert.equal(codes(await c.cmd('RSET')), '250 2.0.0');
    } finally {
      c.close();
    }
    assert.equal((await mailbox(ts, BOB, 1)).length, 1);
    const l = decisions(ts, 'rcpt.maxRecipients');
    assert.ok(l.some((x) => x.code === 452 && x.enhanced === '4.5.3' && x.feature === 'H7'));
    await ts.stop();
  });

  test('H7 per sender domain and per sender address from the directory; the most specific wins', async () => {
    const ts = await start({ limits: { maxRecipients: 2 } });
    ts.server.directory.limits.set('small.test', { maxRecipients: 1 });
    ts.server.directory.limits.set('big@small.test', { maxRecipients: 3 });
    const c = await ehlo(ts.ports.mx);
    try {
      const to = [ALICE, BOB, 'postmaster@example.test', 'team@example.test'];
      assert.deepEqual(await rcpts(c, 'x@small.test', to), ['250 2.1.5', '452 4.5.3', '452 4.5.3', '452 4.5.3']);
      await c.cmd('RSET');
      assert.deepEqual(await rcpts(c, 'big@small.test', to), ['250 2.1.5', '250 2.1.5', '250 2.1.5', '452 4.5.3']);
      await c.cmd('RSET');
      assert.deepEqual(await rcpts(c, 'u@client.test', to), ['250 2.1.5', '250 2.1.5', '452 4.5.3', '452 4.5.3']);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('H7 python3 smtplib: the recipient past the limit is reported refused with 452, the others get the message', async () => {
    const ts = await start({ limits: { maxRecipients: 1 } });
    try {
      const r = await smtplib({ port: ts.ports.mx, from: 'u@client.test', to: [ALICE, BOB], msg: Buffer.from(message('h7 smtplib')) });
      assert.equal(r.error, undefined, JSON.stringify(r));
      assert.equal(r.refused?.[BOB]?.[0], 452);
      assert.match(r.refused?.[BOB]?.[1] ?? '', /^4\.5\.3 /);
      assert.equal((await mailbox(ts, ALICE, 1)).length, 1);
    } finally {
      await ts.stop();
    }
  });
});

describe('H8 recipient cutoff', { timeout: 60_000 }, () => {
  test('H8 more recipients presented than the cutoff (refused ones too): DATA gets 550 5.5.3, nothing is delivered', async () => {
    const ts = await start({ limits: { recipientCutoff: 2 } });
    const c = await ehlo(ts.ports.mx);
    try {
      assert.deepEqual(await rcpts(c, 'u@client.test', [ALICE, 'nobody@example.test', BOB]), ['250 2.1.5', '550 5.1.1', '250 2.1.5']);
      assert.equal(codes(await c.cmd('DATA')), '550 5.5.3');
      assert.equal(codes(await c.cmd('RSET')), '250 2.0.0');
      // At the cutoff exactly: fine.
      assert.deepEqual(await rcpts(c, 'u@client.test', [ALICE, 'nobody@example.test']), ['250 2.1.5', '550 5.1.1']);
      assert.equal(codes(await c.cmd('DATA')), '354 -');
      c.write(message('h8 at the cutoff') + '.\r\n');
      assert.equal(codes(await c.reply()), '250 2.0.0');
    } finally {
      c.close();
    }
    const files = await mailbox(ts, ALICE, 1);
    assert.equal(files.length, 1);
    assert.equal(ts.maildir(BOB).length, 0);
    const l = decisions(ts, 'data.recipientCutoff');
    assert.equal(l.length, 1);
    assert.equal(l[0].feature, 'H8');
    assert.equal(l[0].code, 550);
    assert.equal(l[0].enhanced, '5.5.3');
    await ts.stop();
  });

  test('H8 BDAT: the first chunk is read and refused with 550 5.5.3, and so is the LAST one; the session goes on', async () => {
    const ts = await start({ limits: { recipientCutoff: 1 } });
    const c = await ehlo(ts.ports.mx);
    try {
      assert.deepEqual(await rcpts(c, 'u@client.test', [ALICE, BOB]), ['250 2.1.5', '250 2.1.5']);
      const part = 'Subject: h8 bdat\r\n\r\n';
      c.write(`BDAT ${part.length}\r\n${part}`);
      assert.equal(codes(await c.reply()), '550 5.5.3');
      c.write('BDAT 6 LAST\r\nbody\r\n');
      assert.equal(codes(await c.reply()), '550 5.5.3');
      assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0');
      assert.deepEqual(await rcpts(c, 'u@client.test', [ALICE]), ['250 2.1.5'], 'the transaction was reset');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('H8 per sender override with the global cutoff off; swaks sees 550 5.5.3 at DATA', async () => {
    const ts = await start();
    ts.server.directory.limits.set('client.test', { recipientCutoff: 1 });
    try {
      const r = await swaks(ts.ports.mx, ['--from', 'u@client.test', '--to', `${ALICE},${BOB}`]);
      assert.notEqual(r.code, 0);
      assert.ok(swaksReplies(r.stdout).some((l) => l.startsWith('550 5.5.3 ')), r.stdout);
      const ok = await swaks(ts.ports.mx, ['--from', 'u@other.test', '--to', `${ALICE},${BOB}`]);
      assert.equal(ok.code, 0, ok.stdout);
    } finally {
      await ts.stop();
    }
  });
});

describe('H9 recipients per hour', { timeout: 60_000 }, () => {
  test('H9 authenticated user (python3 smtplib, STARTTLS + AUTH): every recipient counts; past the limit 450 4.7.1', async () => {
    const ts = await start({ limits: { recipientsPerHour: 3 } });
    try {
      const auth = { mech: 'PLAIN' as const, user: ALICE, password: USERS.alice.password };
      const first = await smtplib({ port: ts.ports.submission, tls: 'starttls', auth, from: ALICE, to: [BOB, 'postmaster@example.test'], msg: Buffer.from(message('h9 one')) });
      assert.equal(first.error, undefined, JSON.stringify(first));
      assert.deepEqual(first.refused, {});
      const second = await smtplib({ port: ts.ports.submission, tls: 'starttls', auth, from: ALICE, to: [BOB, 'team@example.test'], msg: Buffer.from(message('h9 two')) });
      assert.equal(second.error, undefined, JSON.stringify(second));
      assert.equal(second.refused?.['team@example.test']?.[0], 450);
      assert.match(second.refused?.['team@example.test']?.[1] ?? '', /^4\.7\.1 /);
      const l = decisions(ts, 'rcpt.recipientsPerHour');
      assert.equal(l.length, 1);
      assert.equal(l[0].feature, 'H9');
      assert.match(String(l[0].reason), /^user:alice@example\.test: 3 recipients/);
    } finally {
      await ts.stop();
    }
  });

  test('H9 inbound mail to local domains is not counted; LAN relay is counted per sender and IP; the null sender is not', async () => {
    const ts = await start({ limits: { recipientsPerHour: 2 }, relay: { lanNetworks: ['127.0.0.1/32'] } });
    const c = await ehlo(ts.ports.mx);
    try {
      // Unauthenticated client, local recipients: ordinary inbound mail.
      assert.deepEqual(await rcpts(c, 'u@client.test', [ALICE, BOB, 'postmaster@example.test', 'team@example.test']), Array(4).fill('250 2.1.5'));
      await c.cmd('RSET');
      // Relay from the LAN (loopback): counted for u@client.test from 127.0.0.1.
      assert.deepEqual(await rcpts(c, 'u@client.test', ['a@remote.example', 'b@remote.example', 'c@remote.example']), ['250 2.1.5', '250 2.1.5', '450 4.7.1']);
      await c.cmd('RSET');
      assert.deepEqual(await rcpts(c, 'other@client.test', ['c@remote.example']), ['250 2.1.5'], 'another sender has its own window');
      await c.cmd('RSET');
      assert.equal(codes(await c.cmd('MAIL FROM:<>')), '250 2.1.0');
      for (const t of ['d@remote.example', 'e@remote.example', 'f@remote.example']) assert.equal(codes(await c.cmd(`RCPT TO:<${t}>`)), '250 2.1.5');
      await c.cmd('RSET');
    } finally {
      c.close();
      await ts.stop();
    }
  });
});

describe('H9 recipients per hour on a shared Redis (two servers, one window)', { timeout: 60_000 }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());

  test('H9 an authenticated user uses up the hour on server A, and server B refuses with 450 4.7.1', async () => {
    const cfg = {
      limits: { recipientsPerHour: 3 },
      state: { redis: redis.url, prefix: `h9-${Date.now()}:` },
      listeners: listeners({ mx: { allowInsecureAuth: true } }),
    };
    const a = await start(cfg);
    const b = await start(cfg);
    try {
      const ca = await ehlo(a.ports.mx);
      assert.equal(codes(await ca.cmd(authPlain(ALICE, USERS.alice.password))), '235 2.7.0');
      assert.deepEqual(await rcpts(ca, ALICE, [BOB, 'team@example.test']), ['250 2.1.5', '250 2.1.5']);
      ca.close();
      const cb = await ehlo(b.ports.mx);
      assert.equal(codes(await cb.cmd(authPlain(ALICE, USERS.alice.password))), '235 2.7.0');
      assert.deepEqual(await rcpts(cb, ALICE, ['postmaster@example.test', BOB]), ['250 2.1.5', '450 4.7.1']);
      cb.close();
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test('H9 a lost Redis answers 451 4.3.0 at RCPT; the recipient is not let through', async () => {
    const r2 = await startRedis();
    const ts = await start({ limits: { recipientsPerHour: 3 }, state: { redis: r2.url }, listeners: listeners({ mx: { allowInsecureAuth: true } }) });
    try {
      const c = await ehlo(ts.ports.mx);
      assert.equal(codes(await c.cmd(authPlain(ALICE, USERS.alice.password))), '235 2.7.0');
      await r2.stop();
      assert.equal(codes(await c.cmd(`MAIL FROM:<${ALICE}>`)), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${BOB}>`)), '451 4.3.0');
      c.close();
    } finally {
      await ts.stop();
    }
  });
});
