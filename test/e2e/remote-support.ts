// Shared parts of the end-to-end remote delivery tests: a Rampart that trusts
// loopback as its LAN (a workstation may relay and use local senders), resolving
// through the in-process DNS server, with MX records pointing at 127.0.0.1 and
// the channel port set to the sink's port (the test-only override documented on
// channels.<name>.port); a LAN client written with the one SMTP test client; the
// notices that land in a local sender's Maildir, parsed with mailsplit/libmime.

import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { SmtpClient } from '../helpers/smtp-client.js';
import type { Rr, Zone } from '../../src/bench/loopback-dns.js';
import type { Clock } from '../../src/scheduler/scheduler.js';
import { dsnOfMaildirFile, parseDsn, type ParsedDsn } from '../helpers/dsn.js';

/** MX for `domain` -> mx.<domain> -> 127.0.0.1. */
export function mxTo(domain: string, address = '127.0.0.1'): Record<string, Rr[]> {
  return {
    [domain]: [{ type: 'MX', data: { preference: 10, exchange: `mx.${domain}` } }],
    [`mx.${domain}`]: [{ type: 'A', data: address }],
  };
}

export const LAN = { relay: { lanNetworks: ['127.0.0.1/32'], privilegedNetworks: ['127.0.0.1/32'], spoofing: 'authorized' } };

/** A test server whose LAN is loopback, with a short shutdown deadline. */
export function startRelay(overrides: Record<string, unknown>, zone: Zone, clock?: Clock): Promise<TestServer> {
  const t = (overrides.timeouts ?? {}) as Record<string, unknown>;
  return startTestServer({ ...LAN, ...overrides, timeouts: { shutdownMs: 1500, ...t } }, { zone, clock });
}

export interface Outgoing {
  from: string;
  /** Recipients, each with optional RCPT parameters ("NOTIFY=SUCCESS ORCPT=..."). */
  to: Array<string | [string, string]>;
  /** MAIL FROM parameters ("RET=HDRS ENVID=x"). */
  mailParams?: string;
  /** The message, CRLF lines, without the last line end and the final dot (sendLan adds them and dot-stuffs). */
  data: string;
}

/** Sends one message from a LAN client on `port`; returns the queue id from the 250. */
export async function sendLan(port: number, m: Outgoing): Promise<string> {
  const c = await SmtpClient.connect(port);
  try {
    assert.equal((await c.reply()).code, 220);
    assert.equal((await c.cmd('EHLO lan.client.test')).code, 250);
    const mail = await c.cmd(`MAIL FROM:<${m.from}>${m.mailParams ? ` ${m.mailParams}` : ''}`);
    assert.equal(mail.code, 250, mail.lines.join(' | '));
    for (const r of m.to) {
      const [addr, params] = typeof r === 'string' ? [r, ''] : r;
      const rcpt = await c.cmd(`RCPT TO:<${addr}>${params ? ` ${params}` : ''}`);
      assert.equal(rcpt.code, 250, `${addr}: ${rcpt.lines.join(' | ')}`);
    }
    assert.equal((await c.cmd('DATA')).code, 354);
    const done = await c.cmd(`${m.data.replace(/\r\n\./g, '\r\n..')}\r\n.`);
    assert.equal(done.code, 250, done.lines.join(' | '));
    await c.cmd('QUIT');
    return /queued as (\S+)/.exec(done.text)![1];
  } finally {
    c.close();
  }
}

/** The notices (null sender) delivered to a local mailbox, parsed. */
export async function noticesIn(ts: TestServer, address: string): Promise<ParsedDsn[]> {
  const files = ts.maildir(address).filter((f) => f.startsWith('Return-Path: <>\r\n'));
  return Promise.all(files.map((f) => parseDsn(dsnOfMaildirFile(f).dsn)));
}


/** Log lines of one event for one message. */
export function events(ts: TestServer, event: string, queueId: string): Array<Record<string, unknown>> {
  return ts.logs.filter((l) => l.event === event && l.queueId === queueId);
}
