// S8 unit tests: parameter values are cut by their decoded length and written back in a
// form an independent MIME parser (libmime, as used by mailsplit/mailparser) decodes to
// exactly the cut value.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import libmime from 'libmime';
import { limitMimeParameters, decode2047, cutValue, contentTypeInfo, encode2047, type ParamLimits } from './mime-parameters.js';

const LIMITS: ParamLimits = { parameterLengthLimit: 1024, nameParameterLengthLimit: 128 };
const SMALL: ParamLimits = { parameterLengthLimit: 40, nameParameterLengthLimit: 20 };

/** Parses a (rewritten) field the way a mail reader does; 2047 words in values decoded. */
function readField(field: string): { value: string; params: Record<string, string> } {
  const unfolded = field.replace(/\r\n$/, '').replace(/\r\n(?=[ \t])/g, '');
  const v = unfolded.slice(unfolded.indexOf(':') + 1);
  // libmime works on JS strings; header octets in UTF-8 become characters first.
  const parsed = libmime.parseHeaderValue(Buffer.from(v, 'latin1').toString('utf8'));
  for (const k of Object.keys(parsed.params)) parsed.params[k] = libmime.decodeWords(parsed.params[k]);
  return parsed;
}

const len = (s: string) => Array.from(s).length;
const pct = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const b64w = (s: string) => `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;

interface Case {
  name: string;
  field: string;
  limits?: ParamLimits;
  /** Parameter to check, its expected decoded value after the rewrite. */
  param: string;
  expect: string;
  /** Other parameters that must decode unchanged. */
  keep?: Record<string, string>;
  /** The main value (type) after the rewrite. */
  main?: string;
}

const A300 = 'a'.repeat(300);
const E200 = 'é'.repeat(200);
const JP = '日本語のファイル名'.repeat(20); // 180 characters, 3 octets each in UTF-8

const cases: Case[] = [
  {
    name: 'plain quoted name: cut to 128, extension kept',
    field: `Content-Type: application/pdf; name="${A300}.pdf"\r\n`,
    param: 'name',
    expect: 'a'.repeat(124) + '.pdf',
    main: 'application/pdf',
  },
  {
    name: 'plain token filename in Content-Disposition',
    field: `Content-Disposition: attachment; filename=${A300}\r\n`,
    param: 'filename',
    expect: 'a'.repeat(128),
    main: 'attachment',
  },
  {
    name: 'RFC 2231 extended UTF-8 value (%XX) cut by characters, never inside %XX',
    field: `Content-Disposition: attachment; filename*=utf-8''${pct(E200)}\r\n`,
    param: 'filename',
    expect: 'é'.repeat(128),
  },
  {
    name: 'RFC 2231 continuations in ISO-8859-1 re-encoded as UTF-8',
    field: `Content-Disposition: attachment;\r\n filename*0*=iso-8859-1''${'%E9'.repeat(100)};\r\n filename*1*=${'%E9'.repeat(100)}.txt\r\n`,
    param: 'filename',
    expect: 'é'.repeat(124) + '.txt',
  },
  {
    name: 'RFC 2231 non-extended continuations (quoted sections)',
    field: `Content-Type: text/plain; charset=us-ascii;\r\n name*0="${'b'.repeat(100)}";\r\n name*1="${'c'.repeat(100)}"\r\n`,
    param: 'name',
    expect: 'b'.repeat(100) + 'c'.repeat(28),
    keep: { charset: 'us-ascii' },
  },
  {
    name: 'RFC 2231 sections out of order are joined by number',
    field: `Content-Type: text/plain; name*1*=${'%41'.repeat(100)}; name*0*=utf-8''${'%42'.repeat(100)}\r\n`,
    param: 'name',
    expect: 'B'.repeat(100) + 'A'.repeat(28),
  },
  {
    name: 'RFC 2047 B words in a quoted filename (multi-octet characters)',
    field: `Content-Disposition: attachment; filename="${encode2047(JP).join(' ')}"\r\n`,
    param: 'filename',
    expect: Array.from(JP).slice(0, 128).join(''),
  },
  {
    name: 'RFC 2047 Q word in ISO-8859-1',
    field: `Content-Type: image/png; name="=?ISO-8859-1?Q?${'=E9'.repeat(150)}?=.png"\r\n`,
    param: 'name',
    expect: 'é'.repeat(124) + '.png',
  },
  {
    name: 'raw UTF-8 value (RFC 6532) cut at a character boundary',
    field: latin1(`Content-Disposition: attachment; filename="${'ü'.repeat(200)}"\r\n`),
    param: 'filename',
    expect: 'ü'.repeat(128),
  },
  {
    name: 'a general parameter at parameterLengthLimit (1024)',
    field: `Content-Type: text/plain; charset=utf-8; x-junk="${'z'.repeat(5000)}"\r\n`,
    param: 'x-junk',
    expect: 'z'.repeat(1024),
    keep: { charset: 'utf-8' },
  },
  {
    name: 'Content-Disposition name and Content-Type filename use the general limit',
    field: `Content-Disposition: attachment; name="${'n'.repeat(60)}"; filename="${'f'.repeat(30)}"\r\n`,
    limits: SMALL,
    param: 'name',
    expect: 'n'.repeat(40),
    keep: { filename: 'f'.repeat(20) },
  },
  {
    name: 'escaped quotes and backslashes in a quoted value',
    field: `Content-Type: text/plain; name="${'q\\"\\\\'.repeat(20)}"\r\n`,
    limits: SMALL,
    param: 'name',
    expect: 'q"\\'.repeat(7).slice(0, 20),
  },
  {
    name: 'an unterminated quoted string runs to the end',
    field: `Content-Type: text/plain; name="${'u'.repeat(50)}\r\n`,
    limits: SMALL,
    param: 'name',
    expect: 'u'.repeat(20),
  },
  {
    name: 'RFC 2231 language tag kept',
    field: `Content-Type: text/plain; title*=us-ascii'en-us'${'This%20is%20long%20'.repeat(5)}\r\n`,
    limits: SMALL,
    param: 'title',
    expect: 'This is long '.repeat(5).slice(0, 40),
  },
];

describe('S8 limitMimeParameters', () => {
  for (const c of cases) {
    test(`S8 ${c.name}`, () => {
      const limits = c.limits ?? LIMITS;
      const r = limitMimeParameters(c.field, limits);
      assert.ok(r, 'field rewritten');
      assert.ok(r.truncated.includes(c.param), `truncated: ${r.truncated.join(',')}`);
      const parsed = readField(r.field);
      assert.equal(parsed.params[c.param], c.expect);
      const limit = (c.param === 'name' && /^content-type/i.test(c.field)) || (c.param === 'filename' && /^content-disposition/i.test(c.field)) ? limits.nameParameterLengthLimit : limits.parameterLengthLimit;
      assert.equal(len(parsed.params[c.param]), limit, 'decoded value has the limit\'s length');
      for (const [k, v] of Object.entries(c.keep ?? {})) assert.equal(parsed.params[k], v, `${k} unchanged`);
      if (c.main) assert.equal(parsed.value, c.main);
      // Valid header syntax: CRLF line ends, folded lines start with a tab or space,
      // no line over 998 octets, %XX never split, encoded words at most 75 characters.
      assert.match(r.field, /\r\n$/);
      const lines = r.field.slice(0, -2).split('\r\n');
      lines.slice(1).forEach((l) => assert.match(l, /^[ \t]/));
      lines.forEach((l) => assert.ok(l.length <= 998, `line of ${l.length}`));
      for (const m of r.field.matchAll(/\*\d*\*=([^;\r\n]*)/g)) assert.match(m[1].replace(/^[^']*'[^']*'/, ''), /^(?:[^%]|%[0-9A-F]{2})*$/);
      for (const m of r.field.matchAll(/=\?[^?]+\?[BQ]\?[^?]*\?=/g)) assert.ok(m[0].length <= 75);
    });
  }

  const unchanged: Array<[string, string]> = [
    ['short parameters', 'Content-Type: text/plain; charset="utf-8"; name="a.txt"\r\n'],
    ['exactly at the limit', `Content-Type: text/plain; name="${'x'.repeat(128)}"\r\n`],
    ['boundary is never cut (it would break the structure)', `Content-Type: multipart/mixed; boundary="${'b'.repeat(2000)}"\r\n`],
    ['other fields', `Subject: name="${'x'.repeat(300)}"\r\n`],
    ['2231 at the limit', `Content-Disposition: attachment; filename*=utf-8''${pct('é'.repeat(128))}\r\n`],
  ];
  for (const [name, field] of unchanged) {
    test(`S8 unchanged: ${name}`, () => {
      assert.equal(limitMimeParameters(field, LIMITS), undefined);
    });
  }

  test('S8 filename and filename* both present: each is cut in its own form', () => {
    const field = `Content-Disposition: attachment; filename="${A300}.doc"; filename*=utf-8''${pct(E200)}.doc\r\n`;
    const r = limitMimeParameters(field, LIMITS)!;
    assert.deepEqual(r.truncated, ['filename', 'filename']);
    assert.match(r.field, /filename="a{124}\.doc"/);
    assert.equal(readField(r.field).params.filename, 'é'.repeat(124) + '.doc'); // RFC 6266: the extended one wins
  });

  test('S8 an unknown charset is cut in octets and keeps its label', () => {
    const field = `Content-Disposition: attachment; filename*=x-unknown''${'%A1'.repeat(200)}\r\n`;
    const r = limitMimeParameters(field, LIMITS)!;
    const joined = [...r.field.matchAll(/filename\*\d+\*=([^;\r\n]*)/g)].map((m) => m[1]).join('');
    assert.ok(joined.startsWith("x-unknown''"));
    assert.equal(joined.slice("x-unknown''".length), '%A1'.repeat(128));
  });

  test('S8 untouched parameters keep their text; the field name keeps its case', () => {
    const field = `content-type: Text/Plain; Charset="ISO-8859-1"; format=flowed; name="${A300}"\r\n`;
    const r = limitMimeParameters(field, LIMITS)!;
    assert.ok(r.field.startsWith('content-type: Text/Plain;\r\n\tCharset="ISO-8859-1";\r\n\tformat=flowed;\r\n\tname='));
  });
});

describe('S8 helpers', () => {
  const words: Array<[string, string | undefined]> = [
    ['=?UTF-8?B?w6l0w6k=?=', 'été'],
    ['=?utf-8?q?caf=C3=A9_au_lait?=', 'café au lait'],
    ['=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?=', 'éé'], // whitespace between words goes
    ['a =?UTF-8?B?w6k=?= b', 'a é b'],
    [`=?UTF-8?B?${Buffer.from([0xe6, 0x97]).toString('base64')}?= =?UTF-8?B?${Buffer.from([0xa5]).toString('base64')}?=`, '日'], // character split across words
    ['=?ISO-8859-1*fr?Q?=E9?=', 'é'], // RFC 2231 language in a word
    ['plain text', undefined],
    ['=?x-no-such-charset?Q?abc?=', undefined],
  ];
  for (const [input, out] of words) {
    test(`S8 decode2047 ${JSON.stringify(input)}`, () => assert.equal(decode2047(input), out));
  }

  test('S8 encode2047 words are at most 75 characters and never split a character', () => {
    const text = '😀日本é'.repeat(40);
    const ws = encode2047(text);
    ws.forEach((w) => assert.ok(w.length <= 75, w));
    assert.equal(decode2047(ws.join(' ')), text);
    assert.equal(decode2047(b64w('x')), 'x');
  });

  const cuts: Array<[string, number, boolean, string]> = [
    ['abcdef', 4, false, 'abcd'],
    ['abcdef.pdf', 8, true, 'abcd.pdf'],
    ['abcdef.pdf', 8, false, 'abcdef.p'],
    ['no-extension-here', 8, true, 'no-exten'],
    ['a.verylongextensionnotreally', 10, true, 'a.verylong'],
    ['😀😀😀😀😀😀.txt', 8, true, '😀😀😀😀.txt'],
    ['😀😀😀😀.txt', 6, true, '😀😀😀😀.t'] // an extension longer than half the limit is not kept,
  ];
  for (const [text, limit, keep, out] of cuts) {
    test(`S8 cutValue(${JSON.stringify(text)}, ${limit}, ${keep})`, () => assert.equal(cutValue(text, limit, keep), out));
  }

  const types: Array<[string, string, string | undefined]> = [
    [' multipart/mixed; boundary="abc def"', 'multipart/mixed', 'abc def'],
    [' Multipart/Alternative;\tBOUNDARY=xyz', 'multipart/alternative', 'xyz'],
    [" multipart/mixed; boundary*=us-ascii''a%20b", 'multipart/mixed', 'a b'],
    [' multipart/mixed; boundary="=?UTF-8?B?eA==?="', 'multipart/mixed', '=?UTF-8?B?eA==?='], // literal, not decoded
    [' text/plain', 'text/plain', undefined],
  ];
  for (const [v, type, boundary] of types) {
    test(`S8 contentTypeInfo(${JSON.stringify(v)})`, () => assert.deepEqual(contentTypeInfo(v), { type, boundary }));
  }
});
