import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePath, parseMailbox, isDomain, parseAddressLiteral, formatAddress, type Address } from './address.js';

type Opts = { utf8: boolean; allowNull: boolean; allowPostmaster?: boolean };
const RCPT: Opts = { utf8: false, allowNull: false, allowPostmaster: true };
const MAIL: Opts = { utf8: false, allowNull: true };
const UTF8: Opts = { utf8: true, allowNull: false };

/** What a parse should give: the address fields, null for "<>", or "fail". */
type Want = { local: string; domain: string; quoted?: boolean; literal?: Address['literal']; rest?: string } | null | 'fail';

function check(name: string, input: string, opts: Opts, want: Want): void {
  const r = parsePath(input, opts);
  if (want === 'fail') {
    assert.equal(r.ok, false, `${name}: ${JSON.stringify(input)} should fail, got ${JSON.stringify(r)}`);
    if (!r.ok) assert.equal(typeof r.error, 'string');
    return;
  }
  assert.equal(r.ok, true, `${name}: ${JSON.stringify(input)} should parse, got ${JSON.stringify(r)}`);
  if (!r.ok) return;
  if (want === null) {
    assert.equal(r.address, null, name);
    return;
  }
  assert.ok(r.address, name);
  assert.equal(r.address.local, want.local, `${name}: local part`);
  assert.equal(r.address.domain, want.domain, `${name}: domain`);
  assert.equal(r.address.quoted, want.quoted ?? false, `${name}: quoted`);
  assert.deepEqual(r.address.literal, want.literal, `${name}: literal`);
  assert.equal(r.rest, want.rest ?? '', `${name}: rest`);
}

// A path of exactly 256 octets: "<" + 64 + "@" + 189 + ">".
const L64 = 'a'.repeat(64);
const D189 = `${'b'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(61)}`;

const a = (local: string, domain: string, extra: Partial<Exclude<Want, null | 'fail'>> = {}): Want => ({ local, domain, ...extra });

const cases: Array<[string, string, Opts, Want]> = [
  // --- P1: valid dot-atoms
  ['P1 simple', '<user@example.com>', RCPT, a('user', 'example.com')],
  ['P1 single-label domain', '<user@localhost>', RCPT, a('user', 'localhost')],
  ['P1 dotted local part', '<first.last@example.com>', RCPT, a('first.last', 'example.com')],
  ['P1 every atext special', "<!#$%&'*+-/=?^_`{|}~@example.com>", RCPT, a("!#$%&'*+-/=?^_`{|}~", 'example.com')],
  ['P1 plus tag', '<user+tag@example.com>', RCPT, a('user+tag', 'example.com')],
  ['P1 digits', '<123@456.example>', RCPT, a('123', '456.example')],
  ['P1 hyphen inside label', '<u@mail-1.ex-ample.com>', RCPT, a('u', 'mail-1.ex-ample.com')],
  ['P1 domain lower-cased, local case kept', '<John.Doe@Example.COM>', RCPT, a('John.Doe', 'example.com')],
  ['P1 parameters kept as rest', '<u@example.com> SIZE=10 BODY=8BITMIME', MAIL, a('u', 'example.com', { rest: 'SIZE=10 BODY=8BITMIME' })],
  ['P1 several spaces before parameters', '<u@example.com>   SIZE=10', MAIL, a('u', 'example.com', { rest: 'SIZE=10' })],
  // --- P1: quoted local parts
  ['P1 quoted simple', '<"john"@example.com>', RCPT, a('john', 'example.com', { quoted: true })],
  ['P1 quoted with space', '<"john doe"@example.com>', RCPT, a('john doe', 'example.com', { quoted: true })],
  ['P1 quoted with @', '<"a@b"@example.com>', RCPT, a('a@b', 'example.com', { quoted: true })],
  ['P1 quoted with escaped quote', '<"a\\"b"@example.com>', RCPT, a('a"b', 'example.com', { quoted: true })],
  ['P1 quoted with escaped backslash', '<"a\\\\b"@example.com>', RCPT, a('a\\b', 'example.com', { quoted: true })],
  ['P1 quoted with >', '<"a>b"@example.com>', RCPT, a('a>b', 'example.com', { quoted: true })],
  ['P1 quoted with dots anywhere', '<".a..b."@example.com>', RCPT, a('.a..b.', 'example.com', { quoted: true })],
  ['P1 quoted empty', '<""@example.com>', RCPT, a('', 'example.com', { quoted: true })],
  ['P1 quoted then text before @', '<"a"b@example.com>', RCPT, 'fail'],
  ['P1 quoted unterminated', '<"abc@example.com>', RCPT, 'fail'],
  ['P1 quoted bare backslash at end', '<"abc\\', RCPT, 'fail'],
  ['P1 quoted with tab', '<"a\tb"@example.com>', RCPT, 'fail'],
  ['P1 quoted-pair of control char', '<"a\\\x01b"@example.com>', RCPT, 'fail'],
  // --- P1: domain literals
  ['P1 IPv4 literal', '<u@[192.0.2.1]>', RCPT, a('u', '[192.0.2.1]', { literal: { kind: 'ipv4', value: '192.0.2.1' } })],
  ['P1 IPv6 literal', '<u@[IPv6:2001:DB8::1]>', RCPT, a('u', '[ipv6:2001:db8::1]', { literal: { kind: 'ipv6', value: '2001:db8::1' } })],
  ['P1 IPv6 loopback literal', '<u@[IPv6:::1]>', RCPT, a('u', '[ipv6:::1]', { literal: { kind: 'ipv6', value: '::1' } })],
  ['P1 IPv6 tag case-insensitive', '<u@[ipv6:::1]>', RCPT, a('u', '[ipv6:::1]', { literal: { kind: 'ipv6', value: '::1' } })],
  ['P1 general literal', '<u@[x-tag:some-content]>', RCPT, a('u', '[x-tag:some-content]', { literal: { kind: 'general', value: 'x-tag:some-content' } })],
  ['P1 IPv4 octet out of range', '<u@[192.0.2.256]>', RCPT, 'fail'],
  ['P1 IPv4 leading zero', '<u@[192.0.2.01]>', RCPT, 'fail'],
  ['P1 IPv4 too few octets', '<u@[192.0.2]>', RCPT, 'fail'],
  ['P1 IPv6 bad', '<u@[IPv6:2001:db8::zz]>', RCPT, 'fail'],
  ['P1 IPv6 tag with IPv4 value', '<u@[IPv6:1.2.3.4]>', RCPT, 'fail'],
  ['P1 IPv6 without tag', '<u@[::1]>', RCPT, 'fail'],
  ['P1 empty literal', '<u@[]>', RCPT, 'fail'],
  ['P1 unclosed literal', '<u@[1.2.3.4>', RCPT, 'fail'],
  ['P1 literal with text after', '<u@[1.2.3.4]x>', RCPT, 'fail'],
  ['P1 literal with bracket inside', '<u@[a:b]c]>', RCPT, 'fail'],
  ['P1 literal with backslash', '<u@[a:b\\c]>', RCPT, 'fail'],
  ['P1 general literal without content', '<u@[tag:]>', RCPT, 'fail'],
  ['P1 general literal tag ends in hyphen', '<u@[tag-:x]>', RCPT, 'fail'],
  // --- P1 / RFC 6531: SMTPUTF8 only with utf8
  ['P1 UTF-8 local without SMTPUTF8', '<jürgen@example.com>', RCPT, 'fail'],
  ['P1 UTF-8 domain without SMTPUTF8', '<u@bücher.example>', RCPT, 'fail'],
  ['P1 UTF-8 quoted without SMTPUTF8', '<"jü rgen"@example.com>', RCPT, 'fail'],
  ['P1 UTF-8 local with SMTPUTF8', '<jürgen@example.com>', UTF8, a('jürgen', 'example.com')],
  ['P1 UTF-8 domain with SMTPUTF8', '<u@Bücher.Example>', UTF8, a('u', 'bücher.example')],
  ['P1 UTF-8 quoted with SMTPUTF8', '<"jü rgen"@example.com>', UTF8, a('jü rgen', 'example.com', { quoted: true })],
  ['P1 non-BMP local with SMTPUTF8', '<😀@example.com>', UTF8, a('😀', 'example.com')],
  ['P1 non-BMP quoted with SMTPUTF8', '<"😀 x"@example.com>', UTF8, a('😀 x', 'example.com', { quoted: true })],
  ['P1 UTF-8 still no ASCII specials', '<ü(x)@example.com>', UTF8, 'fail'],
  // --- P1: null path only where allowed
  ['P1 null path in MAIL', '<>', MAIL, null],
  ['P1 null path with parameters', '<> SIZE=1', MAIL, null],
  ['P1 null path in RCPT', '<>', RCPT, 'fail'],
  ['P1 null path with space inside', '< >', MAIL, 'fail'],
  // --- P1: <postmaster> only with allowPostmaster (RFC 5321 4.5.1)
  ['P1 bare postmaster in RCPT', '<postmaster>', RCPT, a('postmaster', '')],
  ['P1 bare Postmaster any case', '<PostMaster>', RCPT, a('postmaster', '')],
  ['P1 bare postmaster with parameters', '<postmaster> NOTIFY=NEVER', RCPT, a('postmaster', '', { rest: 'NOTIFY=NEVER' })],
  ['P1 bare postmaster in MAIL', '<postmaster>', MAIL, 'fail'],
  ['P1 postmaster with domain is normal', '<postmaster@example.com>', MAIL, a('postmaster', 'example.com')],
  ['P1 postmasterx is not postmaster', '<postmasterx>', RCPT, 'fail'],
  // --- P1: source routes are validated and dropped (RFC 5321 3.6.1)
  ['P1 source route two hops', '<@a,@b:u@c>', RCPT, a('u', 'c')],
  ['P1 source route one hop', '<@relay.example:u@final.example>', RCPT, a('u', 'final.example')],
  ['P1 source route then quoted', '<@a:"x@y"@c>', RCPT, a('x@y', 'c', { quoted: true })],
  ['P1 source route bad hop', '<@a,b:u@c>', RCPT, 'fail'],
  ['P1 source route empty hop', '<@:u@c>', RCPT, 'fail'],
  ['P1 source route without colon', '<@a,@b>', RCPT, 'fail'],
  ['P1 source route with literal hop', '<@[1.2.3.4]:u@c>', RCPT, 'fail'],
  ['P1 source route twice', '<@a:@b:u@c>', RCPT, 'fail'],
  ['P1 source route to nothing', '<@a:>', RCPT, 'fail'],
  // --- P1: framing
  ['P1 no angle brackets', 'u@example.com', RCPT, 'fail'],
  ['P1 missing >', '<u@local', RCPT, 'fail'],
  ['P1 text glued after >', '<u@local>x', RCPT, 'fail'],
  ['P1 nested <', '<<u@local>>', RCPT, 'fail'],
  ['P1 < inside', '<u<@local>', RCPT, 'fail'],
  ['P1 leading space inside', '< u@local>', RCPT, 'fail'],
  ['P1 trailing space inside', '<u@local >', RCPT, 'fail'],
  ['P1 empty local', '<@local>', RCPT, 'fail'],
  ['P1 no @', '<local>', RCPT, 'fail'],
  ['P1 empty domain', '<u@>', RCPT, 'fail'],
  // --- P1: dots and labels
  ['P1 leading dot in local', '<.u@local>', RCPT, 'fail'],
  ['P1 trailing dot in local', '<u.@local>', RCPT, 'fail'],
  ['P1 double dot in local', '<u..v@local>', RCPT, 'fail'],
  ['P1 leading dot in domain', '<u@.local>', RCPT, 'fail'],
  ['P1 double dot in domain', '<u@ex..com>', RCPT, 'fail'],
  ['P1 hyphen-edged label', '<u@-bad-.com>', RCPT, 'fail'],
  ['P1 label ending in hyphen', '<u@bad-.com>', RCPT, 'fail'],
  ['P1 label starting with hyphen', '<u@ok.-bad.com>', RCPT, 'fail'],
  ['P1 underscore in domain', '<u@bad_name.com>', RCPT, 'fail'],
  ['P1 space in local', '<u v@local>', RCPT, 'fail'],
  ['P1 comma in local', '<u,v@local>', RCPT, 'fail'],
  ['P1 parentheses in local', '<u(comment)@local>', RCPT, 'fail'],
  // --- P3: control characters never parse
  ['P3 NUL in local', '<u\x00@local>', RCPT, 'fail'],
  ['P3 CR in local', '<u\r@local>', RCPT, 'fail'],
  ['P3 LF in domain', '<u@lo\ncal>', RCPT, 'fail'],
  ['P3 TAB in local', '<u\tv@local>', RCPT, 'fail'],
  ['P3 DEL in local', '<u\x7f@local>', RCPT, 'fail'],
  ['P3 CR LF in quoted local', '<"a\r\nb"@local>', RCPT, 'fail'],
  ['P3 CR in quoted-pair', '<"a\\\rb"@local>', RCPT, 'fail'],
  ['P3 control char with SMTPUTF8', '<ü\x01@local>', UTF8, 'fail'],
  // --- length limits (RFC 5321 4.5.3.1)
  ['P1 local part 64 octets', `<${'a'.repeat(64)}@example.com>`, RCPT, a('a'.repeat(64), 'example.com')],
  ['P1 local part 65 octets', `<${'a'.repeat(65)}@example.com>`, RCPT, 'fail'],
  ['P1 quoted local part 65 octets with quotes', `<"${'a'.repeat(63)}"@example.com>`, RCPT, 'fail'],
  ['P1 UTF-8 local part over 64 octets', `<${'ü'.repeat(33)}@example.com>`, UTF8, 'fail'],
  ['P1 label 63 octets', `<u@${'a'.repeat(63)}.com>`, RCPT, a('u', `${'a'.repeat(63)}.com`)],
  ['P1 label 64 octets', `<u@${'a'.repeat(64)}.com>`, RCPT, 'fail'],
  ['P1 path 256 octets', `<${L64}@${D189}>`, RCPT, a(L64, D189)],
  ['P1 path 257 octets', `<${L64}@${D189}c>`, RCPT, 'fail'],
  ['P1 path over 256 with source route', `<@${'r'.repeat(60)}.example,@${'s'.repeat(60)}.example:${'a'.repeat(60)}@${'d'.repeat(60)}.example>`, RCPT, 'fail'],
  // --- R1: relay tricks: fail, or parse to exactly the last domain
  ['R1 percent hack', '<u%remote@local>', RCPT, a('u%remote', 'local')],
  ['R1 percent hack to literal', '<u%[1.2.3.4]@local>', RCPT, 'fail'],
  ['R1 bang path', '<remote!u@local>', RCPT, a('remote!u', 'local')],
  ['R1 double @', '<u@remote@local>', RCPT, 'fail'],
  ['R1 double @ with percent', '<u%x@remote@local>', RCPT, 'fail'],
  ['R1 quoted @', '<"u@remote"@local>', RCPT, a('u@remote', 'local', { quoted: true })],
  ['R1 quoted @ then another @', '<"u"@remote@local>', RCPT, 'fail'],
  ['R1 trailing dot', '<u@local.>', RCPT, 'fail'],
  ['R1 IPv4 literal is a literal, not a name', '<u@[1.2.3.4]>', RCPT, a('u', '[1.2.3.4]', { literal: { kind: 'ipv4', value: '1.2.3.4' } })],
  ['R1 IPv6 literal', '<u@[IPv6:::1]>', RCPT, a('u', '[ipv6:::1]', { literal: { kind: 'ipv6', value: '::1' } })],
  ['R1 source route to remote', '<@local:u@remote>', RCPT, a('u', 'remote')],
  ['R1 source route with remote inside local part', '<@remote:u@local>', RCPT, a('u', 'local')],
  ['R1 colon route inside local part', '<u:remote@local>', RCPT, 'fail'],
  ['R1 percent and bang together', '<a!b%c@local>', RCPT, a('a!b%c', 'local')],
  ['R1 text after the path', '<u@local>x', RCPT, 'fail'],
  ['R1 second path after the first', '<u@local><v@remote>', RCPT, 'fail'],
  ['R1 second path after space is rest', '<u@local> <v@remote>', RCPT, a('u', 'local', { rest: '<v@remote>' })],
  ['R1 quoted trailing >', '<"u@remote>"@local>', RCPT, a('u@remote>', 'local', { quoted: true })],
  ['R1 hyphen-edged domain', '<u@-bad-.com>', RCPT, 'fail'],
  ['R1 double dot', '<u@local..>', RCPT, 'fail'],
  ['R1 leading dot', '<u@.local>', RCPT, 'fail'],
  ['R1 NUL truncation', '<u@remote\x00.local>', RCPT, 'fail'],
  ['R1 CR LF', '<u@remote\r\n.local>', RCPT, 'fail'],
  ['R1 unclosed', '<u@local', RCPT, 'fail'],
  ['R1 domain with port', '<u@local:25>', RCPT, 'fail'],
  ['R1 domain with slash', '<u@local/remote>', RCPT, 'fail'],
  ['R1 backslash-escaped @ unquoted', '<u\\@remote@local>', RCPT, 'fail'],
  ['R1 uppercase domain', '<u@LOCAL>', RCPT, a('u', 'local')],
];

test('address table is well formed', () => {
  assert.ok(cases.length > 100);
});

for (const [name, input, opts, want] of cases) {
  test(`parsePath: ${name}`, () => check(name, input, opts, want));
}
