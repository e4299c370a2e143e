// A real DNS server on loopback (UDP), answering from a table, for tests and benches of
// checks that use DNS. Names may be made to answer SERVFAIL or never answer.

import { createSocket, type Socket } from 'node:dgram';
import * as packet from 'dns-packet';

/** A record; `ttl` in seconds (default 60). TXT data may be split in character-strings. */
export type Rr = (
  | { type: 'A'; data: string }
  | { type: 'AAAA'; data: string }
  | { type: 'MX'; data: { preference: number; exchange: string } }
  | { type: 'PTR'; data: string }
  | { type: 'TXT'; data: string | string[] }
  | { type: 'CNAME'; data: string }
) & { ttl?: number };

export interface Zone {
  /** name (lower case, no trailing dot) -> records. A name absent from every table is NXDOMAIN. */
  records: Record<string, Rr[]>;
  /** Names answered with SERVFAIL. */
  servfail?: string[];
  /** Names never answered (the resolver times out). */
  silent?: string[];
  /** The SOA sent with "no such name" and "no such record" answers (RFC 2308 negative TTL); none if absent. */
  soa?: { apex: string; ttl: number; minimum: number };
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

/** Records of `type` for `name`; an alias (CNAME) is followed the way a recursive server does. */
function answer(zone: Zone, name: string, qname: string, type: string, depth = 0): packet.Answer[] {
  const rrs = zone.records[name] ?? [];
  const rr = (r: Rr, owner: string) => ({ name: owner, type: r.type, class: 'IN', ttl: r.ttl ?? 60, data: r.data }) as packet.Answer;
  const direct = rrs.filter((r) => r.type === type).map((r) => rr(r, qname));
  if (direct.length || type === 'CNAME' || depth > 8) return direct;
  const alias = rrs.find((r) => r.type === 'CNAME');
  if (!alias) return [];
  const target = (alias.data as string).toLowerCase().replace(/\.$/, '');
  return [rr(alias, qname), ...answer(zone, target, target, type, depth + 1)];
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
    else answers = answer(zone, name, question.name, question.type);
    const authorities: packet.Answer[] =
      zone.soa && rcode !== 'SERVFAIL' && !answers.some((a) => a.type === question.type)
        ? [{ name: zone.soa.apex, type: 'SOA', ttl: zone.soa.ttl, data: { mname: `ns.${zone.soa.apex}`, rname: `hostmaster.${zone.soa.apex}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: zone.soa.minimum } }]
        : [];
    const reply = packet.encode({
      id: q.id,
      type: 'response',
      authorities,
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
