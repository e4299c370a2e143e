// A small, fast SMTP client connection over node:net for the load generator.
// Replies are parsed incrementally (multi-line "250-" continuations) and queued;
// reply() hands them out in order, so a pipelined group is sent with one write
// and its replies are then read one after another. A connection that sees no
// traffic for `idleTimeoutMs` is destroyed, which fails any pending reply: no
// read can wait forever.

import { connect, type Socket } from 'node:net';

export interface Reply {
  code: number;
  lines: string[];
}

export function replyText(r: Reply): string {
  return r.lines.join(' | ');
}

export class SmtpConn {
  private buf = '';
  private lines: string[] = [];
  private readonly ready: Reply[] = [];
  private waiter: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  closed = false;
  /** EHLO keywords the server advertised (upper case, first word of each line after the first). */
  readonly extensions = new Set<string>();

  private constructor(readonly socket: Socket, idleTimeoutMs: number) {
    socket.setEncoding('latin1');
    socket.setNoDelay(true);
    socket.setTimeout(idleTimeoutMs, () => socket.destroy(new Error(`no traffic for ${idleTimeoutMs} ms`)));
    socket.on('data', (d: string) => this.onData(d));
    socket.on('error', (e) => {
      this.failure ??= e;
    });
    socket.on('close', () => {
      this.closed = true;
      this.failure ??= new Error('connection closed by server');
      const w = this.waiter;
      this.waiter = undefined;
      w?.reject(new Error(`${this.failure.message}${this.buf ? `; unparsed ${JSON.stringify(this.buf.slice(0, 200))}` : ''}`));
    });
  }

  /** Connects; rejects on error or when the connection is not up within `timeoutMs`. */
  static open(port: number, host: string, timeoutMs: number): Promise<SmtpConn> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host });
      const t = setTimeout(() => s.destroy(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
      s.once('connect', () => {
        clearTimeout(t);
        s.removeAllListeners('error');
        resolve(new SmtpConn(s, timeoutMs));
      });
    });
  }

  private onData(d: string): void {
    this.buf += d;
    let pos = 0;
    for (;;) {
      const nl = this.buf.indexOf('\r\n', pos);
      if (nl < 0) break;
      const line = this.buf.slice(pos, nl);
      pos = nl + 2;
      this.lines.push(line);
      if (line.charCodeAt(3) !== 45 /* '-' */) {
        const r: Reply = { code: Number(line.slice(0, 3)) || 0, lines: this.lines };
        this.lines = [];
        const w = this.waiter;
        if (w) {
          this.waiter = undefined;
          w.resolve(r);
        } else this.ready.push(r);
      }
    }
    if (pos) this.buf = this.buf.slice(pos);
  }

  /** The next reply, in order. */
  reply(): Promise<Reply> {
    const r = this.ready.shift();
    if (r) return Promise.resolve(r);
    if (this.closed) return Promise.reject(this.failure ?? new Error('connection closed'));
    if (this.waiter) return Promise.reject(new Error('reply() called twice'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Several buffers in one segment where possible (writev). */
  writeAll(bufs: Buffer[]): void {
    this.socket.cork();
    for (const b of bufs) this.socket.write(b);
    this.socket.uncork();
  }

  async command(line: string): Promise<Reply> {
    this.write(line + '\r\n');
    return this.reply();
  }

  /** QUIT politely (bounded by the idle timeout), then close. */
  async quit(): Promise<void> {
    if (this.closed) return;
    try {
      this.write('QUIT\r\n');
      await this.reply();
    } catch {
      // the server may close first; nothing to count
    }
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
