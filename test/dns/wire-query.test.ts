// Questions asked on the wire (src/dns/wire-query.ts): a truncated UDP reply is asked
// again over TCP; a reply with the wrong ID, from the wrong port or for another
// question is ignored (RFC 5452) and the question times out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as Socket_ } from 'node:net';
import * as packet from 'dns-packet';
import { lookupWithTtl } from '../../src/dns/ttl-lookup.js';
import { parseServer, wireQuery } from '../../src/dns/wire-query.js';

const KEY = ['v=DKIM1; k=rsa; p=', 'A'.repeat(250), 'B'.repeat(250), 'C'.repeat(250)];

/** The TCP side: the full answer. */
function answerTcp(sock: Socket_, state: { tcpQueries: number }): void {
  sock.on('data', (buf) => {
    state.tcpQueries++;
    const q = packet.streamDecode(buf) as packet.DecodedPacket;
    // A copy of KEY: dns-packet turns the strings into buffers in place.
    sock.write(packet.streamEncode({ id: q.id, type: 'response', flags: packet.RECURSION_AVAILABLE, questions: q.questions, answers: [{ name: q.questions![0].name, type: 'TXT', ttl: 300, data: [...KEY] }] }));
  });
}

/** A UDP and a TCP server on one port; `udp` decides the UDP reply (or none). */
async function servers(udp: (q: packet.DecodedPacket, send: (p: packet.Packet) => void) => void): Promise<{ server: string; tcpQueries: number; close(): Promise<void> }> {
  const state = { tcpQueries: 0 };
  // One port for both: a free UDP port whose TCP twin may be taken, so try a few.
  let u: Socket | undefined;
  let t: Server | undefined;
  for (let i = 0; i < 20 && !t; i++) {
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    const tcp = createServer((sock) => answerTcp(sock, state));
    const ok = await new Promise<boolean>((r) => {
      tcp.once('error', () => r(false));
      tcp.listen(udp.address().port, '127.0.0.1', () => r(true));
    });
    if (ok) [u, t] = [udp, tcp];
    else await new Promise<void>((r) => udp.close(() => r()));
  }
  if (!u || !t) throw new Error('no port free for both UDP and TCP');
  const port = u.address().port;
  u.on('message', (msg, rinfo) => {
    const q = packet.decode(msg);
    udp(q, (p) => u.send(packet.encode(p), rinfo.port, rinfo.address));
  });
  return {
    server: `127.0.0.1:${port}`,
    get tcpQueries() {
      return state.tcpQueries;
    },
    close: async () => {
      await new Promise<void>((r) => u!.close(() => r()));
      await new Promise<void>((r) => t!.close(() => r()));
    },
  };
}

test('DNS wire: a truncated UDP reply is asked again over TCP', async () => {
  const s = await servers((q, send) => send({ id: q.id, type: 'response', flags: packet.TRUNCATED_RESPONSE, questions: q.questions, answers: [] }));
  try {
    const r = await lookupWithTtl('big._domainkey.sender.test', 'TXT', { servers: [s.server], timeoutMs: 1000, tries: 1 });
    assert.deepEqual(r, { kind: 'ok', records: [KEY], ttl: 300 });
    assert.equal(s.tcpQueries, 1);
  } finally {
    await s.close();
  }
});

test('DNS wire: replies with another ID or for another question are ignored', async () => {
  for (const forge of [
    (q: packet.DecodedPacket) => ({ id: (q.id! + 1) % 65536, type: 'response' as const, questions: q.questions, answers: [{ name: q.questions![0].name, type: 'A' as const, ttl: 60, data: '198.51.100.66' }] }),
    (q: packet.DecodedPacket) => ({ id: q.id, type: 'response' as const, questions: [{ name: 'other.test', type: 'A' as const }], answers: [{ name: 'other.test', type: 'A' as const, ttl: 60, data: '198.51.100.66' }] }),
  ]) {
    const s = await servers((q, send) => send(forge(q)));
    try {
      await assert.rejects(wireQuery('victim.test', 'A', { servers: [s.server], timeoutMs: 300, tries: 1 }), (e: Error & { code?: string }) => e.code === 'ETIMEOUT');
    } finally {
      await s.close();
    }
  }
});

test('DNS wire: server addresses as written in dns.servers', () => {
  assert.deepEqual(parseServer('192.0.2.1'), { host: '192.0.2.1', port: 53 });
  assert.deepEqual(parseServer('192.0.2.1:5353'), { host: '192.0.2.1', port: 5353 });
  assert.deepEqual(parseServer('[2001:db8::1]:5353'), { host: '2001:db8::1', port: 5353 });
  assert.deepEqual(parseServer('2001:db8::1'), { host: '2001:db8::1', port: 53 });
});
