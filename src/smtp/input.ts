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
// Shared results: a waiting read allocates nothing it does not need.
const EOF = Object.freeze({ kind: 'eof' as const });
const TIMEOUT = Object.freeze({ kind: 'timeout' as const });

export class SocketInput {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Chunks that arrived while `buf` was still being read, in order; joined only when a line spans them. */
  private later: Buffer[] | undefined; // created on first use: an idle connection carries no array
  private laterBytes = 0;
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
    if (this.pos >= this.buf.length && !this.later?.length) {
      this.buf = chunk;
      this.pos = 0;
    } else {
      // No copy: a large message arriving while the last chunk is still being stored piles up here.
      (this.later ??= []).push(chunk);
      this.laterBytes += chunk.length;
    }
    if (this.buffered > this.highWater && this.socket && !this.paused) {
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
    return this.buf.length - this.pos + this.laterBytes;
  }

  /** Drops everything buffered (RFC 3207: input pipelined after STARTTLS must be discarded). */
  discard(): void {
    this.buf = EMPTY;
    this.pos = 0;
    this.later = undefined;
    this.laterBytes = 0;
  }

  /** Puts bytes back in front (the part of a chunk after the end of DATA). */
  unshift(b: Buffer): void {
    if (b.length === 0) return;
    this.buf = this.pos >= this.buf.length ? b : Buffer.concat([b, this.buf.subarray(this.pos)]);
    this.pos = 0;
  }

  /** `buf` is used up: the next queued chunk becomes `buf`. False when none is queued. */
  private nextChunk(): boolean {
    const next = this.later?.shift();
    if (!next) return false;
    this.laterBytes -= next.length;
    this.buf = next;
    this.pos = 0;
    return true;
  }

  /** Appends the next queued chunk to what is left of `buf` (a line that spans chunks). False when none is queued. */
  private joinNext(): boolean {
    const next = this.later?.shift();
    if (!next) return false;
    this.laterBytes -= next.length;
    this.buf = this.pos >= this.buf.length ? next : Buffer.concat([this.buf.subarray(this.pos), next]);
    this.pos = 0;
    return true;
  }

  private resumeIfDrained(): void {
    if (this.paused && this.buffered <= this.highWater) {
      this.paused = false;
      this.socket?.resume();
    }
  }

  /**
   * Runs `attempt` now and again after each arrival of input, until it gives a result,
   * the peer ends, or the time runs out. The pending read is one promise resolved from
   * the socket's callbacks (no chain of suspended async functions per idle connection).
   */
  private pull<T>(attempt: () => T | undefined, eof: T, timeout: T, timeoutMs: number): T | Promise<T> {
    const first = attempt();
    if (first !== undefined) return first;
    if (this.ended) return eof;
    return new Promise<T>((resolve) => {
      const finish = (v: T) => {
        clearTimeout(timer);
        this.waiter = undefined;
        this.drainWaiter = undefined;
        resolve(v);
      };
      const retry = () => {
        const r = attempt();
        if (r !== undefined) finish(r);
        else if (this.ended) finish(eof);
        else this.park(retry);
      };
      const timer = setTimeout(() => finish(timeout), timeoutMs);
      this.park(retry);
    });
  }

  /** Before waiting: flush replies, and read more only once the peer has taken them. */
  private park(retry: () => void): void {
    this.onIdle();
    const s = this.socket;
    if (s?.writableNeedDrain) {
      // The peer is not reading our replies: read no more commands until it does, so replies
      // (up to ~19 times the size of the commands, e.g. EHLO) never pile up in memory. A peer
      // that stays stuck for the whole timeout is treated as timed out.
      const onDrain = () => {
        s.off('drain', onDrain);
        s.off('close', onDrain);
        this.drainWaiter = undefined;
        retry();
      };
      s.once('drain', onDrain);
      s.once('close', onDrain);
      this.drainWaiter = onDrain; // end() (the session closed) stops the wait at once
      return;
    }
    this.resumeIfDrained();
    this.waiter = retry;
  }

  /**
   * Reads one line ending in LF (returned without CRLF/LF). `bareLf` is set when the
   * LF was not preceded by CR, `bareCr` when a CR appears elsewhere in the line.
   * A line longer than `maxLen` octets is discarded up to its LF and reported as too-long.
   */
  readLine(maxLen: number, timeoutMs: number): LineRead | Promise<LineRead> {
    let skipping = false;
    const attempt = (): LineRead | undefined => {
      let lf = this.buf.indexOf(LF, this.pos);
      while (lf < 0 && !skipping && this.buf.length - this.pos <= maxLen && this.joinNext()) lf = this.buf.indexOf(LF, this.pos);
      while (lf < 0 && skipping && this.nextChunk()) lf = this.buf.indexOf(LF, this.pos);
      if (lf >= 0) {
        const start = this.pos;
        this.pos = lf + 1;
        this.resumeIfDrained();
        if (skipping || lf + 1 - start > maxLen) return { kind: 'too-long' };
        const hasCr = lf > start && this.buf[lf - 1] === CR;
        const line = this.buf.subarray(start, hasCr ? lf - 1 : lf);
        if (this.pos >= this.buf.length && !this.later?.length) this.discard(); // an idle session keeps no input buffer
        return { kind: 'line', line, bareLf: !hasCr, bareCr: line.includes(CR), length: lf + 1 - start };
      }
      if (this.buffered > maxLen) {
        skipping = true; // keep reading until the LF, without storing the line
        this.pos = this.buf.length;
        while (this.nextChunk()) {
          const at = this.buf.indexOf(LF, this.pos);
          if (at >= 0) {
            this.pos = at + 1;
            this.resumeIfDrained();
            return { kind: 'too-long' };
          }
          this.pos = this.buf.length;
        }
      }
      return undefined;
    };
    return this.pull<LineRead>(attempt, EOF, TIMEOUT, timeoutMs);
  }

  /** Reads whatever is buffered (waiting for input if nothing is), at most `max` octets. */
  readChunk(timeoutMs: number, max = Infinity): ChunkRead | Promise<ChunkRead> {
    const attempt = (): ChunkRead | undefined => {
      if (this.pos >= this.buf.length && !this.nextChunk()) return undefined;
      const end = Math.min(this.buf.length, this.pos + max);
      const chunk = this.buf.subarray(this.pos, end);
      this.pos = end;
      this.resumeIfDrained();
      return { kind: 'chunk', chunk };
    };
    return this.pull<ChunkRead>(attempt, EOF, TIMEOUT, timeoutMs);
  }

  /** True when input is already buffered, without waiting (early-talker test). */
  get hasInput(): boolean {
    return this.buffered > 0;
  }
}
