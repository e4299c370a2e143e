// Two connected in-memory sockets for the policy simulator: the server end looks
// like an accepted TCP connection from the simulated client address (what the
// session reads from a socket: remoteAddress, localAddress, ports, bytesRead), and
// STARTTLS works over it like over TCP (a TLSSocket wraps any duplex stream).

import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

export interface Ends {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

class PipeEnd extends Duplex {
  peer!: PipeEnd;
  bytesRead = 0;
  bytesWritten = 0;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;

  constructor(ends: Ends) {
    super({ allowHalfOpen: true });
    ({ remoteAddress: this.remoteAddress, remotePort: this.remotePort, localAddress: this.localAddress, localPort: this.localPort } = ends);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.bytesWritten += chunk.length;
    this.peer.bytesRead += chunk.length;
    this.peer.push(chunk);
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.peer.push(null);
    cb();
  }

  override _read(): void {}

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.push(null);
    cb(err);
  }

  // What the session and TLS may call on a net.Socket.
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/** [server end, client end]; the server end is typed as the Socket the session takes. */
export function socketPair(client: { ip: string; port: number }, server: { ip: string; port: number }): [Socket, Duplex] {
  const s = new PipeEnd({ remoteAddress: client.ip, remotePort: client.port, localAddress: server.ip, localPort: server.port });
  const c = new PipeEnd({ remoteAddress: server.ip, remotePort: server.port, localAddress: client.ip, localPort: client.port });
  s.peer = c;
  c.peer = s;
  return [s as unknown as Socket, c];
}
