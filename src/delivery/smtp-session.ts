// Opening an SMTP/LMTP session on a connected client: the 220 greeting, EHLO
// (HELO fallback) or LHLO, STARTTLS per the channel's TLS policy, AUTH to a
// smarthost. A problem is a SiteFailure: this host cannot take mail now, and
// the transport tries the next one.

import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { ClientError, type SmtpClient } from './smtp-client.js';
import { isPositive, replyStatus, replyText, asTemporary, type Reply } from './smtp-reply.js';
import type { DeliveryTimeouts } from '../config/delivery-network-schema.js';

/** What the peer offered in its EHLO/LHLO reply (after STARTTLS: the second one). */
export interface Features {
  esmtp: boolean;
  pipelining: boolean;
  /** SIZE limit in octets; 0 = offered without a limit; undefined = not offered. */
  size?: number;
  eightBitMime: boolean;
  smtputf8: boolean;
  dsn: boolean;
  starttls: boolean;
  auth: string[];
}

export function parseFeatures(r: Reply | undefined): Features {
  const f: Features = { esmtp: !!r, pipelining: false, eightBitMime: false, smtputf8: false, dsn: false, starttls: false, auth: [] };
  for (const line of r?.lines.slice(1) ?? []) {
    const [kw, ...args] = line.slice(4).trim().toUpperCase().split(/[\s=]+/);
    if (kw === 'PIPELINING') f.pipelining = true;
    else if (kw === 'SIZE') f.size = /^\d+$/.test(args[0] ?? '') ? Number(args[0]) : 0;
    else if (kw === '8BITMIME') f.eightBitMime = true;
    else if (kw === 'SMTPUTF8') f.smtputf8 = true;
    else if (kw === 'DSN') f.dsn = true;
    else if (kw === 'STARTTLS') f.starttls = true;
    else if (kw === 'AUTH') f.auth.push(...args);
  }
  return f;
}

/** This host cannot take the mail now (or ever, for `status` 5.x.x); the next host may. */
export class SiteFailure extends Error {
  constructor(
    readonly status: string,
    readonly diagnostic: string,
    readonly fromPeer: boolean,
    /** The TLS handshake itself failed (under tls "may" the transport reconnects in clear). */
    readonly tlsHandshake = false,
    /** Every host would fail the same way (our configuration): try no other. */
    readonly final = false,
  ) {
    super(diagnostic);
  }
  /** The host that failed (DSN Remote-MTA), when there was one. */
  host?: string;
}

export interface SessionOptions {
  lmtp: boolean;
  /** Our EHLO/LHLO name. */
  hostname: string;
  /** The peer's name (SNI, messages). */
  host: string;
  tls: 'may' | 'encrypt' | 'none';
  auth?: { user: string; passwordFile: string; key: string };
  timeouts: DeliveryTimeouts;
}

/** Runs the session start; returns the features to use for transactions. */
export async function openSession(c: SmtpClient, o: SessionOptions): Promise<Features> {
  try {
    const greeting = await c.read(o.timeouts.greetingMs, 'the greeting');
    if (greeting.code !== 220) throw peerFailure(greeting);
    let features = await hello(c, o);
    if (o.tls !== 'none' && features.starttls) {
      c.send('STARTTLS');
      const r = await c.read(o.timeouts.heloMs, 'STARTTLS');
      if (r.code === 220) {
        try {
          await c.startTls(isIP(o.host) ? undefined : o.host, o.timeouts.heloMs);
        } catch (e) {
          throw new SiteFailure('4.7.5', `Cannot start TLS with ${o.host}: handshake failure: ${(e as Error).message}`, false, true);
        }
        features = await hello(c, o);
      } else if (o.tls === 'encrypt') {
        throw new SiteFailure('4.7.5', `TLS is required, but ${o.host} refused STARTTLS: ${replyText(r)}`, false);
      }
    } else if (o.tls === 'encrypt') {
      throw new SiteFailure('4.7.5', `TLS is required, but was not offered by ${o.host}`, false);
    }
    if (o.auth) await authenticate(c, features, o);
    return features;
  } catch (e) {
    if (e instanceof ClientError) throw clientFailure(e, o.host);
    throw e;
  }
}

async function hello(c: SmtpClient, o: SessionOptions): Promise<Features> {
  c.send(`${o.lmtp ? 'LHLO' : 'EHLO'} ${o.hostname}`);
  const r = await c.read(o.timeouts.heloMs, o.lmtp ? 'LHLO' : 'EHLO');
  if (r.code === 250) return parseFeatures(r);
  if (o.lmtp || r.code === 421 || o.tls === 'encrypt' || o.auth) throw peerFailure(r);
  c.send(`HELO ${o.hostname}`);
  const h = await c.read(o.timeouts.heloMs, 'HELO');
  if (h.code !== 250) throw peerFailure(h);
  return parseFeatures(undefined);
}

/** RFC 4954 AUTH PLAIN (or LOGIN), only inside TLS; the password is read from its file each time. */
async function authenticate(c: SmtpClient, f: Features, o: SessionOptions): Promise<void> {
  const auth = o.auth!;
  if (!c.secure) throw new SiteFailure('4.7.10', `not sending the password for ${auth.key} without TLS: ${o.host} offers no STARTTLS (or tls is "none")`, false);
  const mech = f.auth.includes('PLAIN') ? 'PLAIN' : f.auth.includes('LOGIN') ? 'LOGIN' : undefined;
  if (!mech) throw new SiteFailure('4.7.4', `${o.host} offers no AUTH PLAIN or LOGIN (offered: ${f.auth.join(' ') || 'none'})`, false);
  let password: string;
  try {
    password = (await readFile(auth.passwordFile, 'utf8')).split(/\r?\n/)[0];
  } catch (e) {
    throw new SiteFailure('4.3.5', `cannot read ${auth.key}.passwordFile "${auth.passwordFile}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, false, false, true);
  }
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const step = async (line: string) => {
    c.send(line);
    return c.read(o.timeouts.heloMs, 'AUTH');
  };
  let r: Reply;
  if (mech === 'PLAIN') {
    r = await step(`AUTH PLAIN ${b64(`\0${auth.user}\0${password}`)}`);
  } else {
    r = await step('AUTH LOGIN');
    if (r.code === 334) r = await step(b64(auth.user));
    if (r.code === 334) r = await step(b64(password));
  }
  // Postfix smtp_sasl_auth_soft_bounce: a refused login is our configuration's problem; defer, don't bounce.
  if (r.code !== 235) throw new SiteFailure(asTemporary(r.enhanced ?? '4.7.8'), replyText(r), true);
}

/** A peer reply that ends the session, as a temporary failure (the next host may do better). */
function peerFailure(r: Reply): SiteFailure {
  return new SiteFailure(isPositive(r) ? '4.5.0' : asTemporary(replyStatus(r)), replyText(r), true);
}

/** A connection problem during the session start, as a temporary failure naming the host. */
export function clientFailure(e: ClientError, host: string): SiteFailure {
  const status = e.kind === 'protocol' ? '4.5.0' : e.kind === 'connect' ? '4.4.1' : e.kind === 'tls' ? '4.7.5' : '4.4.2';
  return new SiteFailure(status, `${host}: ${e.message}`, false, e.kind === 'tls');
}
