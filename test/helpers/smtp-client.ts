// The one SMTP test client: a raw socket (plain or implicit TLS, STARTTLS in place)
// for what real clients (smtplib, swaks, nodemailer) won't do: pipelining by hand,
// raw bytes (bare CR/LF, smuggling, over-long lines, odd chunking), early talking,
// half-close, a chosen source address. Every read is bounded by a timeout; a closed
// connection fails a pending read at once with what was left unparsed.

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';

/** One SMTP reply; `enhanced` is the RFC 3463 code of the last line, if any. */
export interface Reply {
  code: number;
  enhanced?: string;
  /** Every line as received, code included. */
  lines: string[];
  /** The lines' text after "NNN-" / "NNN ", joined with "\n". */
  text: string;
}

export interface ConnectOptions {
  host?: string;
  /** Source address of the client socket (e.g. 127.0.0.2 to play a second client). */
  localAddress?: string;
  /** Implicit TLS (port 465 style). */
  tls?: boolean;
  /** SNI name for TLS; default mx.rampart.test. */
  servername?: string;
  allowHalfOpen?: boolean;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class SmtpClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.listen(socket);
  }

  /** Connects (plain TCP, or implicit TLS with `tls: true`); rejects on error or after the timeout. */
  static async connect(port: number, opts: ConnectOptions = {}): Promise<SmtpClient> {
    const host = opts.host ?? '127.0.0.1';
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const c = await new Promise<SmtpClient>((resolve, reject) => {
      const s = netConnect({ port, host, localAddress: opts.localAddress, allowHalfOpen: opts.allowHalfOpen }, () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        resolve(new SmtpClient(s));
      });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    if (opts.tls) {
      try {
        await c.startTls({ servername: opts.servername, timeoutMs });
      } catch (e) {
        c.close();
        throw e;
      }
    }
    return c;
  }

  private listen(s: Socket): void {
    s.on('data', this.onData);
    s.on('close', this.onClose);
    s.on('error', () => {}); // a reset shows as `closed`
  }

  private onData = (d: Buffer) => {
    this.buf = Buffer.concat([this.buf, d]);
    this.wake();
  };

  private onClose = () => {
    this.closed = true;
    this.wake();
  };

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  /** Bytes received and not yet parsed as a reply (for "nothing else was sent" checks). */
  get pending(): string {
    return this.buf.toString('latin1');
  }

  /** Sends bytes exactly as given: strings as UTF-8, no CRLF added. */
  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  /** Sends one command line, CRLF added. */
  send(line: string): void {
    this.write(line + '\r\n');
  }

  /** Reads one complete (possibly multi-line) reply; rejects on close or after the timeout. */
  async reply(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.parse();
      if (r) return r;
      if (this.closed) throw new Error(`connection closed; unparsed: ${JSON.stringify(this.pending)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; unparsed: ${JSON.stringify(this.pending)}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  /** Reads `n` replies in order. */
  async replies(n: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Reply[]> {
    const out: Reply[] = [];
    for (let i = 0; i < n; i++) out.push(await this.reply(timeoutMs));
    return out;
  }

  /** Sends a command and reads its reply. */
  async cmd(line: string, timeoutMs?: number): Promise<Reply> {
    this.send(line);
    return this.reply(timeoutMs);
  }

  /** RFC 2920: sends the commands in one write, then reads one reply per command. */
  async pipeline(lines: string[], timeoutMs?: number): Promise<Reply[]> {
    this.write(lines.map((l) => l + '\r\n').join(''));
    return this.replies(lines.length, timeoutMs);
  }

  private parse(): Reply | undefined {
    const lines: string[] = [];
    let pos = 0;
    for (;;) {
      const nl = this.buf.indexOf('\r\n', pos);
      if (nl < 0) return undefined;
      const line = this.buf.subarray(pos, nl).toString('utf8');
      pos = nl + 2;
      lines.push(line);
      if (line[3] !== '-') break;
    }
    this.buf = this.buf.subarray(pos);
    const last = lines[lines.length - 1];
    const m = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})(?: |$)/.exec(last);
    return { code: Number(last.slice(0, 3)), enhanced: m?.[1], lines, text: lines.map((l) => l.slice(4)).join('\n') };
  }

  /** Resolves when the server has closed the connection; rejects after the timeout. */
  async waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`connection still open after ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  /** Upgrades this connection to TLS in place (after a 220 to STARTTLS). */
  startTls(opts: { servername?: string; timeoutMs?: number } = {}): Promise<void> {
    const raw = this.socket;
    raw.off('data', this.onData);
    raw.off('close', this.onClose);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`TLS handshake timed out after ${timeoutMs} ms`)), timeoutMs);
      const t: TLSSocket = tlsConnect({ socket: raw, rejectUnauthorized: false, servername: opts.servername ?? 'mx.rampart.test' }, () => {
        clearTimeout(timer);
        resolve();
      });
      t.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      this.socket = t;
      this.listen(t);
    });
  }

  /** The server's certificate, on a TLS connection (implicit or after startTls). */
  peerCertificate(): PeerCertificate {
    const s = this.socket as TLSSocket;
    if (typeof s.getPeerCertificate !== 'function') throw new Error('not a TLS connection');
    return s.getPeerCertificate();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connects, reads the 220 banner and says EHLO; returns the client and the EHLO reply. */
export async function ehloClient(port: number, name = 'client.test', opts: ConnectOptions = {}): Promise<{ c: SmtpClient; ehlo: Reply }> {
  const c = await SmtpClient.connect(port, opts);
  const banner = await c.reply();
  if (banner.code !== 220) throw new Error(`banner: ${banner.lines.join(' | ')}`);
  const ehlo = await c.cmd(`EHLO ${name}`);
  return { c, ehlo };
}

/** "code enhanced" of a reply ("-" when it has no enhanced code), for compact assertions. */
export const codes = (r: { code: number; enhanced?: string }) => `${r.code} ${r.enhanced ?? '-'}`;
