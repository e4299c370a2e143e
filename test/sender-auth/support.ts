// Shared pieces of the sender-authentication tests end to end (A1-A9): one loopback
// DNS zone with SPF, DMARC and DKIM key records, DNS block/allow list entries for the
// test client (127.0.0.1) and names that answer SERVFAIL or never; a server whose
// checks ask it; keys and messages signed by mailauth (an independent signer).

import { startDns, type TestDns, type Zone } from '../../src/bench/loopback-dns.js';
import { dnsblQueryName } from '../../src/dnsbl/lookup.js';
import { ed25519Key, keyRecord, rsaKey, type TestKey } from '../../src/sender-auth/test-support.js';
import { start, type TestServer } from '../protocol/support.js';
import type { StartOptions } from '../../src/main.js';
import { startTestServer } from '../helpers/server.js';

export { USERS, smtplib, swaks, swaksReplies, mailbox, splitDelivered, sleep } from '../protocol/support.js';
export type { TestServer } from '../protocol/support.js';
export { message, sign, seal } from '../../src/sender-auth/test-support.js';

/** Where the test client comes from (outside the LAN of these servers). */
export const CLIENT_IP = '127.0.0.1';
/** An address SPF records list, which is not the client's. */
export const OTHER_IP = '192.0.2.10';
export const AUTHSERV = 'mx.rampart.test';

export interface AuthDns {
  dns: TestDns;
  /** Signs for every *.test domain of the zone (selector s1). */
  key: TestKey;
  /** A 512-bit RSA key published at small._domainkey.good.test (RFC 8301: fail). */
  weakKey: TestKey;
  /** The mailing list's ARC sealing key (RSA: mailauth 4.13.3 seals with RSA only), at arc._domainkey.list.test. */
  sealKey: TestKey;
  /** DNS queries whose name ends with `suffix`. */
  queries(suffix: string): number;
}

/**
 * good.test: SPF lists the client, p=reject. reject.test: SPF -all without the client, p=reject.
 * quarantine.test: the same, p=quarantine. none.test: ~all, p=none. partner.test: -all, p=reject
 * (the tests override its action). tempfail.test: its DMARC record answers SERVFAIL. slow.test:
 * its SPF record never answers. list.test: a mailing list's own domain (SPF lists the client).
 * plain.test: SPF -all without the client, no DMARC record.
 * DNS lists: zen.test lists the client (127.0.0.2), bl.test lists it (127.0.0.3), wl.test is an
 * allow list that lists it (127.0.10.2), broken.test answers SERVFAIL for it.
 */
export async function authDns(): Promise<AuthDns> {
  const key = ed25519Key();
  const weakKey = rsaKey(512);
  const sealKey = rsaKey(2048);
  const spfRecord = (rule: string) => [{ type: 'TXT' as const, data: `v=spf1 ${rule}` }];
  const dmarcRecord = (p: string) => [{ type: 'TXT' as const, data: `v=DMARC1; p=${p}` }];
  const zone: Zone = {
    records: {
      'good.test': spfRecord(`ip4:${CLIENT_IP} -all`),
      '_dmarc.good.test': dmarcRecord('reject'),
      'reject.test': spfRecord(`ip4:${OTHER_IP} -all`),
      '_dmarc.reject.test': dmarcRecord('reject'),
      'quarantine.test': spfRecord(`ip4:${OTHER_IP} -all`),
      '_dmarc.quarantine.test': dmarcRecord('quarantine'),
      'none.test': spfRecord(`ip4:${OTHER_IP} ~all`),
      '_dmarc.none.test': dmarcRecord('none'),
      'partner.test': spfRecord(`ip4:${OTHER_IP} -all`),
      '_dmarc.partner.test': dmarcRecord('reject'),
      'tempfail.test': spfRecord(`ip4:${OTHER_IP} -all`),
      'list.test': spfRecord(`ip4:${CLIENT_IP} -all`),
      'plain.test': spfRecord(`ip4:${OTHER_IP} -all`),
      '_dmarc.list.test': dmarcRecord('none'),
      'small._domainkey.good.test': keyRecord(weakKey),
      'arc._domainkey.list.test': keyRecord(sealKey),
      [dnsblQueryName(CLIENT_IP, 'zen.test')]: [{ type: 'A', data: '127.0.0.2', ttl: 600 }],
      [dnsblQueryName(CLIENT_IP, 'bl.test')]: [{ type: 'A', data: '127.0.0.3', ttl: 600 }],
      [dnsblQueryName(CLIENT_IP, 'wl.test')]: [{ type: 'A', data: '127.0.10.2', ttl: 600 }],
    },
    servfail: ['_dmarc.tempfail.test', dnsblQueryName(CLIENT_IP, 'broken.test')],
    silent: ['slow.test'],
  };
  for (const d of ['good.test', 'reject.test', 'quarantine.test', 'none.test', 'partner.test', 'tempfail.test', 'list.test']) zone.records[`s1._domainkey.${d}`] = keyRecord(key);
  const dns = await startDns(zone);
  return { dns, key, weakKey, sealKey, queries: (suffix) => dns.queries.filter((q) => q.name.endsWith(suffix)).length };
}

/** The sender-auth settings of these servers: SPF mark, DKIM, DMARC on; the rest as `over` says. */
export function authConfig(d: AuthDns, over: Record<string, unknown> = {}): Record<string, unknown> {
  const o = over as { senderAuth?: Record<string, unknown> };
  return {
    ...over,
    dns: { servers: [d.dns.server], timeoutMs: 300, tries: 1 },
    senderAuth: { spf: { mode: 'mark' }, dkim: { verify: true }, dmarc: { enabled: true }, ...o.senderAuth },
  };
}

/** A test server (client 127.0.0.1 outside its LAN) whose sender-auth checks ask the test DNS. */
export function startAuth(d: AuthDns, over: Record<string, unknown> = {}, opts?: Omit<StartOptions, 'log'>): Promise<TestServer> {
  if (opts) return startTestServer({ ...authConfig(d, over), timeouts: { shutdownMs: 1500 } }, opts);
  return start(authConfig(d, over));
}

/** The decision log lines of one check (marks included). */
export function decisions(ts: TestServer, check: string): Array<Record<string, unknown>> {
  return ts.logs.filter((l) => l.event === 'decision' && l.check === check);
}

/** The value of every field `name` of a delivered file's header block, unfolded. */
export function fields(file: string, name: string): string[] {
  const head = file.slice(0, file.indexOf('\r\n\r\n') + 2);
  const re = new RegExp(`^${name}:[ \\t]*((?:[^\\r\\n]*)(?:\\r\\n[ \\t][^\\r\\n]*)*)\\r\\n`, 'gim');
  return [...head.matchAll(re)].map((m) => m[1].replace(/\r\n[ \t]+/g, ' '));
}
