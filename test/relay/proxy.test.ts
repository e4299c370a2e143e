// R1 PROXY protocol (v1 and v2) on listeners behind a load balancer: the header
// from a trusted source gives the real client address, used by connection
// limits, access lists, relay policy, the Received header and logs; a missing,
// late or bad header closes the connection; untrusted sources cannot use it.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { start, listeners, mailbox, splitDelivered, sleep, USERS, type TestServer } from '../protocol/support.js';
import { runCli } from '../helpers/cli.js';
import { SmtpClient, codes } from '../helpers/smtp-client.js';
import { until } from '../helpers/until.js';

const ALICE = USERS.alice;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const PROXIED = { proxyProtocol: { trusted: ['127.0.0.1'], timeoutMs: 400 } };

function v2(src: string, dst: string, sport: number, dport: number): Buffer {
  const v6 = src.includes(':');
  const addr = (ip: string) => (v6 ? Buffer.from(expand6(ip), 'hex') : Buffer.from(ip.split('.').map(Number)));
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sport, 0);
  ports.writeUInt16BE(dport, 2);
  const body = Buffer.concat([addr(src), addr(dst), ports]);
  const head = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, v6 ? 0x21 : 0x11, 0, body.length]);
  return Buffer.concat([head, body]);
}
function expand6(ip: string): string {
  const [l, r] = ip.split('::');
  const left = l ? l.split(':') : [];
  const right = r !== undefined && r !== '' ? r.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((g) => g.padStart(4, '0')).join('');
}

async function proxied(port: number, header: string | Buffer): Promise<SmtpClient> {
  const c = await SmtpClient.connect(port);
  c.write(header);
  return c;
}

async function sendMessage(c: SmtpClient, from: string, to: string): Promise<string> {
  assert.equal((await c.cmd('EHLO client.test')).code, 250);
  assert.equal(codes(await c.cmd(`MAIL FROM:<${from}>`)), '250 2.1.0');
  const rcpt = await c.cmd(`RCPT TO:<${to}>`);
  if (rcpt.code !== 250) return codes(rcpt);
  assert.equal((await c.cmd('DATA')).code, 354);
  return codes(await c.cmd('Subject: proxied\r\n\r\nhello\r\n.'));
}

function connLog(ts: TestServer, client: string): Record<string, unknown> | undefined {
  return ts.logs.find((l) => l.event === 'connection' && l.client === client);
}

describe('R1 PROXY protocol', { timeout: 120_000 }, () => {
  test('v1: the real client is used for relay policy, Received and logs (raw client)', async () => {
    const ts = await start({ listeners: listeners({ mx: PROXIED }), relay: { lanNetworks: ['198.51.100.0/24'] } });
    try {
      const c = await proxied(ts.ports.mx, 'PROXY TCP4 203.0.113.9 192.0.2.25 40000 25\r\n');
      try {
        assert.equal((await c.reply()).code, 220);
        assert.equal(await sendMessage(c, 'sender@client.test', ALICE.address), '250 2.0.0');
        assert.equal(codes(await c.cmd('MAIL FROM:<sender@client.test>')), '250 2.1.0');
        assert.equal(codes(await c.cmd('RCPT TO:<victim@remote.test>')), '554 5.7.1', '203.0.113.9 is not in the LAN');
        await c.cmd('QUIT');
      } finally {
        c.close();
      }
      const lan = await proxied(ts.ports.mx, 'PROXY TCP4 198.51.100.7 192.0.2.25 40001 25\r\n');
      try {
        assert.equal((await lan.reply()).code, 220);
        assert.equal(await sendMessage(lan, 'app@client.test', 'someone@remote.test'), '250 2.0.0', '198.51.100.7 is in the LAN: relay');
        await lan.cmd('QUIT');
      } finally {
        lan.close();
      }
      const files = await mailbox(ts, ALICE.address, 1);
      assert.match(splitDelivered(files[0]).received, /^Received: from client\.test \(\[203\.0\.113\.9\]\)/);
      await until('the connection line', () => Boolean(connLog(ts, '203.0.113.9')));
      const log = connLog(ts, '203.0.113.9');
      assert.ok(log, 'connection logged with the real client');
      assert.equal(log.port, 40000);
      assert.ok(ts.logs.some((l) => l.event === 'proxy' && l.client === '203.0.113.9' && l.proxy === '127.0.0.1'));
      assert.ok(!ts.logs.some((l) => l.event === 'queued' && l.client === '127.0.0.1'));
    } finally {
      await ts.stop();
    }
  });

  test('the deny list and the per-address connection limit apply to the real client', async () => {
    const ts = await start({ listeners: listeners({ mx: PROXIED }), limits: { maxConnectionsPerIp: 1 } });
    try {
      await ts.server.access.add('deny', '203.0.113.66', { reason: 'behind the balancer' });
      const denied = await proxied(ts.ports.mx, 'PROXY TCP4 203.0.113.66 192.0.2.25 1 25\r\n');
      try {
        assert.equal(codes(await denied.reply()), '554 5.7.1');
        await denied.waitClosed(3000);
      } finally {
        denied.close();
      }
      // Two clients behind the same proxy each get their own slot; the same client twice does not.
      const a = await proxied(ts.ports.mx, 'PROXY TCP4 203.0.113.1 192.0.2.25 1 25\r\n');
      const b = await proxied(ts.ports.mx, 'PROXY TCP4 203.0.113.2 192.0.2.25 1 25\r\n');
      try {
        assert.equal((await a.reply()).code, 220);
        assert.equal((await b.reply()).code, 220);
        const a2 = await proxied(ts.ports.mx, 'PROXY TCP4 203.0.113.1 192.0.2.25 2 25\r\n');
        try {
          assert.equal(codes(await a2.reply()), '421 4.7.0');
        } finally {
          a2.close();
        }
      } finally {
        a.close();
        b.close();
      }
    } finally {
      await ts.stop();
    }
  });

  test('a header split across TCP segments; the first command in the same segment as the header end', async () => {
    const ts = await start({ listeners: listeners({ mx: PROXIED }) });
    try {
      const c = await SmtpClient.connect(ts.ports.mx);
      try {
        const hdr = 'PROXY TCP6 2001:db8::77 2001:db8::1 5555 25\r\n';
        for (let i = 0; i < hdr.length - 2; i += 4) {
          c.write(hdr.slice(i, Math.min(i + 4, hdr.length - 2)));
          await sleep(5);
        }
        assert.equal(c.pending, '', 'no greeting before the header is complete');
        c.write('\r\nNOOP\r\n'); // header end and a pipelined early command
        const greet = await c.reply();
        assert.equal(greet.code, 220);
        assert.equal(codes(await c.reply()), '250 2.0.0', 'the NOOP after the header was kept');
        await c.cmd('QUIT');
      } finally {
        c.close();
      }
      await until('the connection line', () => Boolean(connLog(ts, '2001:db8::77')));
      assert.ok(connLog(ts, '2001:db8::77'));
    } finally {
      await ts.stop();
    }
  });

  test('missing, late or malformed header from a trusted source: closed without a word', async () => {
    const ts = await start({ listeners: listeners({ mx: PROXIED, submissions: PROXIED }) });
    try {
      for (const [what, data] of [
        ['SMTP instead of a header', 'EHLO client.test\r\n'],
        ['malformed v1', 'PROXY TCP4 203.0.113.9 nonsense 1 25\r\n'],
        ['v1 without CRLF within 107 octets', `PROXY TCP4 ${'9'.repeat(120)}`],
        ['nothing at all (timeout)', ''],
        ['half a header (timeout)', 'PROXY TCP4 203.0.113.9'],
      ] as const) {
        const c = await SmtpClient.connect(ts.ports.mx);
        try {
          if (data) c.write(data);
          await c.waitClosed(3000);
          assert.equal(c.pending, '', `${what}: nothing was sent`);
        } finally {
          c.close();
        }
      }
      const t = await SmtpClient.connect(ts.ports.submissions);
      try {
        t.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])); // a TLS record instead of a header
        await t.waitClosed(3000);
        assert.equal(t.pending, '');
      } finally {
        t.close();
      }
      const drops = ts.logs.filter((l) => l.check === 'connect.proxyProtocol');
      assert.equal(drops.length, 6);
      assert.ok(drops.every((d) => d.feature === 'R1' && d.action === 'drop'));
    } finally {
      await ts.stop();
    }
  });

  test('v2 (TCP over IPv6) before implicit TLS on submissions: AUTH, relay, Received with the real client', async () => {
    const ts = await start({ listeners: listeners({ submissions: PROXIED }), delivery: { hold: false } });
    try {
      const c = await SmtpClient.connect(ts.ports.submissions);
      try {
        c.write(v2('2001:db8:aa::9', '2001:db8::1', 61000, 465));
        await c.startTls();
        assert.equal((await c.reply()).code, 220);
        assert.equal((await c.cmd('EHLO mua.client.test')).code, 250);
        assert.equal(codes(await c.cmd(`AUTH PLAIN ${b64(`\0${ALICE.address}\0${ALICE.password}`)}`)), '235 2.7.0');
        assert.equal(await sendMessage(c, ALICE.address, USERS.bob.address), '250 2.0.0');
        await c.cmd('QUIT');
      } finally {
        c.close();
      }
      const files = await mailbox(ts, USERS.bob.address, 1);
      assert.match(splitDelivered(files[0]).received, /^Received: from client\.test \(\[IPv6:2001:db8:aa::9\]\)\r\n\tby mx\.rampart\.test \(using TLSv1\.[23] .* with ESMTPSA /);
    } finally {
      await ts.stop();
    }
  });

  test('v2 TCP4 then STARTTLS on mx; v2 LOCAL (health check) is the proxy itself', async () => {
    const ts = await start({ listeners: listeners({ mx: PROXIED }) });
    try {
      const c = await SmtpClient.connect(ts.ports.mx);
      try {
        c.write(v2('198.51.100.200', '192.0.2.25', 33333, 25));
        assert.equal((await c.reply()).code, 220);
        assert.equal((await c.cmd('EHLO client.test')).code, 250);
        assert.equal(codes(await c.cmd('STARTTLS')), '220 2.0.0');
        await c.startTls();
        assert.equal(await sendMessage(c, 'sender@client.test', ALICE.address), '250 2.0.0');
      } finally {
        c.close();
      }
      const local = await SmtpClient.connect(ts.ports.mx);
      try {
        local.write(Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0, 0]));
        assert.equal((await local.reply()).code, 220);
        assert.equal(codes(await local.cmd('QUIT')), '221 2.0.0');
      } finally {
        local.close();
      }
      const files = await mailbox(ts, ALICE.address, 1);
      assert.match(splitDelivered(files[0]).received, /\(\[198\.51\.100\.200\]\)/);
      await until('the connection line', () => Boolean(connLog(ts, '127.0.0.1')));
      assert.ok(connLog(ts, '127.0.0.1'), 'the health check is logged as the proxy');
    } finally {
      await ts.stop();
    }
  });

  test('an untrusted source on a PROXY listener is served directly and cannot claim another address', async () => {
    const ts = await start({ listeners: listeners({ mx: { proxyProtocol: { trusted: ['192.0.2.1'] } } }) });
    try {
      const c = await SmtpClient.connect(ts.ports.mx);
      try {
        assert.equal((await c.reply()).code, 220, 'no header expected from 127.0.0.1');
        assert.equal(codes(await c.cmd('PROXY TCP4 198.51.100.1 192.0.2.25 1 25')), '500 5.5.1');
        await c.cmd('QUIT');
      } finally {
        c.close();
      }
      await until('the connection line', () => Boolean(connLog(ts, '127.0.0.1')));
      assert.ok(connLog(ts, '127.0.0.1'));
      assert.ok(!connLog(ts, '198.51.100.1'));
    } finally {
      await ts.stop();
    }
  });

  test('config: a trusted proxy inside relay.lanNetworks is warned about at start and by `config check`; too wide networks are refused', async () => {
    const ts = await start({ listeners: listeners({ mx: PROXIED }), relay: { lanNetworks: ['127.0.0.0/8'] } });
    try {
      const w = ts.logs.find((l) => l.event === 'config' && typeof l.warning === 'string');
      assert.ok(w, 'warning logged');
      assert.match(String(w.warning), /^listeners\.0\.proxyProtocol\.trusted\.0: 127\.0\.0\.1\/32 .* inside relay\.lanNetworks \(127\.0\.0\.0\/8\)/);
      const file = join(ts.dataDir, 'warn.yaml');
      const base = { hostname: 'mx.example', dataDir: ts.dataDir, listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0, proxyProtocol: { trusted: ['127.0.0.1'] } }] };
      writeFileSync(file, stringify(base));
      const check = async (): Promise<{ code: number; out: string }> => {
        const r = await runCli(['config', 'check'], { config: file });
        return { code: r.code, out: r.stdout + r.stderr };
      };
      const ok = await check();
      assert.equal(ok.code, 0, ok.out);
      assert.match(ok.out, /^warning: listeners\.0\.proxyProtocol\.trusted\.0: 127\.0\.0\.1\/32 /m, 'default LAN contains 127.0.0.1');
      for (const [key, value, msg] of [
        ['lanNetworks', ['0.0.0.0/0'], /relay\.lanNetworks\.0: 0\.0\.0\.0\/0 is too wide/],
        ['lanNetworks', ['192.0.2.0/24', '::/0'], /relay\.lanNetworks\.1: ::\/0 is too wide/],
        ['lanNetworks', ['10.0.0.0/7'], /relay\.lanNetworks\.0: 10\.0\.0\.0\/7 is too wide/],
        ['privilegedNetworks', ['2000::/3'], /relay\.privilegedNetworks\.0: 2000::\/3 is too wide/],
        ['lanNetworks', ['everybody'], /relay\.lanNetworks\.0: "everybody" is not an IP address/],
      ] as const) {
        writeFileSync(file, stringify({ ...base, relay: { [key]: value } }));
        const bad = await check();
        assert.equal(bad.code, 2, bad.out);
        assert.match(bad.out, msg);
      }
      writeFileSync(file, stringify({ ...base, listeners: [{ ...base.listeners[0], proxyProtocol: { trusted: ['0.0.0.0/0'] } }] }));
      assert.match((await check()).out, /listeners\.0\.proxyProtocol\.trusted\.0: 0\.0\.0\.0\/0 is too wide/);
      writeFileSync(file, stringify({ ...base, policy: { warn: ['rcpt.relay'] } }));
      assert.match((await check()).out, /policy\.warn\.0: rcpt\.relay cannot run in warn mode/);
    } finally {
      await ts.stop();
    }
  });
});
