// Shared pieces of the H1-H9 protocol tests: a test DNS zone on loopback, a server
// whose policy checks use it, a client that has read the banner and said EHLO,
// and the decision log lines of one check.

import { startDns, reverseName, type TestDns } from '../../src/bench/loopback-dns.js';
import { SmtpClient } from '../helpers/smtp-client.js';
import { start, type TestServer } from '../protocol/support.js';

export { USERS, smtplib, swaks, swaksReplies, python, mailbox, splitDelivered, within, sleep } from '../protocol/support.js';
export type { TestServer } from '../protocol/support.js';
export { reverseName };

/** A zone with every answer class H1 and H2 care about. No PTR for 127.0.0.1 unless a test adds one. */
export function hygieneDns(): Promise<TestDns> {
  return startDns({
    records: {
      'mx.test': [{ type: 'MX', data: { preference: 10, exchange: 'mail.mx.test' } }],
      'a-only.test': [{ type: 'A', data: '192.0.2.10' }],
      'nullmx.test': [{ type: 'MX', data: { preference: 0, exchange: '.' } }],
      'txt-only.test': [{ type: 'TXT', data: 'no mail here' }],
    },
    servfail: ['broken.test'],
  });
}

/** A test server whose checks ask `dns` (300 ms, one try). */
export function startWithDns(dns: TestDns, overrides: Record<string, unknown> = {}): Promise<TestServer> {
  return start({ dns: { servers: [dns.server], timeoutMs: 300, tries: 1 }, ...overrides });
}

/** Connects, reads the 220 banner and says EHLO. */
export async function ehlo(port: number, name = 'client.test'): Promise<SmtpClient> {
  const c = await SmtpClient.connect(port);
  const banner = await c.reply();
  if (banner.code !== 220) throw new Error(`banner: ${banner.text}`);
  const r = await c.cmd(`EHLO ${name}`);
  if (r.code !== 250) throw new Error(`EHLO: ${r.code} ${r.text}`);
  return c;
}

/** The decision log lines of one check. */
export function decisions(ts: TestServer, check: string): Array<Record<string, unknown>> {
  return ts.logs.filter((l) => l.event === 'decision' && l.check === check);
}

/** A short message (CRLF lines) for DATA. */
export function message(subject: string): string {
  return `From: <sender@client.test>\r\nTo: <alice@example.test>\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@client.test>\r\n\r\nbody of ${subject}\r\n`;
}
