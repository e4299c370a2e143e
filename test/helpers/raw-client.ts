// A raw SMTP client over a plain socket, for what real clients won't do:
// pipelining by hand, bare LF, early talking, over-long lines, odd chunking.

import { connect, type Socket } from 'node:net';

export interface SmtpReply {
  code: number;
  /** Enhanced code of the last line, if any. */
  enhanced?: string;
  lines: string[];
  text: string;
}

export class RawClient {
  private buf = '';
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Sends raw bytes as given (no CRLF added). */
  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Sends a command line with CRLF. */
  send(line: string): void {
    this.write(line + '\r\n');
  }

  /** Reads one complete (possibly multi-line) reply; rejects on close or timeout. */
  async reply(timeoutMs = 5000): Promise<SmtpReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.parseOne();
      if (r) return r;
      if (this.closed) throw new Error(`connection closed; unparsed: ${JSON.stringify(this.buf)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; buffer: ${JSON.stringify(this.buf)}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  private parseOne(): SmtpReply | undefined {
    const lines: string[] = [];
    let pos = 0;
    for (;;) {
      const nl = this.buf.indexOf('\r\n', pos);
      if (nl < 0) return undefined;
      const line = this.buf.slice(pos, nl);
      pos = nl + 2;
      lines.push(line);
      if (line[3] !== '-') break;
    }
    this.buf = this.buf.slice(pos);
    const last = lines[lines.length - 1];
    const code = Number(last.slice(0, 3));
    const m = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3}) /.exec(last);
    return { code, enhanced: m?.[1], lines, text: lines.map((l) => l.slice(4)).join('\n') };
  }

  /** Sends a command and returns its reply. */
  async cmd(line: string, timeoutMs?: number): Promise<SmtpReply> {
    this.send(line);
    return this.reply(timeoutMs);
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
