// S8 MIME parameter lengths with real clients (python3 smtplib, swaks): the delivered
// message is parsed with an independent MIME parser (mailsplit + libmime): the cut
// parameters decode to exactly the limit's length, every part and boundary is still
// there, and the bodies are untouched.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Splitter } from '@zone-eu/mailsplit';
import libmime from 'libmime';
import { start, mailbox, splitDelivered, smtplib, swaks, tempDir, USERS } from './support.js';

const ALICE = USERS.alice.address;

interface Node {
  contentType: string;
  filename: string | false;
  header: string;
  body: string;
}

function parse(msg: Buffer): Promise<Node[]> {
  return new Promise((resolve, reject) => {
    const out: Array<Node & { node: unknown }> = [];
    const s = new Splitter();
    s.on('data', (d) => {
      if (d.type === 'node') out.push({ contentType: String(d.contentType), filename: d.filename, header: d.getHeaders().toString('latin1'), body: '', node: d });
      else if (d.type === 'body') {
        const o = out.find((x) => x.node === d.node);
        if (o) o.body += d.value.toString('latin1');
      }
    });
    const e = s as unknown as NodeJS.EventEmitter;
    e.on('end', () => resolve(out.map(({ node: _n, ...rest }) => rest)));
    e.on('error', reject);
    s.end(msg);
  });
}

/** A parameter of a header field, decoded as a mail reader does (RFC 2231 + 2047). */
function param(header: string, field: string, name: string): string | undefined {
  const m = new RegExp(`^${field}:((?:.*)(?:\\r\\n[ \\t].*)*)`, 'mi').exec(header);
  if (!m) return undefined;
  const v = libmime.parseHeaderValue(Buffer.from(m[1].replace(/\r\n/g, ''), 'latin1').toString('utf8')).params[name];
  return v === undefined ? undefined : libmime.decodeWords(v);
}

const pct = (s: string) => encodeURIComponent(s);
const w2047 = (s: string) => `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;

function message(): Buffer {
  const longName = 'Quarterly report – ' + 'very long name '.repeat(20) + '.xlsx';
  const jp = '報告書'.repeat(60) + '.pdf';
  return Buffer.from(
    `From: <sender@client.test>\r\nTo: <${ALICE}>\r\nSubject: S8\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: multipart/mixed; boundary="b1";\r\n x-comment="${'c'.repeat(1500)}"\r\n\r\n` +
      `--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n` +
      `--b1\r\nContent-Type: application/vnd.ms-excel;\r\n name*0*=utf-8''${pct(longName.slice(0, 100))};\r\n name*1*=${pct(longName.slice(100))}\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''${pct(longName.slice(0, 100))};\r\n filename*1*=${pct(longName.slice(100))}\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n` +
      `--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename="${w2047(jp.slice(0, 30))}\r\n ${w2047(jp.slice(30, 60))}\r\n ${w2047(jp.slice(60, 90))}\r\n ${w2047(jp.slice(90, 120))}\r\n ${w2047(jp.slice(120, 150))}\r\n ${w2047(jp.slice(150))}"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n` +
      `--b1--\r\n`,
    'utf8',
  );
}

describe('S8 MIME parameter lengths', { timeout: 60_000 }, () => {
  test('S8 default: only the outermost header is cut (1024); parts keep their long names', async () => {
    const ts = await start();
    try {
      const msg = message();
      const r = await smtplib({ port: ts.ports.mx, from: 'sender@client.test', to: [ALICE], msg, mailOptions: ['BODY=8BITMIME'] });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      const got = splitDelivered((await mailbox(ts, ALICE, 1))[0]).message;
      const [a, b] = [await parse(msg), await parse(got)];
      assert.equal(param(b[0].header, 'Content-Type', 'x-comment'), 'c'.repeat(1024));
      assert.equal(param(b[0].header, 'Content-Type', 'boundary'), 'b1');
      assert.deepEqual(b.slice(1), a.slice(1), 'parts untouched');
      assert.ok(ts.logs.some((l) => l.event === 'cleanup' && JSON.stringify(l.paramsTruncated) === '["x-comment"]'));
    } finally {
      await ts.stop();
    }
  });

  test('S8 mimeProcessing with lower limits (swaks): every part cut, RFC 2231 and RFC 2047 re-encoded, structure and bodies unchanged', async () => {
    const ts = await start({ limits: { mimeProcessing: true, nameParameterLengthLimit: 40, parameterLengthLimit: 300 } });
    const tmp = tempDir();
    try {
      const msg = message();
      const r = await swaks(ts.ports.mx, ['--from', 'sender@client.test', '--to', ALICE, '--data', tmp.file('m.eml', msg)]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const got = splitDelivered((await mailbox(ts, ALICE, 1))[0]).message;
      const [a, b] = [await parse(msg), await parse(got)];
      assert.deepEqual(b.map((n) => n.contentType), a.map((n) => n.contentType), 'same parts');
      assert.deepEqual(b.map((n) => n.body), a.map((n) => n.body), 'same bodies');
      assert.equal(param(b[0].header, 'Content-Type', 'x-comment'), 'c'.repeat(300));
      // Content-Type name and Content-Disposition filename: 40 characters, extension kept.
      const xl = b[2];
      assert.equal(param(xl.header, 'Content-Type', 'name'), 'Quarterly report – very long name v.xlsx');
      assert.equal(param(xl.header, 'Content-Disposition', 'filename'), 'Quarterly report – very long name v.xlsx');
      const pdf = b[3];
      assert.equal(pdf.filename, '報告書'.repeat(12) + '.pdf');
      assert.equal(Array.from(pdf.filename as string).length, 40);
      assert.match(pdf.header, /filename="=\?UTF-8\?B\?/, 'still RFC 2047 words');
      assert.ok(got.toString('latin1').split('\r\n').every((l) => l.length <= 998));
    } finally {
      tmp.cleanup();
      await ts.stop();
    }
  });
});
