// P1 command by command with a raw socket: the EHLO keyword list, HELO, sequence
// errors, RSET/NOOP/HELP/VRFY/EXPN/QUIT, DSN and other ESMTP parameters,
// SMTPUTF8 addresses and <postmaster>.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { start, mailbox, splitDelivered, USERS } from './support.js';
import { readQueueFile } from '../../src/spool/queue-file.js';
import { SmtpClient, ehloClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;
const BOB = USERS.bob.address;

/** Sends MAIL/RCPT.../DATA/message and returns the queue id from the 250 reply. */
async function sendMessage(c: SmtpClient, mail: string, rcpts: string[], content: string | Buffer): Promise<string> {
  assert.equal(codes(await c.cmd(mail)), '250 2.1.0');
  for (const r of rcpts) assert.equal(codes(await c.cmd(r)), '250 2.1.5', r);
  assert.equal((await c.cmd('DATA')).code, 354);
  c.write(content);
  c.write('.\r\n');
  const r = await c.reply();
  const m = /^250 2\.0\.0 Ok: queued as (\S+)$/.exec(r.lines[0]);
  assert.ok(m, r.lines.join('\n'));
  return m[1];
}

describe('P1 commands', { timeout: 60_000 }, () => {
  test('P1 EHLO on mx lists the extensions, SIZE with the configured limit, STARTTLS and no AUTH before TLS', async () => {
    const ts = await start({ limits: { maxMessageSize: 123456 } });
    const { c, ehlo } = await ehloClient(ts.ports.mx);
    try {
      assert.equal(ehlo.code, 250);
      assert.equal(ehlo.lines[0], '250-mx.rampart.test');
      const kw = ehlo.lines.slice(1).map((l) => l.slice(4));
      for (const k of ['PIPELINING', 'SIZE 123456', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'DSN', 'CHUNKING', 'STARTTLS']) {
        assert.ok(kw.includes(k), `EHLO lists ${k}: ${kw.join(', ')}`);
      }
      assert.ok(!kw.some((k) => /^AUTH\b/.test(k)), 'no AUTH before TLS on mx');
      assert.equal(codes(await c.cmd('EHLO')), '501 5.5.4');
      assert.equal(codes(await c.cmd('EHLO not a hostname')), '501 5.5.4');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 HELO: plain SMTP works, ESMTP parameters get 555 5.5.4, Received says "with SMTP"', async () => {
    const ts = await start();
    const c = await SmtpClient.connect(ts.ports.mx);
    try {
      await c.reply();
      assert.deepEqual((await c.cmd('HELO old.client.test')).lines, ['250 mx.rampart.test']);
      assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test> SIZE=10')), '555 5.5.4');
      await sendMessage(c, 'MAIL FROM:<sender@client.test>', [`RCPT TO:<${ALICE}>`], 'Subject: helo\r\n\r\nplain\r\n');
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      assert.match(splitDelivered(files[0]).received, /^Received: from old\.client\.test .* with SMTP id /s);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 sequence errors: MAIL before EHLO, RCPT before MAIL, DATA before MAIL, nested MAIL get 503 5.5.1; DATA without RCPT 554 5.5.1', async () => {
    const ts = await start();
    const c = await SmtpClient.connect(ts.ports.mx);
    try {
      await c.reply();
      assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test>')), '503 5.5.1');
      assert.equal((await c.cmd('EHLO seq.client.test')).code, 250);
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '503 5.5.1');
      assert.equal(codes(await c.cmd('DATA')), '503 5.5.1');
      assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd('MAIL FROM:<other@client.test>')), '503 5.5.1');
      assert.equal(codes(await c.cmd('DATA')), '554 5.5.1');
      assert.equal(codes(await c.cmd('DATA now')), '501 5.5.4');
      assert.equal(codes(await c.cmd('MAIL TO:<x@client.test>')), '503 5.5.1');
      assert.equal(codes(await c.cmd('RSET')), '250 2.0.0');
      assert.equal(codes(await c.cmd('MAIL TO:<x@client.test>')), '501 5.5.4');
      assert.equal(codes(await c.cmd('MAIL FROM:sender@client.test')), '501 5.1.7');
      assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd('RCPT TO:alice@example.test')), '501 5.1.3');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 RSET clears the transaction; NOOP, HELP 214, EXPN 502 5.5.1, unknown command 500 5.5.1, QUIT 221 2.0.0', async () => {
    const ts = await start();
    const { c } = await ehloClient(ts.ports.mx);
    try {
      assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      assert.equal(codes(await c.cmd('RSET')), '250 2.0.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '503 5.5.1', 'RSET ended the transaction');
      assert.equal(codes(await c.cmd('DATA')), '503 5.5.1');
      assert.equal(codes(await c.cmd('NOOP')), '250 2.0.0');
      assert.equal(codes(await c.cmd('noop')), '250 2.0.0');
      assert.equal(codes(await c.cmd('HELP')), '214 2.0.0');
      assert.equal(codes(await c.cmd('EXPN team@example.test')), '502 5.5.1');
      assert.equal(codes(await c.cmd('FROB')), '500 5.5.1');
      assert.equal(codes(await c.cmd('')), '500 5.5.1');
      // MAIL works again after RSET, and HELO/EHLO again also resets.
      assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test>')), '250 2.1.0');
      assert.equal((await c.cmd('EHLO again.client.test')).code, 250);
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '503 5.5.1', 'EHLO ended the transaction');
      assert.equal(codes(await c.cmd('QUIT')), '221 2.0.0');
      await c.waitClosed();
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 VRFY answers 252 2.5.2 for a real and a fake user alike (no enumeration)', async () => {
    const ts = await start();
    const { c } = await ehloClient(ts.ports.mx);
    try {
      const real = await c.cmd(`VRFY ${ALICE}`);
      const alias = await c.cmd('VRFY team@example.test');
      const fake = await c.cmd('VRFY nobody@example.test');
      const plain = await c.cmd('VRFY alice');
      for (const r of [real, alias, fake, plain]) assert.equal(codes(r), '252 2.5.2');
      assert.equal(real.lines[0], fake.lines[0], 'identical answers');
      assert.equal(codes(await c.cmd('VRFY')), '501 5.5.4');
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 DSN parameters NOTIFY, ORCPT, RET, ENVID are accepted and kept; bad or unknown parameters refused', async () => {
    const ts = await start({ delivery: { hold: true } });
    const { c } = await ehloClient(ts.ports.mx);
    try {
      assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test> RET=BOGUS')), '501 5.5.4');
      assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test> FROB=1')), '555 5.5.4');
      assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test> BODY=BINARYMIME')), '555 5.5.4');
      assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test> RET=HDRS RET=FULL')), '501 5.5.4');
      assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test> RET=HDRS ENVID=env+2B42 SIZE=100 BODY=8BITMIME')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${BOB}> NOTIFY=NEVER,SUCCESS`)), '501 5.5.4');
      assert.equal(codes(await c.cmd(`RCPT TO:<${BOB}> FROB=1`)), '555 5.5.4');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@example.test`)), '250 2.1.5');
      assert.equal(codes(await c.cmd(`RCPT TO:<${BOB}> NOTIFY=NEVER`)), '250 2.1.5');
      assert.equal((await c.cmd('DATA')).code, 354);
      c.write('Subject: dsn\r\n\r\nkeep my parameters\r\n.\r\n');
      const r = await c.reply();
      const id = /queued as (\S+)/.exec(r.lines[0])?.[1];
      assert.ok(id, r.lines[0]);
      const q = await readQueueFile(ts.server.spool.queuePath(id), id);
      assert.equal(q.envelope.params.ret, 'HDRS');
      assert.equal(q.envelope.params.envid, 'env+2B42');
      assert.equal(q.envelope.params.size, 100);
      assert.equal(q.envelope.params.body, '8BITMIME');
      assert.deepEqual(q.envelope.rcpts, [
        { address: ALICE, notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;alice@example.test' },
        { address: BOB, notify: ['NEVER'] },
      ]);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 SMTPUTF8: a UTF-8 address is refused without the SMTPUTF8 parameter and accepted with it', async () => {
    const ts = await start();
    const { c } = await ehloClient(ts.ports.mx);
    try {
      // RFC 6531 3.5: 553 and X.6.7 "Non-ASCII addresses not permitted for that sender/recipient".
      assert.equal(codes(await c.cmd('MAIL FROM:<jörg@client.test>')), '553 5.6.7');
      assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd('RCPT TO:<jörg@example.test>')), '553 5.6.7');
      assert.equal(codes(await c.cmd('RCPT TO:<bad address>')), '501 5.1.3');
      assert.equal(codes(await c.cmd('RSET')), '250 2.0.0');
      // Invalid UTF-8 (a Latin-1 byte) is never taken as an address.
      c.write(Buffer.concat([Buffer.from('MAIL FROM:<j'), Buffer.from([0xf6]), Buffer.from('rg@client.test> SMTPUTF8\r\n')]));
      assert.equal(codes(await c.reply()), '500 5.5.2');
      assert.equal(codes(await c.cmd('MAIL FROM:<jörg@bücher.client.test> SMTPUTF8')), '250 2.1.0');
      assert.equal(codes(await c.cmd('RCPT TO:<jörg@example.test>')), '550 5.1.1');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      assert.equal((await c.cmd('DATA')).code, 354);
      const content = Buffer.from('Subject: UTF-8 Grüße\r\n\r\nHallo Jörg\r\n', 'utf8');
      c.write(Buffer.concat([content, Buffer.from('.\r\n')]));
      assert.equal(codes(await c.reply()), '250 2.0.0');
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(files.length, 1);
      const d = splitDelivered(files[0]);
      assert.equal(Buffer.from(d.returnPath, 'latin1').toString('utf8'), 'jörg@bücher.client.test');
      assert.match(d.received, / with UTF8SMTP id /);
      assert.ok(d.message.equals(content));
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('P1 <postmaster> (no domain) and Postmaster@<local domain> are accepted and delivered', async () => {
    const ts = await start();
    // The server's own name is a local domain here, with a postmaster alias.
    ts.server.directory.addDomain('mx.rampart.test');
    ts.server.directory.addAlias('postmaster@mx.rampart.test', [BOB]);
    const { c } = await ehloClient(ts.ports.mx);
    try {
      await sendMessage(c, 'MAIL FROM:<>', ['RCPT TO:<postmaster>'], 'Subject: to postmaster\r\n\r\nbare\r\n');
      await sendMessage(c, 'MAIL FROM:<>', ['RCPT TO:<PostMaster@Example.Test>'], 'Subject: to postmaster\r\n\r\ndomain\r\n');
      assert.equal((await mailbox(ts, BOB, 1)).length, 1);
      assert.equal((await mailbox(ts, ALICE, 1)).length, 1);
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test(
    'P1 bare <postmaster> goes to postmaster@<postmasterDomain> when the host name is not a local domain (RFC 5321 4.5.1)',
    async () => {
      const ts = await start({ postmasterDomain: 'example.test' });
      const { c } = await ehloClient(ts.ports.mx);
      try {
        assert.equal(codes(await c.cmd('MAIL FROM:<>')), '250 2.1.0');
        assert.equal(codes(await c.cmd('RCPT TO:<postmaster>')), '250 2.1.5');
        assert.equal((await c.cmd('DATA')).code, 354);
        assert.equal(codes(await c.cmd('Subject: to the postmaster\r\n\r\nhello\r\n.')), '250 2.0.0');
        await ts.delivered();
        const got = ts.maildir('alice@example.test');
        assert.equal(got.length, 1, 'postmaster@example.test is an alias of alice');
        assert.match(got[0], /Delivered-To: alice@example.test\r\n/);
      } finally {
        c.close();
        await ts.stop();
      }
    },
  );
});
