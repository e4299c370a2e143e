// Q2 the SMTP client against a scripted peer and smtp-server: per-recipient
// results, PIPELINING, SIZE, SMTPUTF8, 8BITMIME, DSN parameters, HELO fallback,
// dot-stuffing. Each refusal shows basic and enhanced codes.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { harness, channel, message, rcpts, summary, byIndex, startSink, type Harness } from './support.js';
import { startPeer } from '../helpers/smtp-peer.js';

const zone = {
  records: {
    'dest.test': [{ type: 'MX' as const, data: { preference: 10, exchange: 'mx.dest.test' } }],
    'mx.dest.test': [{ type: 'A' as const, data: '127.0.0.1' }],
  },
};

describe('Q2 SMTP client protocol', { timeout: 60_000 }, () => {
  let h: Harness;
  before(async () => {
    h = await harness(zone, { cache: { idleMs: 50 } });
  });
  after(async () => {
    await h.stop();
  });

  test('Q2 per-recipient results in one pipelined transaction: 250 delivered, 450 deferred, 550 failed, 552 deferred (RFC 5321 4.5.3.1.10)', async () => {
    const peer = await startPeer({
      rcpt: (a) => (a.startsWith('ok') ? '250 2.1.5 ok' : a.startsWith('later') ? '450 4.2.1 mailbox busy' : a.startsWith('gone') ? '550 5.1.1 <gone@dest.test>: no such user' : '552 5.2.2 mailbox full'),
    });
    try {
      const res = byIndex(await h.transport.deliver(message(), rcpts('ok@dest.test', 'later@dest.test', 'gone@dest.test', 'full@dest.test', 'ok2@dest.test'), channel({ port: peer.port })));
      assert.deepEqual(summary(res), ['delivered 2.0.0', 'deferred 4.2.1', 'failed 5.1.1', 'deferred 4.2.2', 'delivered 2.0.0']);
      assert.equal(res[2].diagnostic, '550 5.1.1 <gone@dest.test>: no such user');
      assert.equal(res[2].remoteMta, 'mx.dest.test');
      assert.equal(res[2].fromPeer, true);
      assert.equal(res[0].diagnostic, '250 2.0.0 queued');
      const s = peer.sessions[0];
      assert.deepEqual(s.messages[0].rcpts, ['ok@dest.test', 'ok2@dest.test']);
      // PIPELINING: MAIL, the five RCPT and DATA arrived in one read.
      const batch = s.batches.find((b) => b[0].startsWith('MAIL'));
      assert.equal(batch?.length, 7);
      assert.equal(batch?.[6], 'DATA');
      assert.equal(s.commands[0], 'EHLO rampart.test');
      assert.match(s.commands[1], /^MAIL FROM:<a@sender\.test> SIZE=\d+$/);
    } finally {
      await peer.stop();
    }
  });

  test('Q2 without PIPELINING each command waits for its reply; EHLO refused falls back to HELO', async () => {
    const peer = await startPeer({ ehlo: ['8BITMIME'] });
    const helo = await startPeer({ ehlo: '502 5.5.1 EHLO not implemented' });
    try {
      const res = await h.transport.deliver(message(), rcpts('a@dest.test', 'b@dest.test'), channel({ port: peer.port }));
      assert.deepEqual(summary(res), ['delivered 2.0.0', 'delivered 2.0.0']);
      for (const b of peer.sessions[0].batches) assert.equal(b.length, 1, `one command per read: ${b.join(' | ')}`);
      const res2 = await h.transport.deliver(message(), rcpts('a@dest.test'), channel({ port: helo.port }));
      assert.deepEqual(summary(res2), ['delivered 2.0.0']);
      assert.deepEqual(helo.sessions[0].commands.slice(0, 3), ['EHLO rampart.test', 'HELO rampart.test', 'MAIL FROM:<a@sender.test>']);
    } finally {
      await peer.stop();
      await helo.stop();
    }
  });

  test('Q2 MAIL FROM refused: 5xx fails every recipient, 4xx defers them; DATA end refused likewise', async () => {
    const perm = await startPeer({ mail: () => '550 5.7.1 sender blocked' });
    const temp = await startPeer({ mail: () => '451 4.3.0 try later' });
    const end5 = await startPeer({ dataDone: () => ['554 5.6.0 content rejected'] });
    const end4 = await startPeer({ dataDone: () => ['451 4.3.0 local error'] });
    try {
      const ch = (p: { port: number }) => channel({ port: p.port });
      assert.deepEqual(summary(await h.transport.deliver(message(), rcpts('a@dest.test', 'b@dest.test'), ch(perm))), ['failed 5.7.1', 'failed 5.7.1']);
      assert.deepEqual(summary(await h.transport.deliver(message(), rcpts('a@dest.test', 'b@dest.test'), ch(temp))), ['deferred 4.3.0', 'deferred 4.3.0']);
      const r5 = await h.transport.deliver(message(), rcpts('a@dest.test'), ch(end5));
      assert.deepEqual(summary(r5), ['failed 5.6.0']);
      assert.equal(r5[0].diagnostic, '554 5.6.0 content rejected');
      assert.deepEqual(summary(await h.transport.deliver(message(), rcpts('a@dest.test'), ch(end4))), ['deferred 4.3.0']);
      assert.equal(perm.sessions[0].messages.length, 0);
    } finally {
      for (const p of [perm, temp, end5, end4]) await p.stop();
    }
  });

  test('Q2 reply without an enhanced code: the status is the class with .0.0', async () => {
    const peer = await startPeer({ ehlo: ['PIPELINING'], rcpt: (a) => (a.startsWith('x') ? '550 no such user here' : '250 ok') });
    try {
      const res = byIndex(await h.transport.deliver(message(), rcpts('x@dest.test', 'y@dest.test'), channel({ port: peer.port })));
      assert.deepEqual(summary(res), ['failed 5.0.0', 'delivered 2.0.0']);
      assert.equal(res[0].diagnostic, '550 no such user here');
    } finally {
      await peer.stop();
    }
  });

  test('Q2 SIZE: a message over the peer limit fails 5.3.4 before MAIL; under it, SIZE= is declared', async () => {
    const peer = await startPeer({ ehlo: ['PIPELINING', 'SIZE 100'] });
    try {
      const big = message({ data: `Subject: big\r\n\r\n${'x'.repeat(200)}\r\n` });
      const res = await h.transport.deliver(big, rcpts('a@dest.test', 'b@dest.test'), channel({ port: peer.port }));
      assert.deepEqual(summary(res), ['failed 5.3.4', 'failed 5.3.4']);
      assert.match(res[0].diagnostic, /size \d+ exceeds the size limit 100 of mx\.dest\.test/);
      assert.equal(res[0].fromPeer, false);
      assert.ok(!peer.sessions[0].commands.some((c) => c.startsWith('MAIL') || c === 'DATA'), 'neither MAIL nor DATA was sent');
      const small = message({ data: 'Subject: s\r\n\r\nhi\r\n' });
      assert.deepEqual(summary(await h.transport.deliver(small, rcpts('a@dest.test'), channel({ port: peer.port }))), ['delivered 2.0.0']);
      assert.ok(peer.sessions.flatMap((s) => s.commands).includes(`MAIL FROM:<a@sender.test> SIZE=${small.size}`));
    } finally {
      await peer.stop();
    }
  });

  test('Q2 SIZE refused by the peer: 552 to MAIL FROM SIZE= fails every recipient 5.3.4 with its reply; no data is sent', async () => {
    const peer = await startPeer({ ehlo: ['PIPELINING', 'SIZE'], mail: (from) => (from ? '552 5.3.4 message size exceeds fixed limit' : '250 ok') });
    try {
      const res = await h.transport.deliver(message(), rcpts('a@dest.test', 'b@dest.test'), channel({ port: peer.port }));
      assert.deepEqual(summary(res), ['failed 5.3.4', 'failed 5.3.4']);
      assert.equal(res[0].diagnostic, '552 5.3.4 message size exceeds fixed limit');
      assert.equal(peer.sessions[0].messages.length, 0);
      assert.match(peer.sessions[0].commands.find((c) => c.startsWith('MAIL')) ?? '', / SIZE=\d+$/, 'SIZE declared although the peer named no limit');
    } finally {
      await peer.stop();
    }
  });

  test('Q2 SMTPUTF8 (RFC 6531): a UTF-8 address to a peer without SMTPUTF8 fails 5.6.7 alone; with it the parameter is passed', async () => {
    const plain = await startPeer({ ehlo: ['PIPELINING', '8BITMIME'] });
    const utf8 = await startPeer({ ehlo: ['PIPELINING', '8BITMIME', 'SMTPUTF8'] });
    try {
      const msg = message({ smtputf8: true, data: 'Subject: hi\r\nTo: <ascii@dest.test>\r\n\r\nhello\r\n' });
      const res = byIndex(await h.transport.deliver(msg, rcpts('j\u00f6rg@dest.test', 'ascii@dest.test'), channel({ port: plain.port })));
      assert.deepEqual(summary(res), ['failed 5.6.7', 'delivered 2.0.0']);
      assert.match(res[0].diagnostic, /recipient address needs SMTPUTF8, which mx\.dest\.test does not offer/);
      assert.ok(!plain.sessions[0].commands.some((c) => /j\u00f6rg/.test(c)), 'the UTF-8 address was never sent');
      // A UTF-8 sender, or a UTF-8 header when the sender asked for SMTPUTF8: nobody can take it.
      const fromUtf8 = await h.transport.deliver(message({ from: 'm\u00fcller@sender.test', smtputf8: true }), rcpts('ascii@dest.test'), channel({ port: plain.port }));
      assert.deepEqual(summary(fromUtf8), ['failed 5.6.7']);
      const headerUtf8 = await h.transport.deliver(message({ smtputf8: true, data: 'Subject: gr\u00fc\u00dfe\r\n\r\nhi\r\n' }), rcpts('ascii@dest.test'), channel({ port: plain.port }));
      assert.deepEqual(summary(headerUtf8), ['failed 5.6.7']);
      assert.match(headerUtf8[0].diagnostic, /message header needs SMTPUTF8/);
      const ok = await h.transport.deliver(msg, rcpts('j\u00f6rg@dest.test'), channel({ port: utf8.port }));
      assert.deepEqual(summary(ok), ['delivered 2.0.0']);
      const cmds = utf8.sessions[0].commands;
      assert.ok(cmds.some((c) => /^MAIL FROM:<a@sender\.test> SMTPUTF8$/.test(c)), cmds.join(' | '));
      assert.ok(cmds.includes('RCPT TO:<j\u00f6rg@dest.test>'));
    } finally {
      await plain.stop();
      await utf8.stop();
    }
  });

  test('Q2 8BITMIME (RFC 6152): BODY=8BITMIME passed when offered; 8-bit data to a peer without it fails 5.6.3; 7-bit data declared 8BITMIME goes as is', async () => {
    const with8 = await startPeer({ ehlo: ['PIPELINING', '8BITMIME'] });
    const without = await startPeer({ ehlo: ['PIPELINING'] });
    try {
      const eight = message({ body: '8BITMIME', data: Buffer.from('Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\u00e9\r\n', 'utf8') });
      assert.deepEqual(summary(await h.transport.deliver(eight, rcpts('a@dest.test'), channel({ port: with8.port }))), ['delivered 2.0.0']);
      assert.ok(with8.sessions[0].commands.some((c) => /^MAIL FROM:<a@sender\.test> BODY=8BITMIME$/.test(c)));
      assert.deepEqual(with8.sessions[0].messages[0].data, Buffer.from('Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\u00e9\r\n', 'utf8'));
      const res = await h.transport.deliver(eight, rcpts('a@dest.test', 'b@dest.test'), channel({ port: without.port }));
      assert.deepEqual(summary(res), ['failed 5.6.3', 'failed 5.6.3']);
      assert.match(res[0].diagnostic, /8-bit data and mx\.dest\.test does not offer 8BITMIME/);
      const seven = message({ body: '8BITMIME', data: 'Subject: x\r\n\r\nplain ascii\r\n' });
      assert.deepEqual(summary(await h.transport.deliver(seven, rcpts('a@dest.test'), channel({ port: without.port }))), ['delivered 2.0.0']);
      const mails = without.sessions.flatMap((s) => s.commands).filter((c) => c.startsWith('MAIL'));
      assert.deepEqual(mails, ['MAIL FROM:<a@sender.test>'], 'only the 7-bit message was sent, without BODY=');
    } finally {
      await with8.stop();
      await without.stop();
    }
  });

  test('Q2 DSN (RFC 3461): RET, ENVID, per-recipient NOTIFY and ORCPT passed when offered; without DSN, NOTIFY=SUCCESS is reported relayed', async () => {
    const dsn = await startSink({ hideDSN: false });
    const nodsn = await startPeer({ ehlo: ['PIPELINING'] });
    try {
      const msg = message({ ret: 'HDRS', envid: 'QQ314159' });
      const list = rcpts({ address: 'a@dest.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;a+2Bx@orig.test' }, { address: 'b@dest.test', notify: ['NEVER'] }, 'c@dest.test');
      const res = await h.transport.deliver(msg, list, channel({ port: dsn.port }));
      assert.deepEqual(summary(res), ['delivered 2.0.0', 'delivered 2.0.0', 'delivered 2.0.0']);
      const got = dsn.messages[0];
      assert.deepEqual([got.mailArgs && got.mailArgs.RET, got.mailArgs && got.mailArgs.ENVID], ['HDRS', 'QQ314159']);
      assert.deepEqual(
        got.rcptArgs.map((a) => (a ? [a.NOTIFY, a.ORCPT] : [])),
        [['SUCCESS,FAILURE', 'rfc822;a+x@orig.test'], ['NEVER', undefined], []], // the sink decodes the xtext we passed on as received
      );
      const res2 = byIndex(await h.transport.deliver(msg, list, channel({ port: nodsn.port })));
      assert.deepEqual(summary(res2), ['relayed 2.0.0', 'delivered 2.0.0', 'delivered 2.0.0']);
      const cmds = nodsn.sessions[0].commands.filter((c) => /^(MAIL|RCPT)/.test(c));
      assert.ok(cmds.every((c) => !/NOTIFY|ORCPT|RET=|ENVID/.test(c)), cmds.join(' | '));
    } finally {
      await dsn.stop();
      await nodsn.stop();
    }
  });

  test('Q2 envelope values that would inject commands are refused before sending (5.1.3 / 5.1.7); a non-network channel is refused 4.3.5', async () => {
    const peer = await startPeer({});
    try {
      const res = byIndex(await h.transport.deliver(message(), rcpts('ok@dest.test', 'evil@dest.test>\r\nRSET'), channel({ port: peer.port })));
      assert.deepEqual(summary(res), ['delivered 2.0.0', 'failed 5.1.3']);
      const bad = await h.transport.deliver(message({ from: 'a@sender.test>\r\nDATA' }), rcpts('ok@dest.test'), channel({ port: peer.port }));
      assert.deepEqual(summary(bad), ['failed 5.1.7']);
      assert.ok(!peer.sessions.flatMap((s) => s.commands).some((c) => /evil|^RSET$/.test(c)), 'nothing injected');
      const local = await h.transport.deliver(message(), rcpts('ok@dest.test'), channel({}, 'local'));
      assert.deepEqual(summary(local), ['deferred 4.3.5']);
    } finally {
      await peer.stop();
    }
  });

  test('Q2 dot-stuffing: lines starting with "." and a message without a final CRLF arrive intact', async () => {
    const sink = await startSink();
    try {
      const text = 'Subject: dots\r\n\r\n.leading dot\r\n..two\r\n.\r\nlast line without CRLF';
      const res = await h.transport.deliver(message({ data: text }), rcpts('a@dest.test'), channel({ port: sink.port }));
      assert.deepEqual(summary(res), ['delivered 2.0.0']);
      assert.equal(sink.messages[0].data.toString(), `${text}\r\n`);
    } finally {
      await sink.stop();
    }
  });
});
