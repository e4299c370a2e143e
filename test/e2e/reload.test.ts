// Defect 9 of issue 9: reload (SIGHUP calls the same function) applies TLS
// certificates (a renewal rewrites the files: new connections get the new
// certificate over STARTTLS and implicit TLS), DNS resolver settings and log.level,
// and names what needs a restart (state.redis) in the log while applying the rest.
// The last test renews a certificate under a real `rampart serve` and sends SIGHUP.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { generate } from 'selfsigned';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { startServer } from '../../src/main.js';
import { startDns } from '../../src/bench/loopback-dns.js';
import { SmtpClient, ehloClient, codes } from '../helpers/smtp-client.js';
import { ProcessServer } from '../helpers/process-server.js';

async function certificate(cn: string): Promise<{ cert: string; key: string }> {
  const p = await generate([{ name: 'commonName', value: cn }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' });
  return { cert: p.cert, key: p.private };
}

/** The CN of the certificate served over implicit TLS and over STARTTLS. */
async function servedNames(ports: Record<string, number>): Promise<{ implicit: string; starttls: string }> {
  const t = await SmtpClient.connect(ports.submissions, { tls: true });
  const implicit = String(t.peerCertificate().subject.CN);
  t.close();
  const { c } = await ehloClient(ports.mx);
  try {
    assert.equal(codes(await c.cmd('STARTTLS')), '220 2.0.0');
    await c.startTls();
    return { implicit, starttls: String(c.peerCertificate().subject.CN) };
  } finally {
    c.close();
  }
}

describe('reload (issue 9, defect 9)', { timeout: 60_000 }, () => {
  test('a renewed certificate, new DNS servers and log.level apply without a restart; state.redis is refused by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-reload-'));
    const dnsA = await startDns({ records: { 'probe.test': [{ type: 'A', data: '192.0.2.1' }] } });
    const dnsB = await startDns({ records: { 'probe.test': [{ type: 'A', data: '192.0.2.2' }] } });
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    const one = await certificate('one.test');
    writeFileSync(certFile, one.cert);
    writeFileSync(keyFile, one.key);
    const configFile = join(dir, 'rampart.yaml');
    const write = (over: Record<string, unknown>) =>
      writeFileSync(
        configFile,
        stringify({
          hostname: 'mx.rampart.test',
          dataDir: './data',
          listeners: [
            { name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0 },
            { name: 'submissions', kind: 'submissions', addresses: ['127.0.0.1'], port: 0 },
          ],
          tls: { cert: 'cert.pem', key: 'key.pem' },
          policy: { senderDomainResolvable: false },
          timeouts: { shutdownMs: 1500 },
          dns: { servers: [dnsA.server], timeoutMs: 500, tries: 1 },
          log: { level: 'info' },
          ...over,
        }),
      );
    write({});
    const logs: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
        cb();
      },
    });
    const snap = loadConfigFile(configFile);
    const server = await startServer(snap, { configPath: configFile, log: createLogger(snap.log.level, sink) });
    try {
      assert.deepEqual(await servedNames(server.ports), { implicit: 'one.test', starttls: 'one.test' });
      assert.deepEqual(await server.dns.a('probe.test'), { kind: 'ok', records: ['192.0.2.1'] });
      const open = await SmtpClient.connect(server.ports.submissions, { tls: true }); // a live session keeps its certificate

      // A renewal: the same files, new content. And a new resolver, a quieter log, another store.
      const two = await certificate('two.test');
      writeFileSync(certFile, two.cert);
      writeFileSync(keyFile, two.key);
      write({ dns: { servers: [dnsB.server], timeoutMs: 500, tries: 1 }, log: { level: 'warn' }, state: { redis: 'redis://127.0.0.1:1' } });
      server.reload();

      assert.equal(String(open.peerCertificate().subject.CN), 'one.test');
      open.close();
      const refused = logs.find((l) => l.event === 'reload' && l.key === 'state.redis');
      assert.ok(refused, 'the refused key is logged by name');
      assert.equal(refused.msg, 'state.redis changed: restart to apply');
      assert.equal(refused.level, 'warn');
      assert.equal(server.config().state.redis, undefined, 'the running store stays in the snapshot');
      const done = logs.find((l) => l.event === 'reload' && l.msg === 'configuration reloaded');
      assert.ok(done, 'the rest was applied');
      assert.equal(done.logLevel, 'warn');

      const mark = logs.length;
      assert.deepEqual(await servedNames(server.ports), { implicit: 'two.test', starttls: 'two.test' });
      assert.deepEqual(await server.dns.a('probe.test'), { kind: 'ok', records: ['192.0.2.2'] });
      assert.ok(dnsB.queries.some((q) => q.name === 'probe.test'), 'asked the new server');
      await new Promise((r) => setTimeout(r, 100)); // the sessions' closing lines
      assert.deepEqual(logs.slice(mark).filter((l) => l.event === 'connection'), [], 'log.level warn: connection lines (info) are no longer written');

      // A broken certificate file is refused by name and the running one kept.
      writeFileSync(certFile, 'not a certificate');
      write({ log: { level: 'info' } });
      server.reload();
      assert.ok(logs.some((l) => l.event === 'reload' && l.key === 'tls' && /^tls\.cert\/tls\.key: /.test(String(l.err))), 'tls refusal named');
      assert.deepEqual(await servedNames(server.ports), { implicit: 'two.test', starttls: 'two.test' });
    } finally {
      await server.stop();
      await dnsA.stop();
      await dnsB.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('SIGHUP to a running `rampart serve`: the renewed certificate is served over STARTTLS to new connections', async () => {
    const ps = await ProcessServer.create({ tls: { cert: 'cert.pem', key: 'key.pem' } });
    const cn = async (): Promise<string> => {
      const { c } = await ehloClient(ps.port);
      try {
        assert.equal(codes(await c.cmd('STARTTLS')), '220 2.0.0');
        await c.startTls();
        return String(c.peerCertificate().subject.CN);
      } finally {
        c.close();
      }
    };
    try {
      const one = await certificate('one.test');
      writeFileSync(join(ps.dir, 'cert.pem'), one.cert);
      writeFileSync(join(ps.dir, 'key.pem'), one.key);
      await ps.start();
      assert.equal(await cn(), 'one.test');
      const two = await certificate('two.test');
      writeFileSync(join(ps.dir, 'cert.pem'), two.cert);
      writeFileSync(join(ps.dir, 'key.pem'), two.key);
      assert.equal(await cn(), 'one.test', 'nothing changes before the signal');
      ps.child!.kill('SIGHUP');
      await ps.waitForOutput('configuration reloaded');
      assert.equal(await cn(), 'two.test');
      assert.equal(await ps.signal('SIGTERM'), 0);
    } finally {
      ps.cleanup();
    }
  });
});
