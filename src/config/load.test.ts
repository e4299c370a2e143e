import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { validateConfig, loadConfigFile, loadConfig, ConfigError, type Snapshot } from './load.js';
import { embeddedDefault } from './embedded-default.js';
import { ConfigSchema, isLoopback } from './schema.js';

const tmp = mkdtempSync(join(tmpdir(), 'rampart-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const mx = { name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 2525 };
const base = (extra: Record<string, unknown> = {}) => ({ hostname: 'mx.example', listeners: [mx], ...extra });

function problemsOf(raw: unknown): string[] {
  try {
    validateConfig(raw, 'test.yaml', tmp);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    assert.equal(e.source, 'test.yaml');
    assert.match(e.message, /^test\.yaml: invalid configuration/);
    for (const p of e.problems) assert.ok(e.message.includes(p), 'every problem is in the message');
    return e.problems;
  }
  assert.fail('expected the configuration to be refused');
}

// [name, raw config, the key the first problem must name, text the problem must contain]
const invalid: Array<[string, unknown, string, RegExp]> = [
  ['P2 port above 65535', base({ listeners: [{ ...mx, port: 70000 }] }), 'listeners.0.port', /port/],
  ['P2 negative port', base({ listeners: [{ ...mx, port: -1 }] }), 'listeners.0.port', /port/],
  ['P2 port as text', base({ listeners: [{ ...mx, port: '25' }] }), 'listeners.0.port', /number/],
  ['P2 fractional port', base({ listeners: [{ ...mx, port: 25.5 }] }), 'listeners.0.port', /int/i],
  ['P2 port of the second listener', base({ listeners: [mx, { ...mx, name: 'mx2', port: 99999 }] }), 'listeners.1.port', /port/],
  ['P2 unknown listener kind', base({ listeners: [{ ...mx, kind: 'lmtp' }] }), 'listeners.0.kind', /mx|submission/],
  ['P2 bad bind address', base({ listeners: [{ ...mx, addresses: ['localhost'] }] }), 'listeners.0.addresses.0', /IPv4 or IPv6/],
  ['P2 no bind address', base({ listeners: [{ ...mx, addresses: [] }] }), 'listeners.0.addresses', /./],
  ['P2 bad listener name', base({ listeners: [{ ...mx, name: 'my listener' }] }), 'listeners.0.name', /letters, digits/],
  ['P2 no listeners', base({ listeners: [] }), 'listeners', /./],
  ['P2 listeners missing', { hostname: 'x' }, 'listeners', /./],
  ['P2 duplicate listener names', base({ listeners: [mx, { ...mx, port: 2526 }] }), 'listeners.1.name', /duplicate listener name "mx"/],
  ['R3 allowInsecureAuth on a public address', base({ listeners: [{ ...mx, addresses: ['0.0.0.0'], allowInsecureAuth: true }] }), 'listeners.0.allowInsecureAuth', /loopback/],
  ['R3 allowInsecureAuth with one public address among loopback', base({ listeners: [{ ...mx, addresses: ['127.0.0.1', '192.0.2.1'], allowInsecureAuth: true }] }), 'listeners.0.allowInsecureAuth', /loopback/],
  ['R3 allowInsecureAuth on ::', base({ listeners: [{ ...mx, addresses: ['::'], allowInsecureAuth: true }] }), 'listeners.0.allowInsecureAuth', /loopback/],
  ['P4 pregreetWaitMs too long', base({ listeners: [{ ...mx, pregreetWaitMs: 60000 }] }), 'listeners.0.pregreetWaitMs', /./],
  ['S1 maxMessageSize negative', base({ limits: { maxMessageSize: -1 } }), 'limits.maxMessageSize', /./],
  ['S1 maxMessageSize zero', base({ limits: { maxMessageSize: 0 } }), 'limits.maxMessageSize', /./],
  ['S1 maxMessageSize as text', base({ limits: { maxMessageSize: '25M' } }), 'limits.maxMessageSize', /number/],
  ['S1 maxMessageSize fractional', base({ limits: { maxMessageSize: 1.5 } }), 'limits.maxMessageSize', /int/i],
  ['P4 maxCommandLine below RFC 5321 minimum', base({ limits: { maxCommandLine: 100 } }), 'limits.maxCommandLine', /./],
  ['P4 maxConnections zero', base({ limits: { maxConnections: 0 } }), 'limits.maxConnections', /./],
  ['P4 commandMs zero', base({ timeouts: { commandMs: 0 } }), 'timeouts.commandMs', /./],
  ['P3 bareLineEndings unknown', base({ smtp: { bareLineEndings: 'fix' } }), 'smtp.bareLineEndings', /reject|accept/],
  ['unknown key smtp.bogus', base({ smtp: { bogus: 1 } }), 'smtp.bogus', /unknown key/],
  ['unknown top-level key', base({ bogus: 1 }), 'bogus', /unknown key/],
  ['unknown listener key', base({ listeners: [{ ...mx, tls: true }] }), 'listeners.0.tls', /unknown key/],
  ['misspelt limits key', base({ limits: { maxMesageSize: 10 } }), 'limits.maxMesageSize', /unknown key/],
  ['empty hostname', base({ hostname: '' }), 'hostname', /./],
  ['log level unknown', base({ log: { level: 'loud' } }), 'log.level', /./],
  ['policy.warn not a list', base({ policy: { warn: 'rcpt.relay' } }), 'policy.warn', /array/],
  ['Q1 retryMs empty', base({ delivery: { retryMs: [] } }), 'delivery.retryMs', /./],
  ['Q2 bounceSizeLimit below 1024', base({ delivery: { bounceSizeLimit: 100 } }), 'delivery.bounceSizeLimit', />=1024|1024/],
  ['Q1 delivery.concurrency 0', base({ delivery: { concurrency: 0 } }), 'delivery.concurrency', /./],
  ['top level is a list', [], '(top level)', /object/],
  ['top level is text', 'listeners', '(top level)', /object/],
];

for (const [name, raw, key, text] of invalid) {
  test(`validateConfig: ${name} -> error names ${key}`, () => {
    const problems = problemsOf(raw);
    const p = problems.find((x) => x.startsWith(`${key}: `));
    assert.ok(p, `no problem names ${key}: ${JSON.stringify(problems)}`);
    assert.match(p, text);
  });
}

test('validateConfig: several unknown keys are each named', () => {
  const problems = problemsOf(base({ smtp: { bogus: 1, other: 2 }, limits: { nope: 1 } }));
  for (const k of ['smtp.bogus', 'smtp.other', 'limits.nope']) assert.ok(problems.some((p) => p.startsWith(`${k}:`)), `${k} in ${JSON.stringify(problems)}`);
});

test('validateConfig: a missing file or empty YAML (null) reports missing listeners', () => {
  const problems = problemsOf(null);
  assert.ok(problems.some((p) => p.startsWith('listeners:')));
});

const loopbackOk: Array<[string[], boolean]> = [
  [['127.0.0.1'], true],
  [['127.1.2.3'], true],
  [['::1'], true],
  [['127.0.0.1', '::1'], true],
  [['::ffff:127.0.0.1'], true],
  [['0.0.0.0'], false],
  [['::'], false],
  [['10.0.0.1'], false],
  [['1270::1'], false],
];
for (const [addresses, ok] of loopbackOk) {
  test(`R3 allowInsecureAuth on ${addresses.join(',')} -> ${ok ? 'allowed' : 'refused'}`, () => {
    assert.equal(addresses.every(isLoopback), ok);
    const raw = base({ listeners: [{ ...mx, addresses, allowInsecureAuth: true }] });
    if (ok) assert.equal(validateConfig(raw, 't', tmp).listeners[0].allowInsecureAuth, true);
    else assert.ok(problemsOf(raw).some((p) => p.startsWith('listeners.0.allowInsecureAuth:')));
  });
}

const defaults: Array<[string, Record<string, unknown>, { requireAuth: boolean; pregreetWaitMs: number; implicitTls: boolean }]> = [
  ['P2 mx', { ...mx }, { requireAuth: false, pregreetWaitMs: 300, implicitTls: false }],
  ['P2 submission', { ...mx, kind: 'submission' }, { requireAuth: true, pregreetWaitMs: 0, implicitTls: false }],
  ['P2 submissions', { ...mx, kind: 'submissions' }, { requireAuth: true, pregreetWaitMs: 0, implicitTls: true }],
  ['P2 mx with AUTH required', { ...mx, requireAuth: true }, { requireAuth: true, pregreetWaitMs: 300, implicitTls: false }],
  ['P4 mx without the early-talker wait', { ...mx, pregreetWaitMs: 0 }, { requireAuth: false, pregreetWaitMs: 0, implicitTls: false }],
  ['P4 submission with an early-talker wait', { ...mx, kind: 'submission', pregreetWaitMs: 500 }, { requireAuth: true, pregreetWaitMs: 500, implicitTls: false }],
];
for (const [name, listener, want] of defaults) {
  test(`validateConfig: listener defaults resolved: ${name}`, () => {
    const l = validateConfig(base({ listeners: [listener] }), 't', tmp).listeners[0];
    assert.equal(l.requireAuth, want.requireAuth);
    assert.equal(l.pregreetWaitMs, want.pregreetWaitMs);
    assert.equal(l.implicitTls, want.implicitTls);
    assert.equal(l.allowInsecureAuth, false);
  });
}

test('validateConfig: global defaults (S1 25 MiB, P4 512-octet lines, P3 reject bare line endings)', () => {
  const s = validateConfig({ listeners: [mx] }, 't', tmp);
  assert.equal(s.hostname, osHostname());
  assert.equal(s.dataDir, join(tmp, 'var'));
  assert.equal(s.directoryPath, join(tmp, 'var', 'directory.sqlite'));
  assert.equal(s.limits.maxMessageSize, 26214400);
  assert.equal(s.limits.maxCommandLine, 512);
  assert.equal(s.limits.maxRecipients, 1000);
  assert.equal(s.limits.maxConnectionsPerIp, 50);
  assert.equal(s.smtp.bareLineEndings, 'reject');
  assert.equal(s.smtp.banner, '%LOCALDOMAIN% ESMTP');
  assert.doesNotMatch(s.smtp.banner, /rampart/i, 'H4: the default banner names no software');
  assert.deepEqual(s.policy.warn, []);
  assert.equal(s.delivery.hold, false);
  assert.equal(s.delivery.bounceSizeLimit, 50000);
  assert.equal(s.delivery.concurrency, 100);
  assert.equal(s.tls.cert, undefined);
  assert.equal(s.source, 't');
});

test('embedded default is valid: loopback high ports, one listener of each kind', () => {
  const s = loadConfig(undefined, tmp);
  assert.equal(s.source, 'embedded default');
  assert.equal(s.hostname, 'localhost');
  assert.equal(s.dataDir, join(tmp, 'var'));
  assert.deepEqual(s.listeners.map((l) => [l.name, l.kind, l.requireAuth, l.implicitTls]), [
    ['mx', 'mx', false, false],
    ['submission', 'submission', true, false],
    ['submissions', 'submissions', true, true],
  ]);
  for (const l of s.listeners) {
    assert.ok(l.port > 1024, 'no root needed');
    assert.ok(l.addresses.every(isLoopback), 'loopback only');
  }
  assert.ok(ConfigSchema.safeParse(embeddedDefault()).success);
});

test('snapshot is deeply frozen and does not freeze the caller input', () => {
  const raw = base({ policy: { warn: ['rcpt.localRecipient'] } }); // rcpt.relay may not be warned (R1)
  const s: Snapshot = validateConfig(raw, 't', tmp);
  assert.ok(Object.isFrozen(s));
  assert.ok(Object.isFrozen(s.limits));
  assert.ok(Object.isFrozen(s.listeners));
  assert.ok(Object.isFrozen(s.listeners[0]));
  assert.ok(Object.isFrozen(s.listeners[0].addresses));
  assert.ok(Object.isFrozen(s.policy.warn));
  assert.ok(Object.isFrozen(s.delivery.retryMs));
  assert.throws(() => {
    (s.limits as { maxMessageSize: number }).maxMessageSize = 1;
  }, TypeError);
  assert.throws(() => (s.policy.warn as string[]).push('x'), TypeError);
  assert.equal(Object.isFrozen(raw), false);
  assert.equal(Object.isFrozen((raw.listeners as unknown[])[0]), false);
});

function writeConfig(rel: string, text: string): string {
  const path = join(tmp, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

test('loadConfigFile: relative paths resolve against the config file directory, not the cwd', () => {
  const path = writeConfig(
    'etc/rampart/rampart.yaml',
    [
      'hostname: mx.example',
      'dataDir: ../../var/lib/rampart',
      'listeners:',
      '  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 2525 }',
      'tls: { cert: certs/c.pem, key: /abs/k.pem }',
      'directory: { path: dir.sqlite }',
    ].join('\n'),
  );
  const s = loadConfigFile(path);
  assert.equal(s.source, path);
  assert.equal(s.dataDir, join(tmp, 'var/lib/rampart'));
  assert.equal(s.tls.cert, join(tmp, 'etc/rampart/certs/c.pem'));
  assert.equal(s.tls.key, '/abs/k.pem');
  assert.equal(s.directoryPath, join(tmp, 'etc/rampart/dir.sqlite'));
  // loadConfig(path) is the same as loadConfigFile(path)
  assert.equal(loadConfig(path, '/').dataDir, s.dataDir);
});

test('loadConfigFile: absolute dataDir is kept', () => {
  const path = writeConfig('abs.yaml', 'dataDir: /srv/rampart\nlisteners: [{ name: mx, kind: mx, addresses: ["::1"], port: 25 }]\n');
  assert.equal(loadConfigFile(path).dataDir, '/srv/rampart');
});

const yamlErrors: Array<[string, string, RegExp]> = [
  ['bad indentation', 'listeners:\n  - name: mx\n    kind: mx\n     port: 25\n', /line 3/],
  ['duplicate key', 'hostname: a\nhostname: b\n', /unique.*line 2/i],
  ['unclosed flow sequence', 'listeners: [\n', /line/],
  ['tab indentation', 'listeners:\n\t- name: mx\n', /tab/i],
];
for (const [name, text, want] of yamlErrors) {
  test(`loadConfigFile: YAML syntax error (${name}) names the problem and the line`, () => {
    const path = writeConfig(`yaml-${name.replace(/\W/g, '_')}.yaml`, text);
    try {
      loadConfigFile(path);
      assert.fail('expected a ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.source, path);
      assert.ok(e.problems.length >= 1);
      assert.ok(e.problems.every((p) => p.startsWith('YAML: ') && !p.includes('\n')), JSON.stringify(e.problems));
      assert.match(e.problems.join(' '), want);
    }
  });
}

test('loadConfigFile: schema errors in a file name the file and the key', () => {
  const path = writeConfig('bad-port.yaml', 'listeners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 70000 }\nsmtp: { bogus: 1 }\n');
  try {
    loadConfigFile(path);
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.source, path);
    assert.ok(e.message.startsWith(`${path}: invalid configuration`));
    assert.ok(e.problems.some((p) => p.startsWith('listeners.0.port:')), JSON.stringify(e.problems));
    assert.ok(e.problems.some((p) => p.startsWith('smtp.bogus:')), JSON.stringify(e.problems));
  }
});

test('loadConfigFile: a missing file is a ConfigError naming the file', () => {
  const path = join(tmp, 'does-not-exist.yaml');
  assert.throws(() => loadConfigFile(path), (e: unknown) => e instanceof ConfigError && e.source === path && /cannot read file/.test(e.problems[0]));
});

test('loadConfigFile: an empty file reports the missing listeners', () => {
  const path = writeConfig('empty.yaml', '');
  assert.throws(() => loadConfigFile(path), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.startsWith('listeners:')));
});
