import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, FilterError, globToRegExp, hasFilter, ipMatcher, parseTime, type QueueFilterOptions } from './queue-filter.js';
import type { SpoolEnvelope } from '../core/submission.js';

const NOW = Date.parse('2024-05-10T12:00:00Z');

function env(over: { mailFrom?: string; rcpts?: string[]; ip?: string; authUser?: string; receivedAt?: number }): SpoolEnvelope {
  return {
    mailFrom: over.mailFrom ?? 'a@remote.example',
    rcpts: (over.rcpts ?? ['alice@example.test']).map((address) => ({ address })),
    params: { smtputf8: false },
    client: { ip: over.ip ?? '192.0.2.7', listener: 'mx', authUser: over.authUser },
    sessionId: 's',
    receivedAt: over.receivedAt ?? NOW - 60_000,
  };
}

const match = (o: QueueFilterOptions, e: SpoolEnvelope) => compileFilter(o, NOW)(e);

test('R10 parseTime: durations ago and ISO 8601; bad input names the option', () => {
  assert.equal(parseTime('30m', NOW), NOW - 30 * 60_000);
  assert.equal(parseTime('2h', NOW), NOW - 2 * 3_600_000);
  assert.equal(parseTime('1D', NOW), NOW - 86_400_000);
  assert.equal(parseTime('1w', NOW), NOW - 7 * 86_400_000);
  assert.equal(parseTime('45s', NOW), NOW - 45_000);
  assert.equal(parseTime('2024-05-01', NOW), Date.parse('2024-05-01T00:00:00Z'));
  assert.equal(parseTime('2024-05-01T10:00Z', NOW), Date.parse('2024-05-01T10:00:00Z'));
  assert.equal(parseTime('2024-05-01T10:00:30+02:00', NOW), Date.parse('2024-05-01T08:00:30Z'));
  assert.equal(parseTime('2024-05-01 10:00Z', NOW), Date.parse('2024-05-01T10:00:00Z'));
  for (const bad of ['yesterday', '10', '5y', '2024-13-01', '', '-1h', '2024-05-01T25:00Z']) {
    assert.throws(() => parseTime(bad, NOW, '--since'), (e: Error) => e instanceof FilterError && /--since/.test(e.message), bad);
  }
});

test('R10 globs: * and ?, anchored, case-insensitive, regex characters literal', () => {
  assert.ok(globToRegExp('*@spam.example').test('X@SPAM.example'));
  assert.ok(!globToRegExp('*@spam.example').test('x@spam.example.org'));
  assert.ok(!globToRegExp('*@spam.example').test('x@notspam-example'));
  assert.ok(globToRegExp('a?c@x').test('abc@x'));
  assert.ok(!globToRegExp('a.c@x').test('abc@x'), '. is literal');
  assert.ok(globToRegExp('a+b@x').test('a+b@x'));
});

test('R10 --sender: exact address, glob, null sender', () => {
  const spam = env({ mailFrom: 'Spammer@Evil.Example' });
  const nul = env({ mailFrom: '' });
  assert.ok(match({ sender: 'spammer@evil.example' }, spam));
  assert.ok(match({ sender: '<spammer@evil.example>' }, spam));
  assert.ok(match({ sender: '*@evil.example' }, spam));
  assert.ok(match({ sender: '*' }, spam));
  assert.ok(!match({ sender: '*' }, nul), '* does not match the null sender');
  assert.ok(!match({ sender: 'spammer@evil' }, spam), 'no partial match');
  assert.ok(!match({ sender: '<>' }, spam));
  assert.ok(match({ sender: '<>' }, nul));
  assert.ok(match({ sender: '' }, nul));
});

test('R10 --rcpt-domain: any recipient in the domain; glob; leading @ ignored', () => {
  const e = env({ rcpts: ['a@example.test', 'v1@Victim.Example', 'v2@mail.other.example'] });
  assert.ok(match({ rcptDomain: 'victim.example' }, e));
  assert.ok(match({ rcptDomain: '@VICTIM.example' }, e));
  assert.ok(match({ rcptDomain: '*.other.example' }, e));
  assert.ok(!match({ rcptDomain: 'other.example' }, e), 'exact domain does not match subdomains');
  assert.ok(!match({ rcptDomain: 'example' }, e));
  assert.throws(() => compileFilter({ rcptDomain: ' ' }), FilterError);
});

test('R10 --client-ip: address, IPv4 and IPv6 CIDR, IPv4-mapped addresses', () => {
  const cases: Array<[string, string, boolean]> = [
    ['192.0.2.7', '192.0.2.7', true],
    ['192.0.2.7', '192.0.2.8', false],
    ['192.0.2.0/24', '192.0.2.200', true],
    ['192.0.2.0/24', '192.0.3.1', false],
    ['0.0.0.0/0', '203.0.113.5', true],
    ['192.0.2.0/24', '::ffff:192.0.2.9', true],
    ['::ffff:192.0.2.0/120', '192.0.2.9', true],
    ['2001:db8::/32', '2001:db8:1::5', true],
    ['2001:db8::/32', '2001:db9::5', false],
    ['2001:db8::/32', '192.0.2.7', false],
    ['::1', '::1', true],
    ['127.0.0.1', '::1', false],
  ];
  for (const [spec, ip, want] of cases) assert.equal(ipMatcher(spec)(ip), want, `${spec} vs ${ip}`);
  for (const bad of ['192.0.2', '192.0.2.0/33', '2001:db8::/129', 'x', '1.2.3.4/8/9', '0x7f.1', '192.0.2.0/']) {
    assert.throws(() => compileFilter({ clientIp: bad }), (e: Error) => e instanceof FilterError && /--client-ip/.test(e.message), bad);
  }
  assert.ok(match({ clientIp: '192.0.2.0/24' }, env({ ip: '192.0.2.7' })));
});

test('R10 --auth-user: only messages submitted with AUTH', () => {
  assert.ok(match({ authUser: 'alice@example.test' }, env({ authUser: 'alice@example.test' })));
  assert.ok(match({ authUser: '*@example.test' }, env({ authUser: 'alice@example.test' })));
  assert.ok(!match({ authUser: '*' }, env({})));
});

test('R10 --since / --before: half-open interval on receivedAt', () => {
  const t = Date.parse('2024-05-10T11:00:00Z');
  const e = env({ receivedAt: t });
  assert.ok(match({ since: '2024-05-10T11:00Z' }, e), 'since is inclusive');
  assert.ok(!match({ before: '2024-05-10T11:00Z' }, e), 'before is exclusive');
  assert.ok(match({ since: '2h' }, e));
  assert.ok(!match({ since: '30m' }, e));
  assert.ok(match({ before: '30m' }, e));
  assert.ok(match({ since: '2024-05-10', before: '2024-05-11' }, e));
});

test('R10 filters combine with AND; no filter matches everything', () => {
  const a = env({ mailFrom: 's@evil.example', ip: '192.0.2.7' });
  const b = env({ mailFrom: 's@evil.example', ip: '198.51.100.1' });
  const f = compileFilter({ sender: '*@evil.example', clientIp: '192.0.2.0/24' }, NOW);
  assert.deepEqual([f(a), f(b)], [true, false]);
  assert.ok(compileFilter({}, NOW)(b));
  assert.equal(hasFilter({}), false);
  assert.equal(hasFilter({ since: '1h' }), true);
  assert.equal(hasFilter({ sender: '' }), true, 'the null sender is a filter');
});
