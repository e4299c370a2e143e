// S7 long lines with real clients: truncate (default) with swaks and a multi-megabyte
// line, reject per listener over DATA and BDAT (554 5.6.0, the session goes on), and
// wrap with python3 smtplib sending a MIME message whose parts must decode the same.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Splitter } from '@zone-eu/mailsplit';
import { start, mailbox, splitDelivered, smtplib, swaks, swaksReplies, tempDir, listeners, USERS, sendData, sendBdat, decisions } from './support.js';
import { ehloClient, codes } from '../helpers/smtp-client.js';

const ALICE = USERS.alice.address;

function longestLine(b: Buffer): number {
  let max = 0;
  for (let s = 0, q = b.indexOf(10); ; s = q + 1, q = b.indexOf(10, s)) {
    max = Math.max(max, (q < 0 ? b.length : q + 1) - s);
    if (q < 0) return max;
  }
}

/** Leaf parts of a message (mailsplit): content type, transfer encoding and decoded body. */
function leaves(msg: Buffer): Promise<Array<{ type: string; encoding: string; body: Buffer }>> {
  return new Promise((resolve, reject) => {
    const out: Array<{ type: string; encoding: string; body: Buffer[]; node: unknown }> = [];
    const s = new Splitter();
    s.on('data', (d) => {
      if (d.type === 'node') {
        if (!d.multipart) out.push({ type: String(d.contentType), encoding: String(d.encoding || '7bit'), body: [], node: d });
      } else if (d.type === 'body') out.find((o) => o.node === d.node)?.body.push(d.value);
    });
    const e = s as unknown as NodeJS.EventEmitter;
    e.on('end', () =>
      resolve(
        out.map((o) => {
          const raw = Buffer.concat(o.body);
          const body =
            o.encoding === 'base64'
              ? Buffer.from(raw.toString('latin1'), 'base64')
              : o.encoding === 'quoted-printable'
                ? Buffer.from(raw.toString('latin1').replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1')
                : raw;
          return { type: o.type, encoding: o.encoding, body };
        }),
      ),
    );
    e.on('error', reject);
    s.end(msg);
  });
}

describe('S7 long lines', { timeout: 120_000 }, () => {
  test('S7 default truncate (swaks): a 3 MB line is cut to 998 octets + CRLF, the rest of the message intact', async () => {
    const ts = await start();
    const tmp = tempDir();
    try {
      const msg = `Subject: truncate\r\n\r\nbefore\r\n${'t'.repeat(3 * 1024 * 1024)}\r\nafter\r\n`;
      const r = await swaks(ts.ports.mx, ['--from', 'sender@client.test', '--to', ALICE, '--data', tmp.file('m.eml', msg)]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(swaksReplies(r.stdout).some((l) => /^250 2\.0\.0 Ok: queued/.test(l)));
      const files = await mailbox(ts, ALICE, 1);
      assert.equal(splitDelivered(files[0]).message.toString('latin1'), `Subject: truncate\r\n\r\nbefore\r\n${'t'.repeat(998)}\r\nafter\r\n\r\n`);
      assert.ok(ts.logs.some((l) => l.event === 'cleanup' && l.linesTruncated === 1));
    } finally {
      tmp.cleanup();
      await ts.stop();
    }
  });

  test('S7 reject on one listener (DATA and BDAT get 554 5.6.0, session goes on); another listener keeps the default', async () => {
    const ts = await start({ listeners: listeners({ mx: { longLines: 'reject' } }, [{ name: 'mx2', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0 }]) });
    const { c } = await ehloClient(ts.ports.mx);
    try {
      const bad = `Subject: reject\r\n\r\n${'r'.repeat(999)}\r\nmore text\r\n`; // 1001 octets with CRLF
      const edge = `Subject: edge\r\n\r\n${'e'.repeat(998)}\r\n`; // exactly 1000: fine
      assert.equal(codes(await sendData(c, ALICE, bad)), '554 5.6.0');
      assert.equal(codes(await sendBdat(c, ALICE, bad, 300)), '554 5.6.0');
      assert.equal(codes(await sendData(c, ALICE, edge)), '250 2.0.0');
      const d = decisions(ts, 'eod.longLines');
      assert.equal(d.length, 2);
      assert.deepEqual([d[0].feature, d[0].code, d[0].enhanced], ['S7', 554, '5.6.0']);
      const other = await ehloClient(ts.ports.mx2);
      assert.equal(codes(await sendData(other.c, ALICE, bad)), '250 2.0.0');
      other.c.close();
      const files = await mailbox(ts, ALICE, 2);
      const got = files.map((f) => splitDelivered(f).message.toString('latin1')).sort();
      assert.deepEqual(got, [edge, `Subject: reject\r\n\r\n${'r'.repeat(998)}\r\nmore text\r\n`].sort());
    } finally {
      c.close();
      await ts.stop();
    }
  });

  test('S7 wrap (smtplib): header folded, QP soft breaks, base64 and text re-lined; the parts decode the same and the structure is unchanged', async () => {
    const ts = await start({ listeners: listeners({ mx: { longLines: 'wrap' } }) });
    try {
      const qp = 'K=C3=B6ln =3D Cologne, '.repeat(200);
      const bin = Buffer.alloc(6000);
      for (let i = 0; i < bin.length; i++) bin[i] = (i * 37) & 0xff;
      const text = 'plain words here, '.repeat(150);
      const msg = Buffer.from(
        `From: <sender@client.test>\r\nSubject: ${'folded subject '.repeat(100)}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="=_b"\r\n\r\n` +
          `--=_b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp}\r\n` +
          `--=_b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${bin.toString('base64')}\r\n` +
          `--=_b\r\nContent-Type: text/plain\r\n\r\n${text}\r\n--=_b--\r\n`,
        'latin1',
      );
      const r = await smtplib({ port: ts.ports.mx, from: 'sender@client.test', to: [ALICE], msg });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      const files = await mailbox(ts, ALICE, 1);
      const got = splitDelivered(files[0]).message;
      assert.ok(longestLine(got) <= 1000, `longest line ${longestLine(got)}`);
      const [a, b] = [await leaves(msg), await leaves(got)];
      assert.deepEqual(b.map((p) => [p.type, p.encoding]), a.map((p) => [p.type, p.encoding]));
      assert.ok(b[0].body.equals(a[0].body), 'QP decodes to the same octets');
      assert.ok(b[1].body.equals(bin), 'base64 decodes to the same octets');
      assert.equal(b[2].body.toString('latin1').replace(/\r\n/g, ''), text.replace(/\r\n/g, ''), 'text: only CRLFs added');
      assert.deepEqual(got.toString('latin1').match(/^--=_b(--)?$/gm), ['--=_b', '--=_b', '--=_b', '--=_b--']);
      const subject = /^Subject:.*(?:\r\n[ \t].*)*/m.exec(got.toString('latin1'))![0];
      assert.ok(subject.includes('\r\n '), 'folded');
      assert.equal(subject.replace(/\r\n/g, ''), `Subject: ${'folded subject '.repeat(100)}`);
    } finally {
      await ts.stop();
    }
  });
});
