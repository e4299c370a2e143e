// A real DNS server on loopback (UDP), answering from a table, for tests of
// checks that use DNS. Names may be made to answer SERVFAIL or never answer.

import { createSocket, type Socket } from 'node:dgram';
import * as packet from 'dns-packet';

export type Rr =
  | { type: 'A'; data: string }
  | { type: 'AAAA'; data: string }
  | { type: 'MX'; data: { preference: number; exchange: string } }
  | { type: 'PTR'; data: string }
  | { type: 'TXT'; data: string };

export interface Zone {
  /** name (lower case, no trailing dot) -> records. A name absent from every table is NXDOMAIN. */
  records: Record<string, Rr[]>;
  /** Names answered with SERVFAIL. */
  servfail?: string[];
  /** Names never answered (the resolver times out). */
  silent?: string[];
}

export interface TestDns {
  /** "127.0.0.1:port", for the resolver's `servers`. */
  server: string;
  zone: Zone;
  queries: Array<{ name: string; type: string }>;
  stop(): Promise<void>;
}

/** "192.0.2.1" -> "1.2.0.192.in-addr.arpa"; IPv6 expanded nibbles -> ip6.arpa. */
export function reverseName(ip: string): string {
  if (ip.includes('.')) return ip.split('.').reverse().join('.') + '.in-addr.arpa';
  const parts = ip.split('::');
  const head = parts[0] ? parts[0].split(':') : [];
  const tail = parts[1] ? parts[1].split(':') : [];
  const groups = [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail];
  return groups.map((g) => g.padStart(4, '0')).join('').split('').reverse().join('.') + '.ip6.arpa';
}

export async function startDns(zone: Zone): Promise<TestDns> {
  const sock: Socket = createSocket('udp4');
  const queries: TestDns['queries'] = [];
  sock.on('message', (msg, rinfo) => {
    let q;
    try {
      q = packet.decode(msg);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase().replace(/\.$/, '');
    queries.push({ name, type: question.type });
    if (zone.silent?.includes(name)) return;
    let rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' = 'NOERROR';
    let answers: packet.Answer[] = [];
    if (zone.servfail?.includes(name)) rcode = 'SERVFAIL';
    else if (!(name in zone.records)) rcode = 'NXDOMAIN';
    else {
      answers = zone.records[name]
        .filter((r) => r.type === question.type)
        .map((r) => ({ name: question.name, type: r.type, class: 'IN', ttl: 60, data: r.data }) as packet.Answer);
    }
    const reply = packet.encode({
      id: q.id,
      type: 'response',
      flags: packet.AUTHORITATIVE_ANSWER | packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (rcode === 'NXDOMAIN' ? 3 : rcode === 'SERVFAIL' ? 2 : 0),
      questions: q.questions,
      answers,
    });
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  return {
    server: `127.0.0.1:${port}`,
    zone,
    queries,
    stop: () => new Promise<void>((r) => sock.close(() => r())),
  };
}
