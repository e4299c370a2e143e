// The simulated client of `rampart check`: writes commands on its end of the
// in-memory connection and reads the replies as a real client does (multi-line
// replies, a closed connection), with STARTTLS through node:tls like any client.

import { connect as tlsConnect } from 'node:tls';
import { Duplex } from 'node:stream';

export interface SimReply {
  code: number;
  enhanced?: string;
  /** Text of each line, without the code, separator and enhanced code. */
  lines: string[];
  /** Each line as sent, after the code and separator (enhanced code included). */
  raw: string[];
}

const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3}) /;

export class SimClient {
  private buf = '';
  private waiting: (() => void) | undefined;
  private ended = false;
  private stream!: Duplex;

  constructor(stream: Duplex, private readonly timeoutMs: number) {
    this.attach(stream);
  }

  private attach(stream: Duplex): void {
    this.stream = stream;
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onEnd);
  }

  private onData = (d: Buffer) => {
    this.buf += d.toString('latin1');
    this.waiting?.();
  };

  private onEnd = () => {
    this.ended = true;
    this.waiting?.();
  };

  /** The next reply; undefined when the server closed the connection first. */
  async reply(): Promise<SimReply | undefined> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const r = this.parse();
      if (r) return r;
      if (this.ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${this.timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }

  private parse(): SimReply | undefined {
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
    const code = Number(lines[0].slice(0, 3));
    const texts = lines.map((l) => l.slice(4));
    const enhanced = ENHANCED.exec(texts[0])?.[1];
    return { code, enhanced, lines: enhanced ? texts.map((t) => t.replace(ENHANCED, '')) : texts, raw: texts };
  }

  get closed(): boolean {
    return this.ended;
  }

  send(data: string | Buffer): void {
    if (!this.ended) this.stream.write(data);
  }

  /** TLS over the connection (after the server's 220 to STARTTLS, or at once for implicit TLS). */
  async startTls(servername: string): Promise<string> {
    const raw = this.stream;
    raw.off('data', this.onData);
    raw.off('end', this.onEnd);
    raw.off('close', this.onEnd);
    raw.off('error', this.onEnd);
    // node:tls over a stream that has already been read from never completes its handshake
    // (Node 20): it gets a fresh stream of its own, fed from the connection.
    const bridge = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        raw.write(chunk);
        cb();
      },
      final(cb) {
        raw.end();
        cb();
      },
    });
    raw.on('data', (d: Buffer) => bridge.push(d));
    raw.on('end', () => bridge.push(null));
    const secure = tlsConnect({ socket: bridge, servername, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.attach(secure);
    return secure.getProtocol() ?? 'TLS';
  }

  end(): void {
    this.stream.end();
  }
}
