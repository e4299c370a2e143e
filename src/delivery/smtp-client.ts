// One outbound SMTP/LMTP connection: a socket, the peer's replies in order, a
// timeout on every wait, STARTTLS. It knows nothing of messages (see
// smtp-session.ts for the handshake and smtp-transaction.ts for MAIL..DATA).
// Every failure (timeout, lost connection, garbage) ends the connection and
// rejects the pending and later reads with a ClientError saying what happened.

import net, { type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { Readable } from 'node:stream';
import { ReplyReader, ReplyProtocolError, type Reply } from './smtp-reply.js';
import { DotStuffer } from './dot-stuff.js';

export type ClientErrorKind = 'connect' | 'timeout' | 'closed' | 'protocol' | 'tls' | 'source';

export class ClientError extends Error {
  constructor(
    readonly kind: ClientErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** Where to connect: an address and port, or a unix socket path (LMTP). */
export type Target = { address: string; port: number } | { path: string };

/** Most replies that may wait unread (a pipelined batch is a few hundred at most). */
const MAX_QUEUED_REPLIES = 1000;

export class SmtpClient {
  private socket: Socket;
  private readonly reader = new ReplyReader();
  private readonly replies: Reply[] = [];
  private waiter?: { resolve: (r: Reply) => void; reject: (e: ClientError) => void; timer: NodeJS.Timeout };
  private failure?: ClientError;
  secure = false;
  /** Transactions started on this connection. */
  transactions = 0;
  readonly openedAt = Date.now();
  /** Called once when the connection ends for any reason (the pool drops it). */
  onGone?: () => void;
  /** Resolves when the socket is closed (after a QUIT: once the peer has closed too, or 5 s later). */
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((r) => (this.markClosed = r));
    this.attach(socket);
  }

  /** Opens a connection, failing with kind "connect" after connectMs. */
  static connect(target: Target, connectMs: number): Promise<SmtpClient> {
    return new Promise((resolve, reject) => {
      const socket = 'path' in target ? net.connect({ path: target.path }) : net.connect({ host: target.address, port: target.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ClientError('connect', `connection timed out after ${connectMs} ms`));
      }, connectMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new ClientError('connect', (e as NodeJS.ErrnoException).code ?? e.message));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        resolve(new SmtpClient(socket));
      });
    });
  }

  get alive(): boolean {
    return !this.failure && !this.socket.destroyed;
  }

  /** Why the connection ended, if it did. */
  get error(): ClientError | undefined {
    return this.failure;
  }

  /** The next reply, or a ClientError when none comes within timeoutMs (`what` names the command in the message). */
  read(timeoutMs: number, what: string): Promise<Reply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new ClientError('timeout', `timed out after ${seconds(timeoutMs)} waiting for the reply to ${what}`)), timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }

  /** Sends command lines in one write (a PIPELINING batch, RFC 2920). */
  send(...lines: string[]): void {
    if (this.failure) return;
    this.socket.write(`${lines.join('\r\n')}\r\n`, 'utf8');
  }

  /**
   * Sends the message after a 354: dot-stuffed (RFC 5321 4.5.2), ended by CRLF.CRLF. A write the
   * peer does not take within blockMs ends the connection; a source error ends it too (kind "source"),
   * so the peer never sees an end of data for a partial message.
   */
  async sendData(source: Readable, blockMs: number): Promise<void> {
    const stuffer = new DotStuffer();
    try {
      for await (const chunk of source) {
        if (this.failure) throw this.failure;
        if (!this.socket.write(stuffer.push(chunk as Buffer))) await this.drained(blockMs);
      }
    } catch (e) {
      if (e instanceof ClientError) throw e;
      const err = new ClientError('source', `cannot read the queued message: ${(e as Error).message}`);
      this.fail(err);
      throw err;
    } finally {
      source.destroy();
    }
    if (this.failure) throw this.failure;
    if (!this.socket.write(stuffer.end())) await this.drained(blockMs);
  }

  private drained(blockMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (e?: ClientError) => {
        clearTimeout(timer);
        this.socket.off('drain', ok);
        this.socket.off('close', gone);
        if (e) reject(e);
        else resolve();
      };
      const ok = () => done();
      const gone = () => done(this.failure ?? new ClientError('closed', 'connection closed by the peer while sending the message'));
      const timer = setTimeout(() => {
        const e = new ClientError('timeout', `timed out after ${seconds(blockMs)} sending a block of message data`);
        this.fail(e);
        done(e);
      }, blockMs);
      this.socket.on('drain', ok);
      this.socket.on('close', gone);
    });
  }

  /** Upgrades to TLS after "220" to STARTTLS (RFC 3207); replies received in clear are discarded. */
  async startTls(servername: string | undefined, timeoutMs: number): Promise<void> {
    const plain = this.socket;
    this.detach(plain);
    plain.on('error', () => {}); // the TLS socket reports what matters; an unheard error would crash
    this.reader.reset();
    this.replies.length = 0;
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      // Opportunistic TLS does not authenticate the peer (RFC 7435; Postfix "may" and "encrypt").
      const s = tls.connect({ socket: plain, servername, rejectUnauthorized: false });
      const timer = setTimeout(() => fail(new Error(`TLS handshake timed out after ${seconds(timeoutMs)}`)), timeoutMs);
      const fail = (e: Error) => {
        clearTimeout(timer);
        s.destroy();
        plain.destroy();
        reject(e);
      };
      s.once('error', fail);
      s.once('close', () => fail(new Error('connection closed during the TLS handshake')));
      s.once('secureConnect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        s.removeAllListeners('close');
        resolve(s);
      });
    }).catch((e: Error) => {
      const err = new ClientError('tls', e.message);
      this.fail(err);
      throw err;
    });
    this.socket = secure;
    this.secure = true;
    this.attach(secure);
  }

  /** Polite close: QUIT, then end; the socket is destroyed if the peer lingers. */
  quit(): void {
    if (this.failure) return;
    this.send('QUIT');
    this.fail(new ClientError('closed', 'connection closed by us'), true);
  }

  /** Ends the connection now. */
  destroy(reason = 'connection closed by us'): void {
    this.fail(new ClientError('closed', reason));
  }

  private readonly onData = (chunk: Buffer) => {
    let got: Reply[];
    try {
      got = this.reader.push(chunk);
    } catch (e) {
      if (!(e instanceof ReplyProtocolError)) throw e;
      this.fail(new ClientError('protocol', `protocol error: ${e.message}`));
      return;
    }
    for (const r of got) {
      const w = this.waiter;
      if (w) {
        this.waiter = undefined;
        clearTimeout(w.timer);
        w.resolve(r);
      } else if (this.replies.push(r) > MAX_QUEUED_REPLIES) {
        this.fail(new ClientError('protocol', 'protocol error: replies nobody asked for'));
        return;
      }
    }
  };
  private readonly onClose = () => this.fail(new ClientError('closed', 'connection closed by the peer'));
  private readonly onError = (e: Error) => this.fail(new ClientError('closed', `connection lost: ${(e as NodeJS.ErrnoException).code ?? e.message}`));

  private attach(s: Socket): void {
    s.on('data', this.onData);
    s.on('end', this.onClose);
    s.on('close', this.onClose);
    s.on('error', this.onError);
  }

  private detach(s: Socket): void {
    s.off('data', this.onData);
    s.off('end', this.onClose);
    s.off('close', this.onClose);
    s.off('error', this.onError);
  }

  private fail(err: ClientError, graceful = false): void {
    if (this.failure) return;
    this.failure = err;
    const s = this.socket;
    this.detach(s);
    s.on('error', () => {}); // late errors of a socket we are done with
    if (s.closed) this.markClosed();
    else s.once('close', () => this.markClosed());
    if (graceful) {
      s.end();
      setTimeout(() => s.destroy(), 5000).unref();
    } else s.destroy();
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.onGone?.();
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
