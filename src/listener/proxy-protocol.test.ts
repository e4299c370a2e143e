import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { parseProxyHeader, readProxyHeader, V2_SIGNATURE, type ProxyParse } from './proxy-protocol.js';

const v1 = (s: string) => Buffer.from(s, 'latin1');

function v2(verCmd: number, fam: number, body: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([V2_SIGNATURE, Buffer.from([verCmd, fam]), len, body]);
}
function v2tcp4(src: number[], dst: number[], sport: number, dport: number, tlv = Buffer.alloc(0)): Buffer {
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sport, 0);
  ports.writeUInt16BE(dport, 2);
  return v2(0x21, 0x11, Buffer.concat([Buffer.from(src), Buffer.from(dst), ports, tlv]));
}
function v2tcp6(src: string, dst: string, sport: number, dport: number): Buffer {
  const addr = (hex: string) => Buffer.from(hex.replace(/:/g, ''), 'hex');
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sport, 0);
  ports.writeUInt16BE(dport, 2);
  return v2(0x21, 0x21, Buffer.concat([addr(src), addr(dst), ports]));
}

type Want = { source?: string; port?: number; dest?: string; command?: 'proxy' | 'local'; family?: string; version: 1 | 2 } | 'error' | 'incomplete';

const cases: Array<[string, Buffer, Want]> = [
  ['v1 TCP4', v1('PROXY TCP4 198.51.100.22 203.0.113.7 35646 25\r\n'), { version: 1, source: '198.51.100.22', port: 35646, dest: '203.0.113.7', family: 'tcp4' }],
  ['v1 TCP6', v1('PROXY TCP6 2001:DB8::22 2001:db8::1 65535 587\r\n'), { version: 1, source: '2001:db8::22', port: 65535, dest: '2001:db8::1', family: 'tcp6' }],
  ['v1 UNKNOWN (addresses ignored)', v1('PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n'), { version: 1, family: 'unknown' }],
  ['v1 UNKNOWN, short form', v1('PROXY UNKNOWN\r\n'), { version: 1, family: 'unknown' }],
  ['v1 port 0', v1('PROXY TCP4 198.51.100.22 203.0.113.7 0 25\r\n'), { version: 1, source: '198.51.100.22', port: 0 }],
  ['v1 partial line', v1('PROXY TCP4 198.51.100.22 203.0.11'), 'incomplete'],
  ['v1 partial prefix', v1('PRO'), 'incomplete'],
  ['v1 without CR', v1('PROXY TCP4 198.51.100.22 203.0.113.7 35646 25\n'), 'error'],
  ['v1 too long without LF', v1('PROXY TCP4 ' + '1'.repeat(100)), 'error'],
  ['v1 lower-case keyword', v1('proxy TCP4 198.51.100.22 203.0.113.7 35646 25\r\n'), 'error'],
  ['v1 wrong family for the address', v1('PROXY TCP4 2001:db8::1 203.0.113.7 35646 25\r\n'), 'error'],
  ['v1 IPv6 in TCP6 with IPv4 dest', v1('PROXY TCP6 2001:db8::1 203.0.113.7 35646 25\r\n'), 'error'],
  ['v1 port too big', v1('PROXY TCP4 198.51.100.22 203.0.113.7 65536 25\r\n'), 'error'],
  ['v1 port with leading zero', v1('PROXY TCP4 198.51.100.22 203.0.113.7 025 25\r\n'), 'error'],
  ['v1 double space', v1('PROXY TCP4  198.51.100.22 203.0.113.7 35646 25\r\n'), 'error'],
  ['v1 missing field', v1('PROXY TCP4 198.51.100.22 203.0.113.7 35646\r\n'), 'error'],
  ['v1 UDP4 is not TCP', v1('PROXY UDP4 198.51.100.22 203.0.113.7 35646 25\r\n'), 'error'],
  ['v1 loose IPv4 form', v1('PROXY TCP4 198.51.100 203.0.113.7 35646 25\r\n'), 'error'],
  ['v1 zone index', v1('PROXY TCP6 fe80::1%eth0 2001:db8::1 1 25\r\n'), 'error'],
  ['v1 8-bit byte', Buffer.concat([v1('PROXY TCP4 198.51.100.22 203.0.113.7 35646 25'), Buffer.from([0xff]), v1('\r\n')]), 'error'],
  ['an SMTP command instead', v1('EHLO client.example\r\n'), 'error'],
  ['TLS ClientHello instead', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5]), 'error'],
  ['v2 TCP4', v2tcp4([198, 51, 100, 22], [203, 0, 113, 7], 35646, 25), { version: 2, source: '198.51.100.22', port: 35646, dest: '203.0.113.7', family: 'tcp4' }],
  ['v2 TCP4 with TLVs', v2tcp4([198, 51, 100, 22], [203, 0, 113, 7], 1, 2, Buffer.from([0x04, 0x00, 0x02, 0x41, 0x42])), { version: 2, source: '198.51.100.22', port: 1 }],
  ['v2 TCP6', v2tcp6('2001:0db8:0000:0000:0000:0000:0000:0022', '2001:0db8:0000:0000:0000:0000:0000:0001', 40000, 465), { version: 2, source: '2001:db8::22', port: 40000, dest: '2001:db8::1', family: 'tcp6' }],
  ['v2 TCP6 IPv4-mapped', v2tcp6('0000:0000:0000:0000:0000:ffff:c633:6416', '0000:0000:0000:0000:0000:0000:0000:0001', 5, 25), { version: 2, source: '::ffff:c633:6416', port: 5 }],
  ['v2 LOCAL (health check)', v2(0x20, 0x00, Buffer.alloc(0)), { version: 2, command: 'local', family: 'unknown' }],
  ['v2 LOCAL with an address block (ignored)', v2(0x20, 0x11, Buffer.alloc(12)), { version: 2, command: 'local', family: 'unknown' }],
  ['v2 PROXY UNSPEC', v2(0x21, 0x00, Buffer.alloc(0)), { version: 2, command: 'proxy', family: 'unknown' }],
  ['v2 version 1 in the v2 format', v2(0x11, 0x11, Buffer.alloc(12)), 'error'],
  ['v2 command 2', v2(0x22, 0x11, Buffer.alloc(12)), 'error'],
  ['v2 UDP over IPv4', v2(0x21, 0x12, Buffer.alloc(12)), 'error'],
  ['v2 UNIX stream', v2(0x21, 0x31, Buffer.alloc(216)), 'error'],
  ['v2 TCP4 block too short', v2(0x21, 0x11, Buffer.alloc(8)), 'error'],
  ['v2 TCP6 block too short', v2(0x21, 0x21, Buffer.alloc(20)), 'error'],
  ['v2 length beyond the limit', Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x11, 0xff, 0xff])]), 'error'],
  ['v2 signature only', V2_SIGNATURE, 'incomplete'],
  ['v2 broken signature', Buffer.concat([V2_SIGNATURE.subarray(0, 6), Buffer.from('QUIT\r\n')]), 'error'],
  ['v2 header without its address block yet', v2tcp4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2).subarray(0, 20), 'incomplete'],
  ['empty', Buffer.alloc(0), 'incomplete'],
];

function check(name: string, p: ProxyParse, want: Want, total: number) {
  if (want === 'error' || want === 'incomplete') return assert.equal(p.status, want, `${name}: ${JSON.stringify(p)}`);
  assert.equal(p.status, 'ok', `${name}: ${JSON.stringify(p)}`);
  if (p.status !== 'ok') return;
  const h = p.header;
  assert.equal(h.version, want.version, name);
  assert.equal(h.length, total, `${name}: consumed the whole header`);
  assert.equal(h.command, want.command ?? 'proxy', name);
  if (want.family) assert.equal(h.family, want.family, name);
  if (want.source) assert.equal(h.source?.address, want.source, name);
  if (want.port !== undefined) assert.equal(h.source?.port, want.port, name);
  if (want.dest) assert.equal(h.destination?.address, want.dest, name);
  if (h.family === 'unknown') assert.equal(h.source, undefined, name);
}

for (const [name, buf, want] of cases) {
  test(`PROXY header: ${name}`, () => {
    check(name, parseProxyHeader(buf), want, buf.length);
    if (typeof want === 'object') {
      // Followed by the client's own bytes: those are not part of the header.
      const more = Buffer.concat([buf, v1('EHLO x\r\n')]);
      check(name, parseProxyHeader(more), want, buf.length);
      // Every split point: the first part is incomplete, never an error or a wrong answer.
      for (let i = 0; i < buf.length; i++) assert.equal(parseProxyHeader(buf.subarray(0, i)).status, 'incomplete', `${name}: prefix of ${i} octets`);
    }
  });
}

async function pair(): Promise<{ server: Socket; client: Socket; close(): void }> {
  return new Promise((resolve) => {
    const srv = createServer({ pauseOnConnect: false }, (server) => {
      resolve({ server, client, close: () => (server.destroy(), client.destroy(), srv.close()) });
    });
    let client: Socket;
    srv.listen(0, '127.0.0.1', () => {
      client = connect((srv.address() as { port: number }).port, '127.0.0.1');
    });
  });
}

test('readProxyHeader: a header split over many TCP writes; what follows it stays in the socket', async () => {
  const p = await pair();
  try {
    const hdr = v2tcp4([198, 51, 100, 22], [203, 0, 113, 7], 4242, 25);
    const pending = readProxyHeader(p.server, 5000);
    for (let i = 0; i < hdr.length; i += 3) {
      p.client.write(hdr.subarray(i, i + 3));
      await new Promise((r) => setTimeout(r, 5));
    }
    p.client.write('EHLO early.talker\r\n');
    const r = await pending;
    assert.ok(r.ok);
    assert.equal(r.header.source?.address, '198.51.100.22');
    assert.equal(r.header.source?.port, 4242);
    const rest = await new Promise<string>((resolve) => {
      let got = '';
      p.server.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.endsWith('\r\n')) resolve(got);
      });
      p.server.resume();
    });
    assert.equal(rest, 'EHLO early.talker\r\n');
  } finally {
    p.close();
  }
});

test('readProxyHeader: v1 and the first command in one segment', async () => {
  const p = await pair();
  try {
    const pending = readProxyHeader(p.server, 5000);
    p.client.write('PROXY TCP6 2001:db8::9 2001:db8::1 1234 25\r\nQUIT\r\n');
    const r = await pending;
    assert.ok(r.ok);
    assert.equal(r.header.source?.address, '2001:db8::9');
    assert.equal(p.server.read()?.toString(), 'QUIT\r\n');
  } finally {
    p.close();
  }
});

test('readProxyHeader: garbage, a timeout and an early close are errors', async () => {
  for (const [what, act, timeout] of [
    ['garbage', (c: Socket) => c.write('EHLO no.header\r\n'), 5000],
    ['timeout', (c: Socket) => c.write('PROXY TCP4 1.2.3.4'), 150],
    ['close', (c: Socket) => c.end('PROXY TCP4'), 5000],
  ] as const) {
    const p = await pair();
    try {
      const pending = readProxyHeader(p.server, timeout);
      act(p.client);
      const r = await pending;
      assert.equal(r.ok, false, what);
    } finally {
      p.close();
    }
  }
});
