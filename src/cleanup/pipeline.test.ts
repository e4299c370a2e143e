// The cleanup pipeline as a whole: settings from the configuration (levels), S8 on
// the outermost header only or on every part (mimeProcessing), the structure checked
// with an independent parser, and a randomized test that the output never depends on
// how the input was chunked and never has a line over 1000 octets.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, ConfigError } from '../config/load.js';
import { cleanupSettings } from './pipeline.js';
import { clean, longestLine, parseMime } from './test-support.js';

const mx = { name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 };

function snapshot(raw: Record<string, unknown>) {
  return validateConfig({ dataDir: '/tmp/rampart-cleanup-test', listeners: [mx], ...raw }, 'test', '/tmp');
}

describe('cleanup settings', () => {
  test('S5-S8 defaults: 150 lines, no header limit, truncate, 1024/128, outermost header only; A5 authserv-id the host name', () => {
    const snap = snapshot({});
    assert.deepEqual(cleanupSettings(snap, snap.listeners[0]), {
      maxHeaderLines: 150,
      headerLimit: undefined,
      longLines: 'truncate',
      parameterLengthLimit: 1024,
      nameParameterLengthLimit: 128,
      mimeProcessing: false,
      authservId: snap.hostname,
    });
  });

  const levels: Array<[string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>]> = [
    ['S6 listener headerLimit', { listeners: [{ ...mx, headerLimit: 4000 }] }, {}, { headerLimit: 4000 }],
    ['S6 global headerLimit overrides the listener\'s', { listeners: [{ ...mx, headerLimit: 4000 }] }, { headerLimit: 9000 }, { headerLimit: 9000 }],
    ['S6 global alone', {}, { headerLimit: 9000 }, { headerLimit: 9000 }],
    ['S7 per listener', { listeners: [{ ...mx, longLines: 'wrap' }] }, {}, { longLines: 'wrap' }],
    ['S5 global', {}, { maxHeaderLines: 20 }, { maxHeaderLines: 20 }],
    ['S8 global', {}, { parameterLengthLimit: 200, nameParameterLengthLimit: 50, mimeProcessing: true }, { parameterLengthLimit: 200, nameParameterLengthLimit: 50, mimeProcessing: true }],
  ];
  for (const [name, top, limits, want] of levels) {
    test(`${name}`, () => {
      const snap = snapshot({ ...top, limits });
      const got = cleanupSettings(snap, snap.listeners[0]) as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(want)) assert.equal(got[k], v, k);
    });
  }

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['S7 unknown mode', { listeners: [{ ...mx, longLines: 'fold' }] }, 'listeners.0.longLines'],
    ['S6 zero', { listeners: [{ ...mx, headerLimit: 0 }] }, 'listeners.0.headerLimit'],
    ['S6 global negative', { limits: { headerLimit: -1 } }, 'limits.headerLimit'],
    ['S5 zero', { limits: { maxHeaderLines: 0 } }, 'limits.maxHeaderLines'],
    ['S8 too small', { limits: { nameParameterLengthLimit: 3 } }, 'limits.nameParameterLengthLimit'],
    ['S8 not a boolean', { limits: { mimeProcessing: 'yes' } }, 'limits.mimeProcessing'],
  ];
  for (const [name, raw, key] of invalid) {
    test(`config check names the key: ${name}`, () => {
      assert.throws(() => snapshot(raw), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.startsWith(key + ':')));
    });
  }
});

/** A message whose outermost header, part headers and an embedded message all carry long file names. */
function attachments(): string {
  const long = (ext: string) => 'x'.repeat(300) + ext;
  const embedded = `Subject: fwd\r\nContent-Type: multipart/mixed; boundary=emb\r\n\r\n--emb\r\nContent-Type: text/plain; name="${long('.txt')}"\r\n\r\nhi\r\n--emb--\r\n`;
  return (
    `From: a@example.test\r\nContent-Type: multipart/mixed; boundary="top"; name="${long('.eml')}"\r\n\r\n` +
    `--top\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''${'%C3%A9'.repeat(100)};\r\n filename*1*=${'%C3%A9'.repeat(100)}.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n` +
    `--top\r\nContent-Type: message/rfc822\r\n\r\n${embedded}` +
    `--top--\r\n`
  );
}

describe('S8 in the pipeline', () => {
  test('S8 outermost header only by default; part headers untouched', async () => {
    const msg = attachments();
    const r = await clean(msg);
    assert.deepEqual(r.stats.paramsTruncated, ['name']);
    const parts = await parseMime(r.out);
    assert.equal((parts[0].header.match(/name="(x+\.eml)"/) ?? [])[1]?.length, 128);
    assert.equal(r.text.slice(r.text.indexOf('\r\n\r\n')), msg.slice(msg.indexOf('\r\n\r\n')), 'body byte-exact');
    assert.equal(r.stats.linesTruncated, 0);
  });

  test('S8 mimeProcessing: every part and the embedded message; the structure is unchanged', async () => {
    const msg = attachments();
    const before = await parseMime(Buffer.from(msg, 'latin1'));
    const r = await clean(msg, { mimeProcessing: true }, { seed: 4 });
    assert.deepEqual(r.stats.paramsTruncated.sort(), ['filename', 'name', 'name']);
    const after = await parseMime(r.out);
    assert.deepEqual(after.map((p) => [p.contentType, p.multipart]), before.map((p) => [p.contentType, p.multipart]));
    // mailsplit leaves message/rfc822 whole: parse the embedded message on its own.
    const embedded = await parseMime(after.find((p) => p.contentType === 'message/rfc822')!.body);
    assert.deepEqual(embedded.map((p) => p.contentType), ['multipart/mixed', 'text/plain']);
    const names = [...after, ...embedded].map((p) => p.filename).filter((f): f is string => !!f);
    assert.deepEqual(names.map((n) => [Array.from(n).length, n.slice(-4)]), [[128, '.eml'], [128, '.pdf'], [128, '.txt']]);
    assert.equal(names[1], 'é'.repeat(124) + '.pdf');
    assert.deepEqual(r.text.match(/^--(top|emb)(--)?\r$/gm), ['--top\r', '--top\r', '--emb\r', '--emb--\r', '--top--\r']);
    const leaf = (ps: typeof after) => ps.filter((p) => p.contentType !== 'message/rfc822').map((p) => p.body.toString());
    assert.deepEqual(leaf(after), leaf(before), 'bodies unchanged');
  });
});

describe('order of the header steps', () => {
  test('S8 before S7: a Content-Disposition line over 998 octets keeps a valid, cut filename with its extension', async () => {
    const msg = `Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="${'f'.repeat(2000)}.pdf"\r\n\r\nJVBERg==\r\n`;
    for (const longLines of ['truncate', 'wrap'] as const) {
      const r = await clean(msg, { longLines });
      const [part] = await parseMime(r.out);
      assert.equal(part.filename, 'f'.repeat(124) + '.pdf', longLines);
      assert.equal(r.stats.linesTruncated + r.stats.linesWrapped, 0, 'no line left to cut');
    }
  });

  test('S7 on header lines: a long Subject is cut (truncate), folded (wrap), refused (reject)', async () => {
    const msg = `Subject: ${'subject words '.repeat(200)}\r\nTo: x@example.test\r\n\r\nbody\r\n`;
    const t = await clean(msg);
    assert.equal(t.text, `Subject: ${'subject words '.repeat(200).slice(0, 989)}\r\nTo: x@example.test\r\n\r\nbody\r\n`);
    const w = await clean(msg, { longLines: 'wrap' }, { seed: 8 });
    assert.equal(w.text.replace(/\r\n(?=[ \t])/g, ''), msg);
    assert.ok(longestLine(w.out) <= 1000);
    const j = await clean(msg, { longLines: 'reject' });
    assert.equal(j.refusal?.check, 'eod.longLines');
  });

  test('S7 a header line over 64 KiB is cut or wrapped in the stream (memory stays bounded)', async () => {
    const msg = `X-Huge: ${'h '.repeat(100_000)}\r\nTo: x@example.test\r\n\r\nbody\r\n`;
    const t = await clean(msg, {}, { seed: 12 });
    assert.equal(t.text, `X-Huge: ${'h '.repeat(495)}\r\nTo: x@example.test\r\n\r\nbody\r\n`);
    const w = await clean(msg, { longLines: 'wrap' }, { seed: 12 });
    assert.equal(w.text.replace(/\r\n(?=[ \t])/g, ''), msg);
    assert.ok(longestLine(w.out) <= 1000);
  });
});

describe('cleanup stage, randomized', { timeout: 120_000 }, () => {
  /** Small deterministic PRNG. */
  function rng(seed: number) {
    let x = seed;
    return (n: number) => {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      return x % n;
    };
  }

  function randomMessage(r: (n: number) => number): string {
    const line = (n: number, alphabet: string) => Array.from({ length: n }, () => alphabet[r(alphabet.length)]).join('');
    const text = 'abc def ghi  é=-\t';
    let s = '';
    const hdr = r(30);
    for (let i = 0; i < hdr; i++) s += `X-H${i}: ${line(r(3) ? r(80) : r(3000), text)}\r\n` + (r(4) ? '' : ` ${line(r(1500), text)}\r\n`);
    s += 'Content-Type: multipart/mixed; boundary="BB"\r\n\r\npre\r\n';
    const parts = 1 + r(4);
    for (let p = 0; p < parts; p++) {
      const cte = ['base64', 'quoted-printable', '7bit'][r(3)];
      s += `--BB\r\nContent-Type: text/plain; name="${line(r(400), 'nm. ')}"\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`;
      const lines = r(20);
      for (let i = 0; i < lines; i++) {
        const n = r(4) ? r(100) : r(5000);
        s += (cte === 'base64' ? line(n, 'QUJDRA') : cte === 'quoted-printable' ? line(n, 'ab=3D =C3=A9') : line(n, text)) + '\r\n';
      }
    }
    return s + '--BB--\r\n';
  }

  test('the output does not depend on chunking; no line over 1000 octets; the structure stays', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const msg = randomMessage(rng(seed));
      for (const longLines of ['truncate', 'wrap'] as const) {
        const o = { longLines, mimeProcessing: seed % 2 === 0, maxHeaderLines: 1000 };
        const whole = await clean(msg, o);
        const split = await clean(msg, o, { seed });
        const tiny = await clean(msg, o, 1 + (seed % 7));
        assert.equal(split.text, whole.text, `seed ${seed} ${longLines}`);
        assert.equal(tiny.text, whole.text, `seed ${seed} ${longLines} tiny`);
        assert.ok(longestLine(whole.out) <= 1000, `seed ${seed}: ${longestLine(whole.out)}`);
        const a = await parseMime(Buffer.from(msg, 'latin1'));
        const b = await parseMime(whole.out);
        assert.deepEqual(b.map((p) => [p.contentType, p.encoding]), a.map((p) => [p.contentType, p.encoding]), `seed ${seed} structure`);
      }
    }
  });

  test('adversarial fragments (bare CR/LF, stray boundaries, broken parameters): same result at every chunking, no line over 1000 octets', async () => {
    const r = rng(12345);
    const atoms = ['\r\n', '\n', '\r', '--', '--B', '--B--', 'Content-Type: multipart/mixed; boundary=B', 'Content-Type: message/rfc822', 'Content-Transfer-Encoding: quoted-printable', 'Content-Transfer-Encoding: base64', "Content-Disposition: attachment; filename*0*=utf-8''%C3", '%A9', '=?UTF-8?B?w6k=?=', 'name="', '"', ';', ' ', '\t', '=', '=3D', 'a', 'é', 'x'.repeat(700), 'y '.repeat(400), ':', 'X-H: v', '\r\n\r\n'];
    for (let it = 0; it < 300; it++) {
      let s = '';
      for (let i = r(200); i > 0; i--) s += atoms[r(atoms.length)];
      const buf = Buffer.from(s, 'utf8');
      for (const longLines of ['truncate', 'wrap', 'reject'] as const) {
        const o = { longLines, mimeProcessing: r(2) === 1, maxHeaderLines: 1 + r(200), headerLimit: r(3) ? undefined : 1 + r(3000), parameterLengthLimit: 16 + r(100), nameParameterLengthLimit: 16 + r(50) };
        const a = await clean(buf, o);
        const b = await clean(buf, o, { seed: it + 1 });
        const c = await clean(buf, o, 1 + r(5));
        assert.equal(b.refusal?.check, a.refusal?.check, `${it} ${longLines}`);
        assert.equal(c.refusal?.check, a.refusal?.check, `${it} ${longLines}`);
        if (a.refusal) continue; // a refused message is thrown away
        assert.equal(b.text, a.text, `${it} ${longLines}`);
        assert.equal(c.text, a.text, `${it} ${longLines}`);
        assert.ok(longestLine(a.out) <= 1000, `${it} ${longLines}: ${longestLine(a.out)}`);
      }
    }
  });
});
