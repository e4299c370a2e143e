// Q2/Q3 TLS policy and AUTH to a smarthost: STARTTLS when offered (a
// self-signed certificate does not stop "may"), "encrypt" refuses to send in
// clear (4.7.5), a broken TLS handshake under "may" falls back to a plaintext
// connection; AUTH PLAIN/LOGIN only inside TLS, with the password read from
// its file, and every AUTH problem a temporary failure with a clear reason.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { harness, channel, message, rcpts, summary, startSink, selfSigned, type Harness } from './support.js';
import { startPeer } from '../helpers/smtp-peer.js';
import type { SMTPServerAuthentication } from 'smtp-server';

const zone = {
  records: {
    'dest.test': [{ type: 'MX' as const, data: { preference: 10, exchange: 'mx.dest.test' } }],
    'mx.dest.test': [{ type: 'A' as const, data: '127.0.0.1' }],
    'smarthost.test': [{ type: 'A' as const, data: '127.0.0.1' }],
  },
};

describe('Q2 TLS policy and AUTH', { timeout: 60_000 }, () => {
  let h: Harness;
  let dir: string;
  before(async () => {
    h = await harness(zone, { cache: { idleMs: 50 } });
    dir = mkdtempSync(join(tmpdir(), 'rampart-auth-'));
  });
  after(async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('Q2 tls may: STARTTLS with a self-signed certificate, the message goes encrypted; tls none stays in clear', async () => {
    const sink = await startSink({ ...(await selfSigned()) });
    try {
      assert.deepEqual(summary(await h.transport.deliver(message(), rcpts('a@dest.test'), channel({ port: sink.port }))), ['delivered 2.0.0']);
      assert.equal(sink.messages[0].secure, true);
      assert.deepEqual(summary(await h.transport.deliver(message(), rcpts('a@dest.test'), channel({ port: sink.port, tls: 'none' }, 'plain'))), ['delivered 2.0.0']);
      assert.equal(sink.messages[1].secure, false);
    } finally {
      await sink.stop();
    }
  });

  test('Q2 tls encrypt: a peer without STARTTLS gets nothing in clear, 4.7.5 deferred; with STARTTLS it delivers', async () => {
    const plain = await startPeer({});
    const tlsPeer = await startPeer({ tls: await selfSigned() });
    try {
      const res = await h.transport.deliver(message(), rcpts('a@dest.test', 'b@dest.test'), channel({ port: plain.port, tls: 'encrypt' }));
      assert.deepEqual(summary(res), ['deferred 4.7.5', 'deferred 4.7.5']);
      assert.match(res[0].diagnostic, /TLS is required, but was not offered by mx\.dest\.test/);
      assert.equal(res[0].remoteMta, 'mx.dest.test');
      assert.deepEqual(plain.sessions[0].commands, ['EHLO rampart.test'], 'no MAIL, no RCPT, no data in clear');
      assert.deepEqual(summary(await h.transport.deliver(message(), rcpts('a@dest.test'), channel({ port: tlsPeer.port, tls: 'encrypt' }))), ['delivered 2.0.0']);
      assert.equal(tlsPeer.sessions[0].secure, true);
      assert.equal(tlsPeer.sessions[0].messages.length, 1);
    } finally {
      await plain.stop();
      await tlsPeer.stop();
    }
  });

  test('Q2 a broken TLS handshake: under may the message goes over a new plaintext connection; under encrypt 4.7.5', async () => {
    const broken = await startPeer({ tlsBroken: true });
    try {
      const res = await h.transport.deliver(message(), rcpts('a@dest.test'), channel({ port: broken.port }));
      assert.deepEqual(summary(res), ['delivered 2.0.0']);
      assert.equal(broken.sessions.length, 2);
      assert.ok(broken.sessions[0].commands.includes('STARTTLS'));
      assert.ok(!broken.sessions[1].commands.includes('STARTTLS'), 'the second connection does not try TLS');
      assert.equal(broken.sessions[1].messages.length, 1);
      const enc = await h.transport.deliver(message(), rcpts('a@dest.test'), channel({ port: broken.port, tls: 'encrypt' }, 'enc'));
      assert.deepEqual(summary(enc), ['deferred 4.7.5']);
      assert.match(enc[0].diagnostic, /Cannot start TLS with mx\.dest\.test: handshake failure/);
      assert.equal(broken.sessions.length, 3, 'no plaintext retry under encrypt');
    } finally {
      await broken.stop();
    }
  });

  test('Q3 AUTH PLAIN to a relay host over STARTTLS, the password read from its file; LOGIN when only LOGIN is offered', async () => {
    const file = join(dir, 'pw');
    writeFileSync(file, 's3cret\n');
    const seen: Array<[string, string]> = [];
    const opts = (methods: string[]) => ({
      disabledCommands: [] as string[],
      authMethods: methods,
      onAuth(auth: SMTPServerAuthentication, _s: unknown, cb: (e: Error | null, r?: { user: string }) => void) {
        seen.push([auth.method, `${auth.username}:${auth.password}`]);
        if (auth.password === 's3cret') cb(null, { user: auth.username! });
        else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
    });
    const plainSink = await startSink({ ...(await selfSigned()), ...opts(['PLAIN', 'LOGIN']) });
    const loginSink = await startSink({ ...(await selfSigned()), ...opts(['LOGIN']) });
    try {
      const ch = (port: number, name: string) => channel({ relayHost: `[smarthost.test]:${port}`, auth: { user: 'relay-user', passwordFile: file } }, name);
      assert.deepEqual(summary(await h.transport.deliver(message(), rcpts('x@anywhere.test'), ch(plainSink.port, 'sh1'))), ['delivered 2.0.0']);
      assert.equal(plainSink.messages[0].user, 'relay-user');
      assert.equal(plainSink.messages[0].secure, true);
      assert.deepEqual(summary(await h.transport.deliver(message(), rcpts('x@anywhere.test'), ch(loginSink.port, 'sh2'))), ['delivered 2.0.0']);
      assert.deepEqual(seen, [
        ['PLAIN', 'relay-user:s3cret'],
        ['LOGIN', 'relay-user:s3cret'],
      ]);
      assert.ok(!h.dns.queries.some((q) => q.name === 'anywhere.test'), 'a relay host means no MX lookup of the recipient domain');
      // A wrong password: deferred, the peer's reply as diagnostic (Postfix smtp_sasl_auth_soft_bounce).
      writeFileSync(file, 'wrong\n');
      const bad = await h.transport.deliver(message(), rcpts('x@anywhere.test'), ch(plainSink.port, 'sh3'));
      assert.deepEqual(summary(bad), ['deferred 4.7.8']);
      assert.match(bad[0].diagnostic, /^535 /);
      assert.equal(bad[0].fromPeer, true);
      assert.equal(bad[0].remoteMta, 'smarthost.test');
    } finally {
      await plainSink.stop();
      await loginSink.stop();
    }
  });

  test('Q3 AUTH problems are temporary with a clear reason: no password file (4.3.5 naming the key), no TLS (4.7.10)', async () => {
    const sink = await startSink({ ...(await selfSigned()), disabledCommands: [], authMethods: ['PLAIN'], onAuth: (_a, _s, cb) => cb(null, { user: 'u' }) });
    try {
      const missing = await h.transport.deliver(message(), rcpts('x@anywhere.test'), channel({ relayHost: `[smarthost.test]:${sink.port}`, auth: { user: 'u', passwordFile: join(dir, 'absent') } }, 'relay'));
      assert.deepEqual(summary(missing), ['deferred 4.3.5']);
      assert.match(missing[0].diagnostic, /cannot read channels\.relay\.auth\.passwordFile ".*absent": ENOENT/);
      const clear = await h.transport.deliver(message(), rcpts('x@anywhere.test'), channel({ relayHost: `[smarthost.test]:${sink.port}`, tls: 'none', auth: { user: 'u', passwordFile: join(dir, 'absent') } }, 'relay2'));
      assert.deepEqual(summary(clear), ['deferred 4.7.10']);
      assert.match(clear[0].diagnostic, /not sending the password for channels\.relay2\.auth without TLS/);
      assert.equal(sink.messages.length, 0);
    } finally {
      await sink.stop();
    }
  });
});
