import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64, parsePlain } from './sasl.js';

const b64Cases: Array<[string, string, string | undefined]> = [
  // [name, input, expected decoded text (latin1) or undefined for "not base64"]
  ['R3 "=" is the empty initial response (RFC 4954)', '=', ''],
  ['R3 empty line decodes to nothing', '', ''],
  ['R3 no padding', 'dXNlcg==', 'user'],
  ['R3 one pad', 'dXNlcjE=', 'user1'],
  ['R3 no pad needed', 'dXNlcjEy', 'user12'],
  ['R3 plus and slash', '+/+/', '\xfb\xff\xbf'],
  ['R3 LOGIN prompt', 'VXNlcm5hbWU6', 'Username:'],
  ['R3 missing padding', 'dXNlcg', undefined],
  ['R3 length not a multiple of 4', 'dXNlcg=', undefined],
  ['R3 three pads', 'dXN===', undefined],
  ['R3 four pads', '====', undefined],
  ['R3 two "="', '==', undefined],
  ['R3 pad in the middle', 'dX==cg==', undefined],
  ['R3 pad at the start', '=dXN', undefined],
  ['R3 space inside', 'dXNl cg==', undefined],
  ['R3 leading space', ' dXNlcg==', undefined],
  ['R3 trailing space', 'dXNlcg== ', undefined],
  ['R3 tab', 'dXNl\tcg==', undefined],
  ['R3 CR LF', 'dXNl\r\ncg==', undefined],
  ['R3 URL-safe alphabet', 'dXNl-_==', undefined],
  ['R3 non-ASCII', 'dXNlcé==', undefined],
  ['R3 "*" (cancel is handled by the session, not here)', '*', undefined],
  ['R3 dot', 'dXN.', undefined],
  ['R3 NUL', 'dXN\x00', undefined],
];

for (const [name, input, want] of b64Cases) {
  test(`decodeBase64: ${name} ${JSON.stringify(input)}`, () => {
    const r = decodeBase64(input);
    if (want === undefined) assert.equal(r, undefined);
    else {
      assert.ok(Buffer.isBuffer(r));
      assert.equal(r.toString('latin1'), want);
    }
  });
}

test('R3 decodeBase64 round-trips random bytes of every length', () => {
  for (let len = 0; len < 64; len++) {
    const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(Math.random() * 256)));
    const r = decodeBase64(bytes.toString('base64'));
    assert.ok(r, `length ${len}`);
    assert.deepEqual(r, bytes);
  }
});

const b = (s: string) => Buffer.from(s, 'utf8');

const plainCases: Array<[string, Buffer, { user: string; password: string; authzid?: string } | undefined]> = [
  ['R3 PLAIN without authzid', b('\0alice@example.com\0s3cret'), { user: 'alice@example.com', password: 's3cret', authzid: undefined }],
  ['R3 PLAIN with authzid', b('admin@example.com\0alice@example.com\0s3cret'), { user: 'alice@example.com', password: 's3cret', authzid: 'admin@example.com' }],
  ['R3 PLAIN authzid equal to user', b('alice\0alice\0pw'), { user: 'alice', password: 'pw', authzid: 'alice' }],
  ['R3 PLAIN UTF-8 password', b('\0alice\0pässwörd'), { user: 'alice', password: 'pässwörd', authzid: undefined }],
  ['R3 PLAIN password with spaces', b('\0alice\0a b c'), { user: 'alice', password: 'a b c', authzid: undefined }],
  ['R3 PLAIN empty user', b('\0\0pw'), undefined],
  ['R3 PLAIN empty password', b('\0alice\0'), undefined],
  ['R3 PLAIN only one NUL', b('\0alice'), undefined],
  ['R3 PLAIN no NUL', b('alice pw'), undefined],
  ['R3 PLAIN extra NUL', b('\0alice\0pw\0'), undefined],
  ['R3 PLAIN four fields', b('z\0alice\0pw\0x'), undefined],
  ['R3 PLAIN empty', Buffer.alloc(0), undefined],
  ['R3 PLAIN two NULs only', b('\0\0'), undefined],
];

for (const [name, input, want] of plainCases) {
  test(`parsePlain: ${name}`, () => {
    assert.deepEqual(parsePlain(input), want);
  });
}

test('R3 PLAIN end to end: base64 then parse', () => {
  const wire = Buffer.from('\0bob@example.com\0hunter2').toString('base64');
  const raw = decodeBase64(wire);
  assert.ok(raw);
  assert.deepEqual(parsePlain(raw), { user: 'bob@example.com', password: 'hunter2', authzid: undefined });
  assert.equal(decodeBase64(wire.slice(0, -1)), undefined);
  const empty = decodeBase64('=');
  assert.ok(empty);
  assert.equal(parsePlain(empty), undefined);
});
