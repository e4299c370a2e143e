// RFC 5321 4.1.1.1 / RFC 6531 3.7.1: the EHLO argument is ASCII (an LDH name or
// A-labels). A U-label is converted to its A-label and used in that form (the
// Received header of a message sent without SMTPUTF8 stays ASCII); a name that
// cannot be converted is bad syntax, 501 5.5.4.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { start, mailbox } from './support.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';

test('EHLO with a U-label: accepted as its A-label; the Received header of a non-SMTPUTF8 message is ASCII', async () => {
  const ts = await start({ policy: { heloBlocklist: ['xn--bse-sna.example'] } });
  const c = await SmtpClient.connect(ts.ports.mx);
  try {
    assert.equal((await c.reply()).code, 220);
    assert.equal((await c.cmd('EHLO bücher.example')).code, 250);
    assert.equal((await c.cmd('MAIL FROM:<sender@client.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write('Subject: idn\r\n\r\nbody\r\n.\r\n');
    assert.equal(codes(await c.reply()), '250 2.0.0');
    const [msg] = await mailbox(ts, 'alice@example.test', 1);
    const head = msg.slice(0, msg.indexOf('\r\n\r\n'));
    assert.match(head, /^Received: from xn--bcher-kva\.example \(\[127\.0\.0\.1\]\)/m);
    assert.ok(!/[^\x00-\x7f]/.test(head), 'the header block is ASCII');
    // H3 matches the A-label form.
    assert.equal(codes(await c.cmd('EHLO böse.example')), '554 5.7.1');
  } finally {
    c.close();
    await ts.stop();
  }
});

test('EHLO with a name that has no A-label form gets 501 5.5.4; the session goes on', async () => {
  const ts = await start();
  const c = await SmtpClient.connect(ts.ports.mx);
  try {
    assert.equal((await c.reply()).code, 220);
    for (const bad of ['xn--ü.example', `${'ü'.repeat(70)}.example`, 'ü..example']) {
      assert.equal(codes(await c.cmd(`EHLO ${bad}`)), '501 5.5.4', bad);
    }
    assert.equal((await c.cmd('EHLO client.test')).code, 250);
  } finally {
    c.close();
    await ts.stop();
  }
});
