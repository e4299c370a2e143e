// STARTTLS (RFC 3207) and AUTH PLAIN/LOGIN (RFC 4954) for a session.

import { TLSSocket, type SecureContext } from 'node:tls';
import type { AuthPort } from './ports.js';
import { authOffered } from './extensions.js';
import { decodeBase64, parsePlain, type Credentials } from './sasl.js';
import { authFailed } from './auth-failures.js';

export type { TlsProvider, Authenticator } from './ports.js';

export async function handleStarttls(s: AuthPort, arg: string): Promise<void> {
  if (arg !== '') return s.protocolError(501, '5.5.4', 'STARTTLS takes no parameters');
  if (s.info.tls) return s.protocolError(503, '5.5.1', 'TLS already active');
  if (!s.tls.available) return s.protocolError(454, '4.7.0', 'TLS not available');
  s.reply(220, '2.0.0', 'Ready to start TLS');
  s.flush();
  // RFC 3207 / CVE-2011-0411: commands pipelined after STARTTLS are discarded.
  s.input.detach();
  s.input.discard();
  const secure = await upgradeToTls(s.socket, s.tls.context(), s.config.timeouts.tlsHandshakeMs);
  if (!secure) {
    s.socket.destroy();
    return s.close('TLS handshake failed');
  }
  s.startedTls(secure);
}

/** Wraps a plain socket in TLS (server side); resolves undefined when the handshake fails or times out. */
export function upgradeToTls(raw: import('node:net').Socket, context: SecureContext, timeoutMs: number): Promise<TLSSocket | undefined> {
  return new Promise((resolve) => {
    const tls = new TLSSocket(raw, { isServer: true, secureContext: context });
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const done = (v: TLSSocket | undefined) => {
      clearTimeout(timer);
      tls.off('secure', onSecure);
      tls.off('error', onError);
      tls.off('close', onError);
      tls.off('end', onError);
      if (!v) tls.destroy();
      resolve(v);
    };
    const onSecure = () => done(tls);
    const onError = () => done(undefined);
    tls.once('secure', onSecure);
    tls.once('error', onError);
    // A client gone mid-handshake (EOF: with allowHalfOpen no error follows) must not
    // hold its connection and its per-IP slot until the handshake timeout.
    tls.once('close', onError);
    tls.once('end', onError);
  });
}

export function tlsInfo(t: TLSSocket): { protocol: string; cipher: string } {
  return { protocol: t.getProtocol() ?? 'TLS', cipher: t.getCipher()?.standardName ?? t.getCipher()?.name ?? 'unknown' };
}

export async function handleAuth(s: AuthPort, arg: string): Promise<void> {
  if (!s.info.helo || !s.info.esmtp) return s.protocolError(503, '5.5.1', 'Send EHLO first');
  if (s.info.authUser) return s.protocolError(503, '5.5.1', 'Already authenticated');
  if (s.tx.envelope) return s.protocolError(503, '5.5.1', 'AUTH not allowed during a mail transaction');
  if (!authOffered(s.info)) return s.protocolError(538, '5.7.11', 'Encryption required for requested authentication mechanism');
  const [mechRaw, initial, extra] = arg.split(' ');
  if (!mechRaw || extra !== undefined) return s.protocolError(501, '5.5.4', 'Syntax: AUTH mechanism [initial-response]');
  const mech = mechRaw.toUpperCase();
  let creds: Credentials | undefined | 'aborted' | 'bad';
  if (mech === 'PLAIN') creds = await plain(s, initial);
  else if (mech === 'LOGIN') creds = await login(s, initial);
  else return s.protocolError(504, '5.5.4', 'Unrecognized authentication mechanism');
  if (creds === undefined) return; // connection ended or timed out (already handled)
  if (creds === 'aborted') return s.protocolError(501, '5.7.0', 'Authentication aborted');
  if (creds === 'bad') return s.protocolError(501, '5.5.2', 'Cannot decode response');
  if (creds.authzid && creds.authzid.toLowerCase() !== creds.user.toLowerCase()) {
    return authFailed(s); // R4: 535 5.7.8, or 421 4.7.0 + close past the limits (auth-failures.ts)
  }
  const ok = await s.auth.verify(creds.user, creds.password);
  s.log.info({ event: 'auth', session: s.info.id, client: s.info.remoteAddress, mechanism: mech, user: creds.user, ok }, 'authentication');
  if (!ok) return authFailed(s); // R4: 535 5.7.8, or 421 4.7.0 + close past the limits (auth-failures.ts)
  s.info.authUser = creds.user.toLowerCase();
  s.reply(235, '2.7.0', 'Authentication successful');
}

/** Reads one SASL response line; "*" aborts (RFC 4954 4). */
async function response(s: AuthPort, challenge: string): Promise<Buffer | undefined | 'aborted' | 'bad'> {
  s.reply(334, undefined, challenge);
  const r = await s.input.readLine(12288, s.config.timeouts.commandMs);
  if (r.kind === 'eof') {
    s.close('client disconnected');
    return undefined;
  }
  if (r.kind === 'timeout') {
    s.reply(421, '4.4.2', `${s.config.hostname} Timeout exceeded, closing connection`);
    s.close('timeout');
    return undefined;
  }
  if (r.kind === 'too-long') return 'bad';
  const text = r.line.toString('latin1');
  if (text === '*') return 'aborted';
  return decodeBase64(text) ?? 'bad';
}

async function plain(s: AuthPort, initial: string | undefined) {
  const raw = initial !== undefined ? decodeBase64(initial) ?? 'bad' : await response(s, '');
  if (raw === undefined || raw === 'aborted' || raw === 'bad') return raw;
  return parsePlain(raw) ?? 'bad';
}

async function login(s: AuthPort, initial: string | undefined) {
  const user = initial !== undefined ? decodeBase64(initial) ?? 'bad' : await response(s, 'VXNlcm5hbWU6');
  if (user === undefined || user === 'aborted' || user === 'bad') return user;
  const pass = await response(s, 'UGFzc3dvcmQ6');
  if (pass === undefined || pass === 'aborted' || pass === 'bad') return pass;
  return { user: user.toString('utf8'), password: pass.toString('utf8') };
}
