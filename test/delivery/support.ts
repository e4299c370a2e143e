// Shared parts of the outbound transport tests: a transport wired to the
// in-process DNS server, channels built through the real config validation,
// queued-message stand-ins read from memory, a self-signed certificate, and an
// smtp-server sink that records what it received.

import { Readable, Writable } from 'node:stream';
import { generate } from 'selfsigned';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { validateConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { NodeDnsResolver } from '../../src/dns/resolver.js';
import { createSmtpTransport } from '../../src/delivery/smtp-transport.js';
import type { Channel } from '../../src/config/channels-schema.js';
import type { DeliveryTimeouts, ConnectionCache } from '../../src/config/delivery-network-schema.js';
import type { OutboundMessage, OutboundRecipient, RecipientResult, Transport } from '../../src/delivery/types.js';
import type { Endpoint } from '../../src/delivery/own-endpoints.js';
import { startDns, type TestDns, type Zone } from '../../src/bench/loopback-dns.js';

export const FAST: DeliveryTimeouts = { connectMs: 2000, greetingMs: 2000, heloMs: 2000, mailMs: 2000, rcptMs: 2000, dataInitMs: 2000, dataBlockMs: 2000, dataDoneMs: 2000 };

export interface Harness {
  transport: Transport;
  dns: TestDns;
  logs: Array<Record<string, unknown>>;
  own: Endpoint[];
  stop(): Promise<void>;
}

export async function harness(zone: Zone, o: { timeouts?: Partial<DeliveryTimeouts>; cache?: Partial<ConnectionCache>; own?: Endpoint[] } = {}): Promise<Harness> {
  const dns = await startDns(zone);
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const own = o.own ?? [];
  const settings = {
    hostname: 'rampart.test',
    timeouts: { ...FAST, ...o.timeouts },
    connectionCache: { idleMs: 2000, maxMessages: 100, maxAgeMs: 300_000, ...o.cache },
  };
  const transport = createSmtpTransport({
    dns: new NodeDnsResolver({ servers: [dns.server], timeoutMs: 1000, tries: 1 }),
    log: createLogger('debug', sink),
    ownEndpoints: () => own,
    settings: () => settings,
  });
  return {
    transport,
    dns,
    logs,
    own,
    async stop() {
      await transport.close();
      await dns.stop();
    },
  };
}

/** A channel as the config validation resolves it. */
export function channel(settings: Record<string, unknown> = {}, name = 'smtp'): Channel {
  const snap = validateConfig({ hostname: 'rampart.test', listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0 }], channels: { [name]: settings } }, 'test', '/tmp');
  return snap.channels[name];
}

export function message(o: { id?: string; from?: string; data?: string | Buffer; body?: string; smtputf8?: boolean; ret?: string; envid?: string } = {}): OutboundMessage {
  const data = Buffer.isBuffer(o.data) ? o.data : Buffer.from(o.data ?? 'Subject: test\r\nFrom: <a@sender.test>\r\n\r\nHello.\r\n', 'utf8');
  return {
    id: o.id ?? 'TESTID',
    mailFrom: o.from ?? 'a@sender.test',
    params: { body: o.body, smtputf8: o.smtputf8 ?? false, ret: o.ret, envid: o.envid },
    size: data.length,
    open: () => Readable.from([data]),
  };
}

export function rcpts(...addresses: Array<string | Partial<OutboundRecipient> & { address: string }>): OutboundRecipient[] {
  return addresses.map((a, index) => (typeof a === 'string' ? { index, address: a } : { index, ...a }));
}

/** Results ordered by recipient index, as "outcome status" for compact assertions. */
export function summary(results: RecipientResult[]): string[] {
  return [...results].sort((a, b) => a.index - b.index).map((r) => `${r.outcome} ${r.status}`);
}

export function byIndex(results: RecipientResult[]): RecipientResult[] {
  return [...results].sort((a, b) => a.index - b.index);
}

let cert: Promise<{ key: string; cert: string }> | undefined;
/** A self-signed certificate for peer.test (nobody verifies it: opportunistic TLS). */
export function selfSigned(): Promise<{ key: string; cert: string }> {
  cert ??= generate([{ name: 'commonName', value: 'peer.test' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notAfterDate: new Date(Date.now() + 86400_000) }).then((p) => ({ key: p.private, cert: p.cert }));
  return cert;
}

export interface SinkMessage {
  mailFrom: string;
  rcpts: string[];
  data: Buffer;
  secure: boolean;
  user?: string;
  mailArgs: Record<string, string> | false;
  rcptArgs: Array<Record<string, string> | false>;
}

export interface Sink {
  port: number;
  messages: SinkMessage[];
  connections: number;
  maxConcurrent: number;
  stop(): Promise<void>;
}

/** nodemailer's smtp-server as a receiving MTA on loopback (or a unix socket with lmtp). */
/**
 * A receiving SMTP server on loopback that records what it gets. `options` may
 * refine the envelope hooks (onRcptTo...); connect, close and data are the
 * sink's own. `dataDelayMs`: answer each end of data this much later (a slow peer).
 */
export async function startSink(options: Partial<SMTPServerOptions> = {}, where: { address?: string; port?: number; path?: string } = {}, behaviour: { dataDelayMs?: number } = {}): Promise<Sink> {
  const sink: Sink = { port: 0, messages: [], connections: 0, maxConcurrent: 0, stop: async () => {} };
  let open = 0;
  const server = new SMTPServer({
    disabledCommands: ['AUTH'],
    logger: false,
    ...options,
    onConnect(_s, cb) {
      sink.connections++;
      sink.maxConcurrent = Math.max(sink.maxConcurrent, ++open);
      cb();
    },
    onClose() {
      open--;
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        sink.messages.push({
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcpts: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks),
          secure: session.secure,
          user: session.user as string | undefined,
          mailArgs: session.envelope.mailFrom ? (session.envelope.mailFrom.args as Record<string, string> | false) : false,
          rcptArgs: session.envelope.rcptTo.map((r) => r.args as Record<string, string> | false),
        });
        if (behaviour.dataDelayMs) setTimeout(cb, behaviour.dataDelayMs);
        else cb();
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    if (where.path) server.listen(where.path, resolve);
    else server.listen(where.port ?? 0, where.address ?? '127.0.0.1', resolve);
  });
  const addr = server.server.address();
  sink.port = typeof addr === 'object' && addr ? addr.port : 0;
  sink.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}
