// Helpers for the size-limit tests: a streaming writer with back-pressure that stops
// when the server breaks the connection, message builders, and spool inspection.

import { readdirSync } from 'node:fs';
import { TestServer } from '../protocol/support.js';
import { sleep } from '../protocol/support.js';
import type { SmtpClient } from '../helpers/smtp-client.js';

/** A block of CRLF lines (no line starts with "."), `size` octets. */
export function lines(size: number, lineLen = 100): Buffer {
  const line = 'x'.repeat(lineLen - 2) + '\r\n';
  let s = '';
  while (s.length < size) s += line;
  return Buffer.from(s.slice(0, size), 'latin1');
}

/** A message of exactly `size` octets ending with CRLF (size >= 30). */
export function message(size: number, subject = 'test'): Buffer {
  const head = Buffer.from(`Subject: ${subject}\r\n\r\n`, 'latin1');
  const body = lines(size - head.length);
  const m = Buffer.concat([head, body]);
  m[m.length - 2] = 13;
  m[m.length - 1] = 10;
  return m;
}

export interface StreamResult {
  /** Octets handed to the socket before it closed (or all of them). */
  sent: number;
  /** True when the server closed the connection before everything was sent. */
  cut: boolean;
}

/**
 * Writes `total` octets of content lines as fast as the socket takes them, honouring
 * back-pressure, and stops when the connection closes. Bounded by `timeoutMs`.
 */
export async function stream(c: SmtpClient, total: number, timeoutMs = 20000): Promise<StreamResult> {
  const block = lines(256 * 1024);
  const s = c.socket;
  const deadline = Date.now() + timeoutMs;
  let sent = 0;
  while (sent < total) {
    if (c.closed || s.destroyed) return { sent, cut: true };
    if (Date.now() > deadline) throw new Error(`stream: still sending after ${timeoutMs} ms (${sent} octets)`);
    const n = Math.min(block.length, total - sent);
    const ok = s.write(n === block.length ? block : block.subarray(0, n));
    sent += n;
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = () => {
          s.off('drain', done);
          s.off('close', done);
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(done, 1000);
        s.on('drain', done);
        s.on('close', done);
      });
    }
  }
  return { sent, cut: false };
}

/** Files in spool/incoming and spool/queue (waits briefly for an abort's unlink to land). */
export async function spoolFiles(ts: TestServer, waitMs = 2000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const files = [...readdirSync(ts.server.spool.incomingDir), ...readdirSync(ts.server.spool.queueDir)];
    if (files.length === 0 || Date.now() > deadline) return files;
    await sleep(25);
  }
}

/** Decision log lines of one check. */
export function decisions(ts: TestServer, check: string): Array<Record<string, unknown>> {
  return ts.logs.filter((l) => l.event === 'decision' && l.check === check);
}
