// The load itself: C workers, each opening a connection, sending up to M
// messages on it (MAIL/RCPT/DATA pipelined in one write, or one command at a
// time), then QUIT, until N messages have been sent or the time limit passes.
// A transaction's latency runs from writing MAIL FROM to the reply after the
// final dot; only a 250 there counts as a message sent.

import { SmtpConn, replyText, type Reply } from './smtp-conn.js';
import type { MessageFactory } from './message.js';
import { HOST, SINK } from './server-process.js';

export const SENDER = 'sender@client.bench.test';
/** Any single read waits at most this long without traffic. */
export const IO_TIMEOUT_MS = 30000;

export interface LoadSettings {
  port: number;
  messages: number;
  concurrency: number;
  perConnection: number;
  pipelining: boolean;
  /** Absolute time (Date.now()) after which no new transaction starts. */
  deadline: number;
  /** Recipient of every message (default the local sink mailbox; a remote address in relay mode). */
  rcpt?: string;
  /** Called with the message number and performance.now() when its 250 after the data arrives. */
  onAccepted?: (n: number, at: number) => void;
}

export interface LoadResult {
  ok: number;
  errors: number;
  /** Distinct error descriptions with their counts, in order of first appearance. */
  errorKinds: Map<string, number>;
  /** Connections that could not be opened or greeted (no message was lost with them). */
  connectErrors: number;
  connections: number;
  /** Latency of each successful transaction, ms (length = ok). */
  latenciesMs: Float64Array;
  elapsedMs: number;
  stoppedByTimeLimit: boolean;
  aborted?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Strips queue ids and numbers so equal errors group together. */
function errorKey(stage: string, detail: string): string {
  return `${stage}: ${detail.replace(/queued as \S+/g, 'queued as …').slice(0, 300)}`;
}

/** Opens a connection and greets it with EHLO; returns the connection or an error description. */
export async function openSession(port: number, helo = 'client.bench.test'): Promise<SmtpConn | string> {
  let conn: SmtpConn;
  try {
    conn = await SmtpConn.open(port, HOST, IO_TIMEOUT_MS);
  } catch (e) {
    return `connect: ${(e as Error).message}`;
  }
  try {
    const greet = await conn.reply();
    if (greet.code !== 220) {
      conn.destroy();
      return `greeting: ${replyText(greet)}`;
    }
    const ehlo = await conn.command(`EHLO ${helo}`);
    if (ehlo.code !== 250) {
      conn.destroy();
      return `EHLO: ${replyText(ehlo)}`;
    }
    for (const l of ehlo.lines.slice(1)) conn.extensions.add(l.slice(4).split(' ')[0].toUpperCase());
    return conn;
  } catch (e) {
    conn.destroy();
    return `greeting/EHLO: ${(e as Error).message}`;
  }
}

export async function runLoad(s: LoadSettings, factory: MessageFactory): Promise<LoadResult> {
  const latencies = new Float64Array(s.messages);
  const res: LoadResult = {
    ok: 0,
    errors: 0,
    errorKinds: new Map(),
    connectErrors: 0,
    connections: 0,
    latenciesMs: latencies,
    elapsedMs: 0,
    stoppedByTimeLimit: false,
  };
  const maxConnectErrors = Math.max(20, s.concurrency * 2);
  let next = 0;
  /** Messages claimed for a connection that could not be opened: sent by the next connection. */
  const returned: number[] = [];
  let abort: string | undefined;

  const fail = (stage: string, detail: string) => {
    res.errors++;
    const k = errorKey(stage, detail);
    res.errorKinds.set(k, (res.errorKinds.get(k) ?? 0) + 1);
  };

  /** Claims the next message number, or undefined when done / out of time / aborted. */
  const claim = (): number | undefined => {
    if (abort || (next >= s.messages && returned.length === 0)) return undefined;
    if (Date.now() >= s.deadline) {
      res.stoppedByTimeLimit = true;
      return undefined;
    }
    return returned.pop() ?? next++;
  };

  const mailCmd = `MAIL FROM:<${SENDER}> SIZE=${factory.size}\r\n`;
  const rcptCmd = `RCPT TO:<${s.rcpt ?? SINK}>\r\n`;
  const pipelined = mailCmd + rcptCmd + 'DATA\r\n';

  /** One transaction; returns false when the connection can no longer be used. */
  const transaction = async (conn: SmtpConn, n: number): Promise<boolean> => {
    const t0 = performance.now();
    let mail: Reply, rcpt: Reply, data: Reply;
    try {
      if (s.pipelining) {
        conn.write(pipelined);
        mail = await conn.reply();
        rcpt = await conn.reply();
        data = await conn.reply();
      } else {
        conn.write(mailCmd);
        mail = await conn.reply();
        if (mail.code !== 250) {
          fail('MAIL', replyText(mail));
          return resetOk(conn);
        }
        conn.write(rcptCmd);
        rcpt = await conn.reply();
        if (rcpt.code !== 250) {
          fail('RCPT', replyText(rcpt));
          return resetOk(conn);
        }
        conn.write('DATA\r\n');
        data = await conn.reply();
      }
    } catch (e) {
      fail('envelope', (e as Error).message);
      return false;
    }
    if (data.code !== 354) {
      fail('envelope', `MAIL ${replyText(mail)}; RCPT ${replyText(rcpt)}; DATA ${replyText(data)}`);
      return resetOk(conn);
    }
    let end: Reply;
    try {
      conn.writeAll(factory.wire(n));
      end = await conn.reply();
    } catch (e) {
      fail('end of data', (e as Error).message);
      return false;
    }
    if (end.code === 250) {
      const at = performance.now();
      latencies[res.ok++] = at - t0;
      s.onAccepted?.(n, at);
      return true;
    }
    fail('end of data', replyText(end));
    return !conn.closed;
  };

  const resetOk = async (conn: SmtpConn): Promise<boolean> => {
    try {
      return (await conn.command('RSET')).code === 250;
    } catch {
      return false;
    }
  };

  const worker = async (): Promise<void> => {
    // The first message of a connection is claimed before connecting, so no connection is opened for nothing.
    for (let first = claim(); first !== undefined; first = claim()) {
      const conn = await openSession(s.port);
      if (typeof conn === 'string') {
        returned.push(first);
        res.connectErrors++;
        const k = errorKey('connection', conn);
        res.errorKinds.set(k, (res.errorKinds.get(k) ?? 0) + 1);
        if (res.connectErrors >= maxConnectErrors) abort = `${res.connectErrors} connections failed; giving up`;
        await sleep(50);
        continue;
      }
      res.connections++;
      if (s.pipelining && !conn.extensions.has('PIPELINING')) {
        returned.push(first);
        abort = 'the server does not advertise PIPELINING; run with --no-pipelining';
        conn.destroy();
        break;
      }
      let usable = await transaction(conn, first);
      for (let sent = 1; usable && sent < s.perConnection; sent++) {
        const n = claim();
        if (n === undefined) break;
        usable = await transaction(conn, n);
      }
      if (usable) await conn.quit();
      else conn.destroy();
    }
  };

  const t0 = performance.now();
  await Promise.all(Array.from({ length: s.concurrency }, worker));
  res.elapsedMs = performance.now() - t0;
  res.latenciesMs = latencies.subarray(0, res.ok);
  res.aborted = abort;
  return res;
}

export interface LatencyStats {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of the successful transactions. */
export function latencyStats(ms: Float64Array): LatencyStats {
  if (ms.length === 0) return { p50: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(ms).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50: at(50), p99: at(99), max: sorted[sorted.length - 1], mean: sum / sorted.length };
}
