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

test('R1 relay-trick battery: every trick fails or keeps exactly the last domain', () => {
  const tricks = [
    'u%remote@local', 'remote!u@local', 'u@remote@local', '"u@remote"@local', 'u@local.', 'u@[1.2.3.4]',
    'u@[IPv6:::1]', 'u%remote.example%other@local', 'remote.example!other!u@local', '"u@remote"@LOCAL',
    '"u%remote"@local', '"@remote:u"@local', '@remote:u@local', '@a,@b:u@local', 'u@local@', '@local',
    'u@', 'u@.local', 'u@local..', 'u@lo..cal', '.u@local', 'u..v@local', 'u@-local', 'u@local-',
    'u@remote\\@local', 'u@remote%local', 'u@remote!local', 'u@remote,local', 'u@remote;local', 'u@remote local',
    'u@remote\x00local', 'u@remote\rlocal', 'u@remote\nlocal', '"u\\"@remote"@local',
  ];
  for (const trick of tricks) {
    for (const opts of [RCPT, MAIL, UTF8]) {
      const r = parsePath(`<${trick}>`, opts);
      if (!r.ok || r.address === null) continue;
      const last = trick.slice(trick.lastIndexOf('@') + 1).toLowerCase();
      assert.equal(r.address.domain, last, `${JSON.stringify(trick)} parsed to domain ${r.address.domain}`);
      assert.ok(!r.address.domain.includes('@') && !r.address.domain.includes('%') && !r.address.domain.includes('!'), trick);
    }
  }
  // Not open to a glued suffix after ">" either.
  assert.equal(parsePath('<u@local>x', RCPT).ok, false);
});

test('R1 source routes are dropped: raw holds only the final mailbox', () => {
  const r = parsePath('<@a,@b:u@c>', RCPT);
  assert.ok(r.ok && r.address);
  assert.equal(r.address.raw, 'u@c');
  assert.equal(formatAddress(r.address), 'u@c');
});

const mailboxCases: Array<[string, string, boolean, { local: string; domain: string; quoted: boolean } | 'fail']> = [
  ['P1 plain', 'u@example.com', false, { local: 'u', domain: 'example.com', quoted: false }],
  ['P1 case', 'User@EXAMPLE.com', false, { local: 'User', domain: 'example.com', quoted: false }],
  ['P1 quoted', '"a b"@x.org', false, { local: 'a b', domain: 'x.org', quoted: true }],
  ['P1 quoted escaped', '"a\\"b"@x.org', false, { local: 'a"b', domain: 'x.org', quoted: true }],
  ['P1 quoted unterminated', '"ab@x.org', false, 'fail'],
  ['P1 quoted text after', '"a"b@x.org', false, 'fail'],
  ['P1 no @', 'abc', false, 'fail'],
  ['P1 starts with @', '@x.org', false, 'fail'],
  ['P1 two @', 'a@b@x.org', false, 'fail'],
  ['P1 UTF-8 off', 'ü@x.org', false, 'fail'],
  ['P1 UTF-8 on', 'ü@X.org', true, { local: 'ü', domain: 'x.org', quoted: false }],
  ['P1 literal', 'u@[10.0.0.1]', false, { local: 'u', domain: '[10.0.0.1]', quoted: false }],
  ['P1 bad literal', 'u@[10.0.0.1', false, 'fail'],
  ['P1 trailing dot', 'u@x.org.', false, 'fail'],
];

for (const [name, input, utf8, want] of mailboxCases) {
  test(`parseMailbox: ${name} ${JSON.stringify(input)}`, () => {
    const r = parseMailbox(input, utf8);
    if (want === 'fail') {
      assert.equal(typeof r, 'string', `expected an error, got ${JSON.stringify(r)}`);
      return;
    }
    assert.equal(typeof r, 'object', `expected an address, got ${JSON.stringify(r)}`);
    const ad = r as Address;
    assert.equal(ad.local, want.local);
    assert.equal(ad.domain, want.domain);
    assert.equal(ad.quoted, want.quoted);
    assert.equal(ad.raw, input);
  });
}

const domainCases: Array<[string, boolean, boolean]> = [
  ['example.com', false, true],
  ['EXAMPLE.COM', false, true],
  ['a', false, true],
  ['a-b.c-d', false, true],
  ['1.2.3.4', false, true], // RFC 5321 sub-domain grammar allows all-digit labels
  ['xn--bcher-kva.example', false, true],
  ['', false, false],
  ['.', false, false],
  ['example.com.', false, false],
  ['.example.com', false, false],
  ['ex..com', false, false],
  ['-ex.com', false, false],
  ['ex-.com', false, false],
  ['ex_ample.com', false, false],
  ['ex ample.com', false, false],
  ['ex\r\nample.com', false, false],
  ['[1.2.3.4]', false, false],
  ['bücher.example', false, false],
  ['bücher.example', true, true],
  ['ü-.example', true, false],
  ['a'.repeat(63), false, true],
  ['a'.repeat(64), false, false],
  [Array(4).fill('a'.repeat(63)).join('.'), false, true], // 255 octets
  [Array(3).fill('a'.repeat(63)).join('.') + `.${'b'.repeat(61)}.c`, false, true], // 255 octets
  [Array(3).fill('a'.repeat(63)).join('.') + `.${'b'.repeat(62)}.c`, false, false], // 256 octets
];

for (const [input, utf8, want] of domainCases) {
  test(`isDomain: P1 ${JSON.stringify(input.length > 40 ? `${input.slice(0, 20)}...(${input.length})` : input)} utf8=${utf8} -> ${want}`, () => {
    assert.equal(isDomain(input, utf8), want);
  });
}

const literalCases: Array<[string, { kind: 'ipv4' | 'ipv6' | 'general'; value: string } | 'fail']> = [
  ['[192.0.2.1]', { kind: 'ipv4', value: '192.0.2.1' }],
  ['[0.0.0.0]', { kind: 'ipv4', value: '0.0.0.0' }],
  ['[255.255.255.255]', { kind: 'ipv4', value: '255.255.255.255' }],
  ['[256.0.0.1]', 'fail'],
  ['[1.2.3]', 'fail'],
  ['[1.2.3.4.5]', 'fail'],
  ['[1.2.3.04]', 'fail'],
  ['[1.2.3.4', 'fail'],
  ['1.2.3.4]', 'fail'],
  ['1.2.3.4', 'fail'],
  ['[]', 'fail'],
  ['[IPv6:2001:db8::1]', { kind: 'ipv6', value: '2001:db8::1' }],
  ['[IPv6:2001:DB8::A]', { kind: 'ipv6', value: '2001:db8::a' }],
  ['[IPV6:::1]', { kind: 'ipv6', value: '::1' }],
  ['[IPv6:::ffff:192.0.2.1]', { kind: 'ipv6', value: '::ffff:192.0.2.1' }],
  ['[IPv6:1.2.3.4]', 'fail'],
  ['[IPv6:]', 'fail'],
  ['[IPv6:gggg::1]', 'fail'],
  ['[IPv6:fe80::1%eth0]', 'fail'],
  ['[::1]', 'fail'],
  ['[x400:c=us;a=b]', { kind: 'general', value: 'x400:c=us;a=b' }],
  ['[tag:a[b]', 'fail'],
  ['[tag:a\\b]', 'fail'],
  ['[tag:a b]', 'fail'],
  ['[-tag:x]', { kind: 'general', value: '-tag:x' }], // Ldh-str: RFC 5321 does not forbid a leading hyphen in the tag
  ['[tag-:x]', 'fail'],
  ['[:x]', 'fail'],
];

for (const [input, want] of literalCases) {
  test(`parseAddressLiteral: P1/R8 ${JSON.stringify(input)}`, () => {
    const r = parseAddressLiteral(input);
    if (want === 'fail') assert.equal(typeof r, 'string', `expected an error, got ${JSON.stringify(r)}`);
    else assert.deepEqual(r, want);
  });
}

test('formatAddress: null path, bare postmaster, quoting when needed, and round trip', () => {
  assert.equal(formatAddress(null), '');
  const pm = parsePath('<Postmaster>', RCPT);
  assert.ok(pm.ok && pm.address);
  assert.equal(formatAddress(pm.address), 'postmaster');
  const table: Array<[string, boolean, string]> = [
    ['<User@Example.COM>', false, 'User@example.com'],
    ['<"john"@x.org>', false, 'john@x.org'],
    ['<"john doe"@x.org>', false, '"john doe"@x.org'],
    ['<"a@b"@x.org>', false, '"a@b"@x.org'],
    ['<"a\\"b"@x.org>', false, '"a\\"b"@x.org'],
    ['<"a\\\\b"@x.org>', false, '"a\\\\b"@x.org'],
    ['<".a"@x.org>', false, '".a"@x.org'],
    ['<""@x.org>', false, '""@x.org'],
    ['<u@[IPv6:::1]>', false, 'u@[ipv6:::1]'],
    ['<jürgen@bücher.example>', true, 'jürgen@bücher.example'],
  ];
  for (const [input, utf8, want] of table) {
    const r = parsePath(input, { utf8, allowNull: false });
    assert.ok(r.ok && r.address, input);
    const text = formatAddress(r.address);
    assert.equal(text, want, input);
    // Round trip: the formatted text parses back to the same local part and domain.
    const back = parseMailbox(text, utf8);
    assert.equal(typeof back, 'object', `${text} should parse back`);
    assert.equal((back as Address).local, r.address.local);
    assert.equal((back as Address).domain, r.address.domain);
  }
});
