// The SMTP session: protocol only (RFC 5321). It reads one command, answers it,
// and only then reads the next, so pipelined commands keep their order. Every
// reply carries an enhanced status code. Policy decisions come from the runner;
// message bytes go to a Submitter. This file never touches spool files.

import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isUtf8 } from 'node:buffer';
import { formatReply } from '../core/reply.js';
import type { Decision } from '../core/decision.js';
import { parsePath, type Address } from '../core/address.js';
import type { Envelope, SessionInfo } from '../core/envelope.js';
import { newSessionId } from '../core/session-id.js';
import type { Submitter } from '../core/submission.js';
import type { Listener, Snapshot } from '../config/load.js';
import type { SessionPolicy, Stage } from '../policy/types.js';
import type { Logger } from '../log/logger.js';
import { SocketInput } from './input.js';
import { parseMailParams, parseRcptParams } from './params.js';
import { ehloKeywords } from './extensions.js';
import { heloName } from './helo-name.js';
import { receiveData, receiveBdat } from './session-data.js';
import type { BdatState } from './intake.js';
import { handleAuth, handleStarttls, tlsInfo } from './session-auth.js';
import type { AuthPort, Authenticator, DataPort, SessionObserver, TlsProvider, Transaction } from './ports.js';

export interface SessionDeps {
  config: Snapshot;
  listener: Listener;
  /** Everything asked of policy (policy/session-policy.ts); smtp/ sees only this interface. */
  policy: SessionPolicy;
  submitter: Submitter;
  auth: Authenticator;
  tls: TlsProvider;
  log: Logger;
  /** Told once per message and once per session (metrics); absent in the policy simulator. */
  observer?: SessionObserver;
}

/** Verbs counted by name in the session's command counts; anything else is OTHER (a bounded label set). */
const KNOWN_VERBS = new Set(['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'RSET', 'NOOP', 'QUIT', 'HELP', 'VRFY', 'EXPN', 'STARTTLS', 'AUTH']);

/** RFC 4954 4: AUTH lines may be up to 12288 octets. */
const AUTH_LINE_MAX = 12288;
/** RFC 1870, 3461, 4954 each extend MAIL/RCPT lines; allow for them after EHLO. */
const ESMTP_PARAM_ALLOWANCE = 1024;

/** A path with a non-ASCII character (RFC 6531 3.5: 553 5.6.7 when SMTPUTF8 was not given). */
const NON_ASCII_PATH = /^<[^>]*[^\x00-\x7f]/;

export class SmtpSession implements DataPort, AuthPort, Transaction {
  readonly info: SessionInfo;
  readonly input: SocketInput;
  socket: Socket;
  envelope: Envelope | undefined;
  bdat: BdatState | undefined;
  /** Refusals caused by the client: protocol errors and client-fault decisions (H5 feeds on this). */
  failures = 0;
  messages = 0;
  private out = '';
  private closed = false;
  private idle = false;
  private stopping = false;
  private readonly started = Date.now();
  private closeReason = 'quit';

  readonly policy: SessionPolicy;
  readonly submitter: Submitter;
  readonly log: Logger;
  readonly tls: TlsProvider;
  readonly auth: Authenticator;

  /** `id`: given by the listener when it decided something about the connection before the session. */
  /** Commands by verb, for the one report at the end (SessionObserver). */
  private readonly verbs = new Map<string, number>();
  /** The connection as accepted (after STARTTLS `socket` is the TLS socket over it). */
  private readonly rawSocket: Socket;

  constructor(socket: Socket, readonly deps: SessionDeps, id = newSessionId()) {
    ({ policy: this.policy, submitter: this.submitter, log: this.log, tls: this.tls, auth: this.auth } = deps);
    this.socket = socket;
    this.rawSocket = socket;
    this.info = {
      id,
      listener: deps.listener,
      remoteAddress: normalizeIp(socket.remoteAddress ?? ''),
      remotePort: socket.remotePort ?? 0,
      localAddress: normalizeIp(socket.localAddress ?? ''),
      localPort: socket.localPort ?? 0,
      esmtp: false,
    };
    this.input = new SocketInput(deps.config.limits.maxPipelinedBytes);
    this.input.onIdle = () => this.flush();
    this.input.attach(socket);
    socket.on('error', (e) => {
      this.closeReason = `socket error: ${e.message}`;
    });
  }

  get config(): Snapshot {
    return this.deps.config;
  }

  get tx(): Transaction {
    return this;
  }

  messageQueued(): void {
    this.messages++;
  }

  dataEnded(bytes: number, endedAt: bigint, queued: boolean): void {
    this.deps.observer?.endOfData(this.info.listener.name, bytes, Number(process.hrtime.bigint() - endedAt) / 1e9, queued);
  }

  // ---- output -------------------------------------------------------------

  reply(code: number, enhanced: string | undefined, ...lines: string[]): void {
    this.out += formatReply({ code, enhanced, lines });
  }

  protocolError(code: number, enhanced: string, text: string): void {
    this.failures++; // H5: the client's own input was refused
    this.reply(code, enhanced, text);
  }

  answer(d: Decision): void {
    // H5 counts only what the client caused: never our own trouble, never flow control (H7's 452 4.5.3).
    if (d.fault === 'client') this.failures++;
    this.reply(d.code, d.enhanced, d.text);
  }

  flush(): void {
    if (this.out && !this.closed) {
      this.socket.write(this.out);
      this.out = '';
    }
  }

  /** Sends what is pending and closes the connection. */
  close(reason: string): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.closeReason = this.closeReason === 'quit' ? reason : this.closeReason;
    this.input.detach();
    this.input.end(); // a read still waiting (e.g. shutdown of an idle session) ends now, not at its timeout
    this.socket.end();
    // A peer that never reads must not keep the socket: destroy after a grace period.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  stopReading(): void {
    this.input.detach();
    this.socket.pause();
  }

  breakConnection(graceMs: number): void {
    this.stopReading();
    if (graceMs <= 0) this.socket.destroy();
    else setTimeout(() => this.socket.destroy(), graceMs); // not unref'd: a paused socket keeps no loop alive, the server's close waits for it
  }

  /** SIGTERM: a session between transactions is closed now; one in a transaction may finish it. */
  shutdown(): void {
    this.stopping = true;
    if (this.idle && !this.envelope) {
      this.reply(421, '4.3.2', `${this.config.hostname} Service shutting down, please try again later`);
      this.close('shutdown');
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  reset(): void {
    this.envelope = undefined;
    this.bdat = undefined;
  }

  /** Runs one policy stage. */
  private check(stage: Stage, rcpt?: Address): Promise<Decision | undefined> {
    return this.deps.policy.check(stage, { config: this.config, session: this.info, envelope: this.envelope, rcpt });
  }

  /** Answers a stage's refusal; a drop closes the connection. */
  private refused(stage: Stage, d: Decision): void {
    this.answer(d);
    if (d.action === 'drop') this.close(`${stage} ${d.check}`);
  }

  // ---- lifecycle ----------------------------------------------------------

  async run(): Promise<void> {
    try {
      if (await this.greet()) await this.commandLoop();
    } catch (e) {
      this.deps.log.error({ session: this.info.id, err: (e as Error).stack }, 'session failed');
      if (!this.closed) {
        this.reply(421, '4.3.0', `${this.config.hostname} Local error, closing connection`);
        this.close('internal error');
      }
    } finally {
      await this.bdat?.intake?.discard();
      this.close(this.closeReason);
      this.deps.log.info(
        {
          event: 'connection',
          session: this.info.id,
          listener: this.info.listener.name,
          client: this.info.remoteAddress,
          port: this.info.remotePort,
          tls: this.info.tls?.protocol,
          helo: this.info.helo,
          authUser: this.info.authUser,
          messages: this.messages,
          failures: this.failures,
          ms: Date.now() - this.started,
          close: this.closeReason,
        },
        'connection closed',
      );
      this.deps.observer?.sessionEnded({ listener: this.info.listener.name, closeReason: this.closeReason, commands: this.verbs, bytesIn: this.rawSocket.bytesRead, seconds: (Date.now() - this.started) / 1000 });
    }
  }

  private async greet(): Promise<boolean> {
    const d = await this.check('connect');
    if (d && d.action !== 'accept') {
      this.answer(d);
      this.close(`connect ${d.check}`);
      return false;
    }
    // P4 early talkers: hold the greeting unless the client is trusted or passed recently.
    const wait = await this.policy.pregreetWait(this.config, this.info);
    if (wait > 0) {
      await new Promise((r) => setTimeout(r, wait));
      if (this.closed || (this.socket.destroyed && !this.input.hasInput)) return false;
      const early = this.policy.pregreetResult(this.config, this.info, this.input.hasInput);
      if (early) {
        this.answer(early);
        this.close('pregreet');
        return false;
      }
    }
    const banner = this.config.smtp.banner
      .replace(/%LOCALDOMAIN%/g, this.config.hostname)
      .replace(/%TIME%/g, new Date().toUTCString());
    this.reply(220, undefined, banner);
    return true;
  }

  private maxLineFor(verb: string): number {
    if (verb === 'AUTH') return AUTH_LINE_MAX;
    const base = this.config.limits.maxCommandLine;
    return this.info.esmtp && (verb === 'MAIL' || verb === 'RCPT') ? base + ESMTP_PARAM_ALLOWANCE : base;
  }

  private async commandLoop(): Promise<void> {
    const timeout = this.config.timeouts.commandMs;
    while (!this.closed) {
      const h5 = this.policy.failedCommands(this.config, this.info, this.failures, this.envelope);
      if (h5) {
        this.answer(h5); // H5: 421 4.7.0 and close (policy/session/max-failed-commands.ts)
        return this.close('too many failed commands');
      }
      if (this.stopping && !this.envelope) {
        this.reply(421, '4.3.2', `${this.config.hostname} Service shutting down, please try again later`);
        return this.close('shutdown');
      }
      this.idle = true;
      const r = await this.input.readLine(AUTH_LINE_MAX, timeout);
      this.idle = false;
      if (this.closed) return;
      if (r.kind === 'eof') return this.close('client disconnected');
      if (r.kind === 'timeout') {
        this.reply(421, '4.4.2', `${this.config.hostname} Timeout exceeded, closing connection`);
        return this.close('timeout');
      }
      if (r.kind === 'too-long') {
        this.protocolError(500, '5.5.2', 'Line too long');
        continue;
      }
      if ((r.bareLf || r.bareCr) && this.config.smtp.bareLineEndings === 'reject') {
        this.protocolError(500, '5.5.2', 'Syntax error: command lines must end with CRLF, bare CR or LF not allowed');
        continue;
      }
      // RFC 6531: 8-bit command text must be UTF-8; never let a decoder turn bad bytes into U+FFFD.
      if (!isUtf8(r.line)) {
        this.protocolError(500, '5.5.2', 'Syntax error: command line is not valid UTF-8');
        continue;
      }
      const line = r.line.toString('utf8');
      const sp = line.indexOf(' ');
      const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
      const arg = sp < 0 ? '' : line.slice(sp + 1);
      if (r.length > this.maxLineFor(verb)) {
        this.protocolError(500, '5.5.2', 'Line too long');
        continue;
      }
      const counted = KNOWN_VERBS.has(verb) ? verb : 'OTHER';
      this.verbs.set(counted, (this.verbs.get(counted) ?? 0) + 1);
      await this.dispatch(verb, arg);
    }
  }

  private async dispatch(verb: string, arg: string): Promise<void> {
    switch (verb) {
      case 'EHLO':
      case 'HELO':
        return this.helo(verb, arg);
      case 'MAIL':
        return this.mail(arg);
      case 'RCPT':
        return this.rcpt(arg);
      case 'DATA':
        if (arg !== '') return this.protocolError(501, '5.5.4', 'DATA takes no parameters');
        return receiveData(this);
      case 'BDAT':
        return receiveBdat(this, arg);
      case 'RSET':
        if (arg !== '') return this.protocolError(501, '5.5.4', 'RSET takes no parameters');
        this.reset();
        return this.reply(250, '2.0.0', 'Ok');
      case 'NOOP':
        return this.reply(250, '2.0.0', 'Ok');
      case 'QUIT':
        this.reply(221, '2.0.0', `${this.config.hostname} Bye`);
        return this.close('quit');
      case 'HELP':
        return this.reply(214, '2.0.0', 'See RFC 5321');
      case 'VRFY':
        // No user enumeration (P1): the same answer for every argument.
        if (arg === '') return this.protocolError(501, '5.5.4', 'Syntax: VRFY address');
        return this.reply(252, '2.5.2', 'Cannot VRFY user, but will accept message and attempt delivery');
      case 'EXPN':
        return this.protocolError(502, '5.5.1', 'EXPN is not available');
      case 'STARTTLS':
        return handleStarttls(this, arg);
      case 'AUTH':
        return handleAuth(this, arg);
      default:
        return this.protocolError(500, '5.5.1', 'Command unrecognized');
    }
  }

  private async helo(verb: string, arg: string): Promise<void> {
    // RFC 5321 4.1.1.1 / RFC 6531 3.7.1: the name must be ASCII; a U-label is encoded (helo-name.ts).
    const name = heloName(arg.trim());
    if (name === undefined) return this.protocolError(501, '5.5.4', `Syntax: ${verb} hostname`);
    this.reset();
    this.info.helo = name;
    this.info.esmtp = verb === 'EHLO';
    const d = await this.check('helo');
    if (d && d.action !== 'accept') {
      this.info.helo = undefined;
      return this.refused('helo', d);
    }
    if (verb === 'HELO') return this.reply(250, undefined, this.config.hostname);
    const size = this.policy.advertisedSize(this.config, this.info.listener);
    this.reply(250, undefined, this.config.hostname, ...ehloKeywords(this.info, this.config, size, this.deps.tls.available));
  }

  private async mail(arg: string): Promise<void> {
    if (!this.info.helo) return this.protocolError(503, '5.5.1', 'Send EHLO or HELO first');
    if (this.envelope) return this.protocolError(503, '5.5.1', 'Nested MAIL command');
    if (this.info.listener.requireAuth && !this.info.authUser) return this.protocolError(530, '5.7.0', 'Authentication required');
    const m = /^FROM:\s*/i.exec(arg);
    if (!m) return this.protocolError(501, '5.5.4', 'Syntax: MAIL FROM:<address>');
    const rest = arg.slice(m[0].length);
    const utf8 = this.info.esmtp && /(^|\s)SMTPUTF8(\s|$)/i.test(rest.slice(rest.lastIndexOf('>') + 1));
    const path = parsePath(rest, { utf8, allowNull: true });
    if (!path.ok && !utf8 && NON_ASCII_PATH.test(rest)) return this.protocolError(553, '5.6.7', 'Non-ASCII address not permitted without SMTPUTF8');
    if (!path.ok) return this.protocolError(501, '5.1.7', `Bad sender address syntax: ${path.error}`);
    if (path.rest && !this.info.esmtp) return this.protocolError(555, '5.5.4', 'Parameters are not allowed after HELO');
    const params = parseMailParams(path.rest);
    if ('error' in params) return this.protocolError(params.code, params.enhanced, params.error);
    // SIZE= over the limit (S1/S2/S3): the mail.maxMessageSize check (policy/mail/max-message-size.ts).
    this.envelope = { mailFrom: path.address, mailParams: params, rcpts: [] };
    this.envelope.lms = this.policy.lmsKey(this.config, this.info, arg); // S4 key (policy/lms.ts, keyParts)
    const d = await this.check('mail');
    if (d && d.action !== 'accept') {
      this.envelope = undefined;
      return this.refused('mail', d);
    }
    this.reply(250, '2.1.0', 'Ok');
  }

  private async rcpt(arg: string): Promise<void> {
    const env = this.envelope;
    if (!env) return this.protocolError(503, '5.5.1', 'Need MAIL command first');
    env.lms?.rcpt(arg); // S4 key: every RCPT argument given, in order
    const m = /^TO:\s*/i.exec(arg);
    if (!m) return this.protocolError(501, '5.5.4', 'Syntax: RCPT TO:<address>');
    const text = arg.slice(m[0].length);
    const path = parsePath(text, { utf8: env.mailParams.smtputf8, allowNull: false, allowPostmaster: true });
    if (!path.ok && !env.mailParams.smtputf8 && NON_ASCII_PATH.test(text)) return this.protocolError(553, '5.6.7', 'Non-ASCII address not permitted without SMTPUTF8');
    if (!path.ok) return this.protocolError(501, '5.1.3', `Bad recipient address syntax: ${path.error}`);
    if (path.rest && !this.info.esmtp) return this.protocolError(555, '5.5.4', 'Parameters are not allowed after HELO');
    const params = parseRcptParams(path.rest);
    if ('error' in params) return this.protocolError(params.code, params.enhanced, params.error);
    env.presented = (env.presented ?? 0) + 1; // H8 counts every well-formed recipient presented
    // H7 (limits.maxRecipients, per-sender overrides) is the check rcpt.maxRecipients.
    const address = path.address!;
    const d = await this.check('rcpt', address);
    if (d && d.action !== 'accept') return this.refused('rcpt', d);
    // Duplicates by the address the spool will use (R8: user@[our ip] in two forms is one recipient).
    const spooled = (a: Address) => this.policy.spoolAddress(a, this.config).toLowerCase();
    const key = spooled(address);
    if (!env.rcpts.some((r) => spooled(r.address) === key)) env.rcpts.push({ address, params });
    this.reply(250, '2.1.5', 'Ok');
  }

  /** After STARTTLS: the TLS socket replaces the plain one, and the client must start over (RFC 3207 4.2). */
  startedTls(secure: Socket): void {
    this.socket = secure;
    this.input.attach(secure);
    secure.on('error', (e) => {
      this.closeReason = `socket error: ${e.message}`;
    });
    this.info.tls = tlsInfo(secure as TLSSocket);
    this.reset();
    this.info.helo = undefined;
    this.info.esmtp = false;
    this.info.authUser = undefined;
  }
}

/** "::ffff:127.0.0.1" -> "127.0.0.1". */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
