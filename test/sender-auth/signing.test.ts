// A8 DKIM signing end to end: a key made with `rampart dkim generate` (in-process
// CLI) and published on the loopback DNS server; an authenticated submission sent
// with nodemailer is signed before queueing and its DKIM-Signature, as delivered to
// the Maildir, verifies with mailauth (resolving through node:dns, independent of
// our resolver); From is oversigned; a large message (read back from the spool) is
// signed too; mail relayed from the LAN is signed; an account never gets another
// domain's signature; a signing failure is 451 4.3.0 (our fault), and warn mode.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { dkimVerify } from 'mailauth';
import { runCli } from '../helpers/cli.js';
import { ehloClient, codes } from '../helpers/smtp-client.js';
import { authDns, startAuth, decisions, fields, mailbox, message, USERS, type AuthDns, type TestServer } from './support.js';

const ALICE = USERS.alice.address;
const BOB = USERS.bob.address;
let d: AuthDns;
let verifier: Resolver;

before(async () => {
  d = await authDns();
  verifier = new Resolver();
  verifier.setServers([d.dns.server]);
});
after(() => d.dns.stop());

/** `rampart dkim generate` for the server's data directory; publishes the printed record. */
async function generate(ts: TestServer, domain: string, selector: string, algorithm = 'rsa-2048'): Promise<void> {
  const cfg = join(ts.dataDir, 'cli.yaml');
  writeFileSync(cfg, `dataDir: ${JSON.stringify(ts.dataDir)}\nlisteners:\n  - { name: mx, kind: mx, addresses: ["127.0.0.1"], port: 25250 }\n`);
  const r = await runCli(['dkim', 'generate', domain, '--selector', selector, '--algorithm', algorithm], { config: cfg });
  assert.equal(r.code, 0, r.stderr);
  const strings = [...r.stdout.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  assert.ok(strings.length > 0, r.stdout);
  d.dns.zone.records[`${selector}._domainkey.${domain}`] = [{ type: 'TXT', data: strings }];
}

async function verify(file: string): Promise<Array<{ result: string; domain: string; fields: string[] }>> {
  const r = await dkimVerify(Buffer.from(file, 'latin1'), { resolver: ((name: string, type: string) => verifier.resolve(name, type)) as never });
  return r.results.map((x) => ({ result: x.status.result, domain: x.signingDomain, fields: String((x as { signingHeaders?: { keys?: string } }).signingHeaders?.keys ?? '').split(': ') }));
}

async function submit(ts: TestServer, from: string, subject: string, text = 'Hello Bob.\r\n') {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: ts.ports.submission, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: ALICE, pass: USERS.alice.password }, name: 'mua.client.test', connectionTimeout: 5000, socketTimeout: 10000 });
  try {
    return await t.sendMail({ envelope: { from: ALICE, to: [BOB] }, from, to: BOB, subject, text });
  } finally {
    t.close();
  }
}

describe('A8 DKIM signing', { timeout: 90_000 }, () => {
  test('A8 nodemailer submission: signed before queueing, verified by mailauth as delivered, From oversigned; a 300 KB message too', async () => {
    const ts = await startAuth(d);
    try {
      await generate(ts, 'example.test', 'sub1');
      await submit(ts, `Alice <${ALICE}>`, 'signed submission');
      await submit(ts, ALICE, 'large signed submission', `${'line of a long message body. '.repeat(3)}\r\n`.repeat(4000));
      const files = await mailbox(ts, BOB, 2);
      assert.equal(files.length, 2);
      for (const f of files) {
        const sigs = fields(f, 'DKIM-Signature');
        assert.equal(sigs.length, 1, 'one signature');
        assert.match(sigs[0], /^v=1; a=rsa-sha256; c=relaxed\/relaxed; d=example\.test;.* s=sub1;/);
        const h = /h=([^;]+);/.exec(sigs[0])![1].replace(/\s+/g, '').toLowerCase().split(':');
        assert.equal(h.filter((x) => x === 'from').length, 2, 'From is listed once more than present (oversigned)');
        assert.ok(h.includes('subject') && h.includes('date') && h.includes('message-id') && h.includes('to'), h.join(':'));
        assert.ok(!h.includes('received'), 'trace fields are not signed');
        const [v] = await verify(f);
        assert.deepEqual([v.result, v.domain], ['pass', 'example.test']);
        assert.deepEqual(fields(f, 'Authentication-Results'), [], 'our own mail is not verified');
      }
      assert.ok(files.some((f) => f.length > 300_000), 'the large one was read back from its spool file');
    } finally {
      await ts.stop();
    }
  });

  test('A8 mail relayed from the LAN is signed (ed25519); an account never gets another domain\'s signature', async () => {
    const ts = await startAuth(d, { relay: { lanNetworks: ['127.0.0.1/32'] } });
    try {
      await generate(ts, 'example.test', 'ed1', 'ed25519');
      await generate(ts, 'good.test', 'g1');
      const { c } = await ehloClient(ts.ports.mx, 'app.lan.test');
      assert.equal(codes(await c.cmd('MAIL FROM:<app@good.test>')), '250 2.1.0');
      assert.equal(codes(await c.cmd(`RCPT TO:<${ALICE}>`)), '250 2.1.5');
      assert.equal(codes(await c.cmd('DATA')), '354 -');
      c.write(message({ from: 'App <app@good.test>', to: ALICE, subject: 'from the lan' }) + '.\r\n');
      assert.equal(codes(await c.reply()), '250 2.0.0');
      c.close();
      const [lanFile] = await mailbox(ts, ALICE, 1);
      const [v] = await verify(lanFile);
      assert.deepEqual([v.result, v.domain], ['pass', 'good.test']);

      await submit(ts, 'Boss <boss@good.test>', 'not my domain');
      const [foreign] = await mailbox(ts, BOB, 1);
      assert.deepEqual(fields(foreign, 'DKIM-Signature'), []);
      assert.ok(ts.logs.some((l) => l.event === 'dkim-sign' && l.fromDomain === 'good.test' && l.authUser === ALICE));
    } finally {
      await ts.stop();
    }
  });

  test('A8 a key that cannot be used: 451 4.3.0 at end of data (fault server); in warn mode the message goes unsigned', async () => {
    for (const warn of [false, true]) {
      const ts = await startAuth(d, { policy: { warn: warn ? ['eod.dkimSign'] : [] } });
      try {
        await generate(ts, 'example.test', 'bad1');
        const dir = join(ts.dataDir, 'dkim', 'example.test');
        for (const f of readdirSync(dir)) if (f.endsWith('.pem')) writeFileSync(join(dir, f), 'not a key\n');
        const { c } = await ehloClient(ts.ports.submission, 'mua.client.test');
        assert.equal((await c.cmd('STARTTLS')).code, 220);
        await c.startTls();
        assert.equal(codes(await c.cmd('EHLO mua.client.test')), '250 -');
        assert.equal(codes(await c.cmd(`AUTH PLAIN ${Buffer.from(`\0${ALICE}\0${USERS.alice.password}`).toString('base64')}`)), '235 2.7.0');
        assert.equal(codes(await c.cmd(`MAIL FROM:<${ALICE}>`)), '250 2.1.0');
        assert.equal(codes(await c.cmd(`RCPT TO:<${BOB}>`)), '250 2.1.5');
        assert.equal(codes(await c.cmd('DATA')), '354 -');
        c.write(message({ from: ALICE, to: BOB, subject: `bad key ${warn}` }) + '.\r\n');
        assert.equal(codes(await c.reply()), warn ? '250 2.0.0' : '451 4.3.0');
        c.close();
        const [line] = decisions(ts, 'eod.dkimSign');
        assert.deepEqual([line.code, line.enhanced, line.fault, line.warn], [451, '4.3.0', 'server', warn || undefined]);
        const files = await mailbox(ts, BOB, warn ? 1 : 0);
        assert.equal(files.length, warn ? 1 : 0);
        if (warn) assert.deepEqual(fields(files[0], 'DKIM-Signature'), []);
      } finally {
        await ts.stop();
      }
    }
  });
});
