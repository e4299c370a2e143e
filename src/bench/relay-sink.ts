// The receiving end of `npm run bench -- --relay`: a minimal pipelining SMTP
// server on loopback, in the bench process, that takes every message, notes when
// each arrived (by the number in its Subject, so time in queue can be measured
// against the moment the client got its 250) and counts connections. It answers
// at once and keeps no message data beyond the first kilobyte.

import net, { type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

const SUBJECT = /Subject: Rampart benchmark message (\d+)/;
const END = Buffer.from('\r\n.\r\n');

export interface RelaySink {
  port: number;
  /** Messages taken (250 after the data). */
  received: number;
  /** Messages whose number arrived more than once. */
  duplicates: number;
  /** performance.now() of each message's arrival, by message number (NaN until it comes). */
  arrivals: Float64Array;
  connections: number;
  maxConcurrent: number;
  stop(): Promise<void>;
}

export async function startRelaySink(messages: number): Promise<RelaySink> {
  const sockets = new Set<Socket>();
  const sink: RelaySink = { port: 0, received: 0, duplicates: 0, arrivals: new Float64Array(messages).fill(NaN), connections: 0, maxConcurrent: 0, stop: async () => {} };
  const server = net.createServer((s) => {
    sockets.add(s);
    sink.connections++;
    sink.maxConcurrent = Math.max(sink.maxConcurrent, sockets.size);
    s.setNoDelay(true);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    serve(s, sink);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  sink.port = (server.address() as net.AddressInfo).port;
  sink.stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return sink;
}

function serve(s: Socket, sink: RelaySink): void {
  let buf: Buffer = Buffer.alloc(0);
  let inData = false;
  let head = '';
  s.write('220 sink.bench.test ESMTP\r\n');

  const arrived = () => {
    sink.received++;
    const m = SUBJECT.exec(head);
    const n = m ? Number(m[1]) : -1;
    if (n >= 0 && n < sink.arrivals.length) {
      if (Number.isNaN(sink.arrivals[n])) sink.arrivals[n] = performance.now();
      else sink.duplicates++;
    }
  };

  s.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let out = '';
    for (;;) {
      if (inData) {
        const end = buf.indexOf(END);
        if (head.length < 1024) head += buf.subarray(0, Math.min(buf.length, 1024)).toString('latin1');
        if (end < 0) {
          buf = buf.subarray(Math.max(0, buf.length - 4)); // the terminator may be split
          break;
        }
        buf = buf.subarray(end + END.length);
        inData = false;
        arrived();
        out += '250 2.0.0 taken\r\n';
        continue;
      }
      const lf = buf.indexOf('\r\n');
      if (lf < 0) break;
      const verb = buf.subarray(0, Math.min(lf, 4)).toString('latin1').toUpperCase();
      buf = buf.subarray(lf + 2);
      if (verb === 'EHLO') out += '250-sink.bench.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 209715200\r\n';
      else if (verb === 'DATA') {
        inData = true;
        head = '';
        out += '354 go on\r\n';
      } else if (verb === 'QUIT') {
        s.end('221 2.0.0 bye\r\n');
        return;
      } else out += '250 2.0.0 ok\r\n'; // MAIL, RCPT, RSET, NOOP
    }
    if (out) s.write(out);
  });
}
