// Q3 channels and routes: defaults of the built-ins, relay host syntax, and
// errors naming the key (table-driven); routing by domain pattern.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, ConfigError } from './load.js';
import { parseRelayHost } from './channels-schema.js';
import { routeDomain } from './routing.js';

const base = (over: Record<string, unknown> = {}) => ({
  hostname: 'mx.test',
  listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }],
  ...over,
});

test('Q3 built-in channels exist without configuration, with the delivery defaults', () => {
  const c = validateConfig(base(), 'test', '/tmp');
  assert.deepEqual(Object.keys(c.channels).sort(), ['local', 'smtp']);
  assert.equal(c.channels.local.transport, 'maildir');
  assert.equal(c.channels.smtp.transport, 'smtp');
  assert.equal(c.channels.smtp.port, 25);
  assert.equal(c.channels.smtp.tls, 'may');
  assert.equal(c.channels.smtp.concurrency, 20);
  assert.equal(c.channels.smtp.maxConnections, 100);
  assert.deepEqual(c.channels.smtp.retryMs, c.delivery.retryMs);
  assert.equal(c.channels.smtp.giveUpMs, 5 * 24 * 3600 * 1000);
  assert.equal(c.channels.smtp.delayWarningMs, 4 * 3600 * 1000);
  assert.deepEqual(c.routes, {});
});

test('Q3 channel settings are kept; a built-in can be overridden (local over LMTP)', () => {
  const c = validateConfig(
    base({
      channels: {
        local: { transport: 'lmtp', relayHost: 'unix:/run/dovecot/lmtp' },
        tcp_big: { relayHost: '[smarthost.example]:587', concurrency: 2, retryMs: [1000], giveUpMs: 60000, blockLimit: 10000, lineLimit: 1000, tls: 'encrypt' },
      },
      routes: { 'big.example': 'tcp_big', '*': 'tcp_big' },
    }),
    'test',
    '/tmp',
  );
  assert.equal(c.channels.local.transport, 'lmtp');
  assert.deepEqual(c.channels.local.relayHost, { kind: 'unix', path: '/run/dovecot/lmtp' });
  assert.equal(c.channels.local.port, 24);
  assert.deepEqual(c.channels.tcp_big.relayHost, { kind: 'inet', host: 'smarthost.example', port: 587, mx: false });
  assert.equal(c.channels.tcp_big.concurrency, 2);
  assert.equal(c.channels.tcp_big.blockLimit, 10000);
  assert.equal(c.channels.tcp_big.tls, 'encrypt');
  assert.deepEqual(c.channels.tcp_big.retryMs, [1000]);
});

test('Q3 relay host syntax (Postfix relayhost)', () => {
  assert.deepEqual(parseRelayHost('relay.example'), { kind: 'inet', host: 'relay.example', mx: true });
  assert.deepEqual(parseRelayHost('Relay.Example:2525'), { kind: 'inet', host: 'relay.example', port: 2525, mx: true });
  assert.deepEqual(parseRelayHost('[relay.example]'), { kind: 'inet', host: 'relay.example', mx: false });
  assert.deepEqual(parseRelayHost('[2001:db8::1]:25'), { kind: 'inet', host: '2001:db8::1', port: 25, mx: false });
  assert.deepEqual(parseRelayHost('192.0.2.1:26'), { kind: 'inet', host: '192.0.2.1', port: 26, mx: false });
  assert.deepEqual(parseRelayHost('unix:/var/run/lmtp'), { kind: 'unix', path: '/var/run/lmtp' });
  for (const bad of ['', '[relay.example', 'relay..example', '[relay.example]:0', 'relay.example:99999', '2001:db8::1', 'unix:relative', 'a b']) {
    assert.equal(typeof parseRelayHost(bad), 'string', bad);
  }
});

test('S3/Q4 channel limits and an alternate channel are kept; the built-in smtp channel can have an alternate', () => {
  const c = validateConfig(base({ channels: { smtp: { alternateChannel: 'tcp_big', alternateBlockLimit: 10000, alternateLineLimit: 50000, alternateRecipientLimit: 50, recipientLimit: 100 }, tcp_big: { concurrency: 2 } } }), 'test', '/tmp');
  assert.equal(c.channels.smtp.alternateChannel, 'tcp_big');
  assert.equal(c.channels.smtp.alternateBlockLimit, 10000);
  assert.equal(c.channels.smtp.alternateLineLimit, 50000);
  assert.equal(c.channels.smtp.alternateRecipientLimit, 50);
  assert.equal(c.channels.smtp.recipientLimit, 100);
  assert.equal(c.channels.tcp_big.alternateChannel, undefined);
});

const bad: Array<[string, Record<string, unknown>, RegExp]> = [
  ['channel bad name', { channels: { 'tcp local': { blockLimit: 1 } } }, /^channels\.tcp local: expected a channel name/],
  ['channel blockLimit 0', { channels: { tcp_local: { blockLimit: 0 } } }, /^channels\.tcp_local\.blockLimit: /],
  ['channel unknown key', { channels: { tcp_local: { blocklimit: 5 } } }, /^channels\.tcp_local\.blocklimit: unknown key/],
  ['unknown transport', { channels: { x: { transport: 'uucp' } } }, /^channels\.x\.transport: /],
  ['bad relay host', { channels: { x: { relayHost: '[relay.example' } } }, /^channels\.x\.relayHost: expected "\]"/],
  ['lmtp without relay host', { channels: { x: { transport: 'lmtp' } } }, /^channels\.x\.relayHost: an lmtp channel needs relayHost/],
  ['smtp to a unix socket', { channels: { x: { relayHost: 'unix:/run/x' } } }, /^channels\.x\.relayHost: unix sockets are for lmtp/],
  ['maildir with a relay host', { channels: { local: { relayHost: 'relay.example' } } }, /^channels\.local\.relayHost: a maildir channel sends nowhere/],
  ['bad tls mode', { channels: { x: { tls: 'yes' } } }, /^channels\.x\.tls: /],
  ['route to an unknown channel', { routes: { 'example.org': 'nosuch' } }, /^routes\.example\.org: unknown channel "nosuch" \(channels: local, smtp\)/],
  ['alternateChannel unknown', { channels: { tcp_out: { alternateChannel: 'tcp_bigg', alternateBlockLimit: 10 } } }, /^channels\.tcp_out\.alternateChannel: unknown channel "tcp_bigg" \(channels: local, smtp, tcp_out\)/],
  ['alternateChannel itself', { channels: { tcp_out: { alternateChannel: 'tcp_out' } } }, /^channels\.tcp_out\.alternateChannel: a channel cannot be its own alternate/],
  ['alternate limit without alternateChannel', { channels: { tcp_out: { alternateBlockLimit: 10 } } }, /^channels\.tcp_out\.alternateBlockLimit: has no effect without alternateChannel/],
  ['recipientLimit 0', { channels: { tcp_out: { recipientLimit: 0 } } }, /^channels\.tcp_out\.recipientLimit: /],
  ['bad route pattern', { routes: { 'exa mple.org': 'smtp' } }, /^routes\.exa mple\.org: expected "example\.org", "\.example\.org" or "\*"/],
];

for (const [name, over, re] of bad) {
  test(`Q3 config error names the key: ${name}`, () => {
    assert.throws(
      () => validateConfig(base(over), 'test', '/tmp'),
      (e: Error) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.ok(e.problems.some((p) => re.test(p)), e.problems.join('\n'));
        return true;
      },
    );
  });
}

test('Q3 routing: exact beats subdomain beats local beats "*" beats smtp', () => {
  const c = validateConfig(
    base({
      channels: { relay1: {}, relay2: {}, relay3: {} },
      routes: { 'a.example': 'relay1', '.example': 'relay2', 'ours.test': 'relay3' },
    }),
    'test',
    '/tmp',
  );
  const local = (d: string) => d === 'ours.test' || d === 'sub.ours.test';
  assert.equal(routeDomain('a.example', c, local), 'relay1');
  assert.equal(routeDomain('A.Example.', c, local), 'relay1');
  assert.equal(routeDomain('b.a.example', c, local), 'relay2', 'longest suffix: .example (no .a.example route)');
  assert.equal(routeDomain('example', c, local), 'smtp', '".example" matches subdomains only');
  assert.equal(routeDomain('ours.test', c, local), 'relay3', 'an exact route wins over local');
  assert.equal(routeDomain('sub.ours.test', c, local), 'local');
  assert.equal(routeDomain('elsewhere.org', c, local), 'smtp');
  const star = validateConfig(base({ channels: { out: {} }, routes: { '*': 'out' } }), 'test', '/tmp');
  assert.equal(routeDomain('elsewhere.org', star, local), 'out');
  assert.equal(routeDomain('sub.ours.test', star, local), 'local', '"*" is for remote domains only');
});
