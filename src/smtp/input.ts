// Pull-based reader over a socket. The session asks for one line (or one chunk
// during DATA/BDAT) at a time and only asks again after it has answered, so
// pipelined commands are answered in order, and when unread input piles up the
// socket is paused: TCP gives the client back-pressure for free.

import type { Socket } from 'node:net';

export type LineRead =
  | { kind: 'line'; line: Buffer; bareLf: boolean; bareCr: boolean; length: number }
  | { kind: 'too-long' }
  | { kind: 'timeout' }
  | { kind: 'eof' };

export type ChunkRead = { kind: 'chunk'; chunk: Buffer } | { kind: 'timeout' } | { kind: 'eof' };

const LF = 10;
const CR = 13;
const EMPTY = Buffer.alloc(0);

export class SocketInput {
  private buf: Buffer = EMPTY;
  private pos = 0;
  private ended = false;
  private waiter: (() => void) | undefined;
  private drainWaiter: (() => void) | undefined;
  private socket: Socket | undefined;
  private paused = false;
  /** Called when the buffer is about to be waited on: the session flushes its replies. */
  onIdle: () => void = () => {};

  constructor(private readonly highWater: number) {}

  attach(socket: Socket): void {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
  }

  detach(): void {
    const s = this.socket;
    if (!s) return;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('close', this.onEnd);
    this.socket = undefined;
  }

  private onData = (chunk: Buffer): void => {
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
      this.pos = 0;
    }
    if (this.buf.length - this.pos > this.highWater && this.socket && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.wake();
  };

  /** No more input will be read (the session closed the connection): wakes a pending read with eof. */
  end(): void {
    this.ended = true;
    this.wake();
    this.drainWaiter?.();
  }

  private onEnd = (): void => {
    this.ended = true;
    this.wake();
  };

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Bytes received but not yet consumed. */
  get buffered(): number {
    return this.buf.length - this.pos;
  }

  /** Drops everything buffered (RFC 3207: input pipelined after STARTTLS must be discarded). */
  discard(): void {
    this.buf = EMPTY;
    this.pos = 0;
  }

  /** Puts bytes back in front (the part of a chunk after the end of DATA). */
  unshift(b: Buffer): void {
    if (b.length === 0) return;
    this.buf = this.pos >= this.buf.length ? b : Buffer.concat([b, this.buf.subarray(this.pos)]);
    this.pos = 0;
  }

  private resumeIfDrained(): void {
    if (this.paused && this.buffered <= this.highWater) {
      this.paused = false;
      this.socket?.resume();
    }
  }

  /** Waits until more input arrives, the peer closes, or the timeout passes. */
  private wait(timeoutMs: number): Promise<boolean> {
    this.onIdle();
    const s = this.socket;
    if (s?.writableNeedDrain && !this.ended) return this.waitDrain(s, timeoutMs);
    this.resumeIfDrained();
    if (this.ended) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(false);
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  /**
   * The peer is not reading our replies: read no more commands until it does, so replies
   * (up to ~19 times the size of the commands, e.g. EHLO) never pile up in memory. A peer
   * that stays stuck for the whole timeout is treated as timed out.
   */
  private waitDrain(s: Socket, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        s.off('drain', onDrain);
        s.off('close', onDrain);
        this.drainWaiter = undefined;
        resolve(ok);
      };
      const onDrain = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      s.once('drain', onDrain);
      s.once('close', onDrain);
      this.drainWaiter = onDrain; // end() (the session closed) stops the wait at once
    });
  }

  /**
   * Reads one line ending in LF (returned without CRLF/LF). `bareLf` is set when the
   * LF was not preceded by CR, `bareCr` when a CR appears elsewhere in the line.
   * A line longer than `maxLen` octets is discarded up to its LF and reported as too-long.
   */
  async readLine(maxLen: number, timeoutMs: number): Promise<LineRead> {
    let skipping = false;
    for (;;) {
      const lf = this.buf.indexOf(LF, this.pos);
      if (lf >= 0) {
        const start = this.pos;
        this.pos = lf + 1;
        this.resumeIfDrained();
        if (skipping || lf + 1 - start > maxLen) return { kind: 'too-long' };
        const hasCr = lf > start && this.buf[lf - 1] === CR;
        const line = this.buf.subarray(start, hasCr ? lf - 1 : lf);
        return { kind: 'line', line, bareLf: !hasCr, bareCr: line.includes(CR), length: lf + 1 - start };
      }
      if (this.buffered > maxLen) {
        skipping = true; // keep reading until the LF, without storing the line
        this.pos = this.buf.length;
      }
      if (this.ended) return { kind: 'eof' };
      if (!(await this.wait(timeoutMs))) return { kind: 'timeout' };
    }
  }

  /** Reads whatever is buffered (waiting for input if nothing is). */
  async readChunk(timeoutMs: number, max = Infinity): Promise<ChunkRead> {
    for (;;) {
      if (this.buffered > 0) {
        const end = Math.min(this.buf.length, this.pos + max);
        const chunk = this.buf.subarray(this.pos, end);
        this.pos = end;
        this.resumeIfDrained();
        return { kind: 'chunk', chunk };
      }
      if (this.ended) return { kind: 'eof' };
      if (!(await this.wait(timeoutMs))) return { kind: 'timeout' };
    }
  }

  /** True when input is already buffered, without waiting (early-talker test). */
  get hasInput(): boolean {
    return this.buffered > 0;
  }
}
