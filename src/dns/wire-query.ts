// One DNS question asked on the wire (UDP, then TCP when the answer is truncated),
// for the answers whose TTL Node's resolver does not report (TXT, MX) and for the
// SOA record of a negative answer (RFC 2308). The same servers, timeout and tries as
// the resolver's. Each question uses a new UDP socket (a random source port) and a
// random ID, and a reply counts only if it comes from the server asked and repeats
// the question (RFC 5452), so a forged reply is not easily taken.

import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { getServers } from 'node:dns';
import { isIP, connect } from 'node:net';
import * as packet from 'dns-packet';
import ipaddr from 'ipaddr.js';
import type { ResolverOptions } from './lookup.js';

export type WireType = 'A' | 'AAAA' | 'MX' | 'TXT';

export interface WireReply {
  rcode: string;
  answers: packet.Answer[];
  authorities: packet.Answer[];
}

/** A failure with the code c-ares would give (ETIMEOUT, ESERVFAIL, EREFUSED, EBADNAME...). */
export class WireError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

interface Server {
  host: string;
  port: number;
}

/** "ip", "ip:port", "[ipv6]:port" or a bare IPv6 address. */
export function parseServer(s: string): Server {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) return { host: bracketed[1], port: Number(bracketed[2] ?? 53) };
  if (isIP(s)) return { host: s, port: 53 };
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

/** A name c-ares would refuse (EBADNAME): an empty label, a label over 63 octets, over 253 in all. */
function badName(name: string): boolean {
  const n = name.replace(/\.$/, '');
  return !n || n.length > 253 || n.split('.').some((l) => !l.length || l.length > 63);
}

function sameAddress(a: string, b: string): boolean {
  try {
    return ipaddr.process(a).toNormalizedString() === ipaddr.process(b).toNormalizedString();
  } catch {
    return false;
  }
}

function sameQuestion(reply: packet.DecodedPacket, id: number, name: string, type: WireType): boolean {
  const q = reply.questions?.[0];
  return reply.id === id && reply.type === 'response' && !!q && q.type === type && q.name.toLowerCase().replace(/\.$/, '') === name.toLowerCase().replace(/\.$/, '');
}

function overUdp(server: Server, query: Buffer, id: number, name: string, type: WireType, timeoutMs: number): Promise<packet.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(new WireError('ETIMEOUT')), timeoutMs);
    let done = false;
    const finish = (r: packet.DecodedPacket | Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    sock.on('error', () => finish(new WireError('ECONNREFUSED')));
    sock.on('message', (msg, rinfo) => {
      if (rinfo.port !== server.port || !sameAddress(rinfo.address, server.host)) return;
      let reply: packet.DecodedPacket;
      try {
        reply = packet.decode(msg);
      } catch {
        return; // not a DNS message: keep waiting for the real one
      }
      if (sameQuestion(reply, id, name, type)) finish(reply);
    });
    sock.send(query, server.port, server.host);
  });
}

function overTcp(server: Server, id: number, name: string, type: WireType, timeoutMs: number): Promise<packet.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: server.host, port: server.port });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new WireError('ETIMEOUT')), timeoutMs);
    const finish = (r: packet.DecodedPacket | Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    sock.on('error', () => finish(new WireError('ECONNREFUSED')));
    sock.on('close', () => finish(new WireError('ECONNREFUSED')));
    sock.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 2 || got.length < 2 + got.readUInt16BE(0)) return;
      try {
        const reply = packet.streamDecode(got) as packet.DecodedPacket;
        finish(sameQuestion(reply, id, name, type) ? reply : new WireError('EBADRESP'));
      } catch {
        finish(new WireError('EBADRESP'));
      }
    });
    sock.write(packet.streamEncode({ id, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] }));
  });
}

const RCODE_ERRORS: Record<string, string> = { SERVFAIL: 'ESERVFAIL', REFUSED: 'EREFUSED', NOTIMP: 'ENOTIMP', FORMERR: 'EFORMERR' };

/** Asks `name`/`type` of the servers in turn, `tries` rounds; NOERROR and NXDOMAIN are answers, the rest failures. */
export async function wireQuery(name: string, type: WireType, opts: ResolverOptions): Promise<WireReply> {
  if (badName(name)) throw new WireError('EBADNAME');
  const servers = (opts.servers.length ? opts.servers : getServers()).map(parseServer);
  if (!servers.length) throw new WireError('ECONNREFUSED');
  let last = 'ETIMEOUT';
  for (let t = 0; t < opts.tries; t++) {
    for (const server of servers) {
      const id = randomInt(65536);
      const query = packet.encode({ id, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
      try {
        let reply = await overUdp(server, query, id, name, type, opts.timeoutMs);
        if (reply.flag_tc) reply = await overTcp(server, id, name, type, opts.timeoutMs);
        const rcode = (reply as { rcode?: string }).rcode ?? 'NOERROR';
        if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') return { rcode, answers: reply.answers ?? [], authorities: reply.authorities ?? [] };
        last = RCODE_ERRORS[rcode] ?? 'ESERVFAIL';
      } catch (e) {
        last = e instanceof WireError ? e.code : 'ECONNREFUSED';
      }
    }
  }
  throw new WireError(last);
}
