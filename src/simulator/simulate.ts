// `rampart check` (Exim -bh): one SMTP session through the real session code
// (src/smtp/session.ts) and the real policy engine and checks, against a
// configuration snapshot, over an in-memory connection: no listener is bound,
// nothing is queued (the message goes to a sink that keeps it in memory for the
// end-of-data checks), and shared-state writes stay in memory (OverlayStore)
// unless `record`. Every check the runner runs is reported with its verdict or
// "no opinion", every guard decision and mark from the decision feed, and every
// reply the client got.

import { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import type { Listener, Snapshot } from '../config/load.js';
import type { Directory } from '../directory/store.js';
import type { SharedStore } from '../state/store.js';
import type { DnsResolver } from '../dns/resolver.js';
import type { AccessList } from '../state/access-list.js';
import type { SpoolEnvelope, MessageSink, Submitter } from '../core/submission.js';
import type { TlsProvider } from '../smtp/ports.js';
import { SmtpSession } from '../smtp/session.js';
import { upgradeToTls, tlsInfo } from '../smtp/session-auth.js';
import { PolicyEngine } from '../policy/session-policy.js';
import { PolicyRunner, CHECK_TIMEOUT_MS } from '../policy/runner.js';
import { builtinChecks } from '../policy/checks.js';
import { AbuseEvents } from '../policy/abuse.js';
import { DecisionEvents, type DecisionEvent } from '../policy/decision-events.js';
import { SpoolFreeSpace } from '../spool/free-space.js';
import { newQueueId } from '../spool/queue-id.js';
import { createLogger } from '../log/logger.js';
import type { Stage } from '../policy/types.js';
import { socketPair } from './pipe-socket.js';
import { SimClient, type SimReply } from './client.js';
import { join } from 'node:path';
import { existsSync } from 'node:fs';

export interface SimulationInput {
  ip: string;
  helo: string;
  /** Envelope sender ("" for the null sender). */
  from: string;
  rcpts: string[];
  /** Authenticate (AUTH PLAIN) as this user; the simulator vouches for the password, the directory for the user. */
  auth?: string;
  /** STARTTLS after EHLO. */
  tls?: boolean;
  /** SIZE= on MAIL FROM (and the generated message's size when no message is given). */
  size?: number;
  /** The message (RFC 5322, CRLF or LF line ends); default: a small generated one. */
  message?: Buffer;
  /** Listener to simulate (default: the first mx listener, else the first). */
  listener?: string;
}

export interface SimulationParts {
  config: Snapshot;
  directory: Directory;
  /** The shared store; wrap it in an OverlayStore unless the simulation should record. */
  store: SharedStore;
  dns: DnsResolver;
  access?: AccessList;
  tls: TlsProvider;
}

export type Step =
  | { kind: 'client'; line: string }
  | { kind: 'server'; reply: SimReply }
  | { kind: 'check'; stage: Stage; check: string; verdict: 'no opinion' | string; code?: number; enhanced?: string; text?: string; warn: boolean }
  | { kind: 'decision'; event: DecisionEvent }
  | { kind: 'mark'; event: DecisionEvent }
  | { kind: 'closed' }
  | { kind: 'tls'; protocol: string };

export interface SimulationResult {
  listener: string;
  steps: Step[];
  /** The replies the client got, in order. */
  replies: SimReply[];
  /** Whether the message was accepted at end of data (it was not queued: this is a simulation). */
  accepted: boolean;
}

const REPLY_TIMEOUT_MS = 60_000;
/** Largest generated message (octets). */
const MAX_GENERATED = 64 * 1024 * 1024;

/** A submitter that keeps the message in memory for the end-of-data checks and queues nothing. */
function sinkSubmitter(onCommit: () => void): Submitter {
  return {
    async begin(_env: SpoolEnvelope): Promise<MessageSink> {
      const chunks: Buffer[] = [];
      let size = 0;
      return {
        id: newQueueId(),
        get size() {
          return size;
        },
        write(chunk: Buffer) {
          chunks.push(chunk);
          size += chunk.length;
          return undefined;
        },
        stream: () => Readable.from([Buffer.concat(chunks)]),
        commit: async () => onCommit(),
        abort: async () => {
          chunks.length = 0;
        },
      };
    },
  };
}

/** The message the simulated client sends when none is given: valid RFC 5322, `size` octets when asked. */
export function generatedMessage(input: SimulationInput, hostname: string): Buffer {
  const head = [`From: <${input.from || `mailer-daemon@${input.helo}`}>`, `To: <${input.rcpts[0] ?? ''}>`, 'Subject: rampart check', `Date: ${new Date().toUTCString()}`, `Message-ID: <${newQueueId()}@${input.helo}>`, '', `A message of the policy simulator of ${hostname}.`, ''].join('\r\n');
  if (!input.size || input.size <= head.length) return Buffer.from(head);
  // Padded to the declared size, up to the largest size a server accepts (a SIZE above it is refused before DATA).
  const target = Math.min(input.size, MAX_GENERATED);
  const line = `${'x'.repeat(76)}\r\n`;
  return Buffer.from(head + line.repeat(Math.floor((target - head.length) / line.length)));
}

/** LF line ends as CRLF, and dot-stuffing (RFC 5321 4.5.2). */
function dataBlock(message: Buffer): Buffer {
  let text = message.toString('latin1').replace(/\r?\n/g, '\r\n');
  if (!text.endsWith('\r\n')) text += '\r\n';
  return Buffer.from(text.replace(/^\./gm, '..') + '.\r\n', 'latin1');
}

export function pickListener(config: Snapshot, name?: string): Listener {
  if (name) {
    const l = config.listeners.find((x) => x.name === name);
    if (!l) throw new Error(`no listener "${name}" (listeners: ${config.listeners.map((x) => x.name).join(', ')})`);
    return l;
  }
  return config.listeners.find((l) => l.kind === 'mx') ?? config.listeners[0];
}

export async function simulate(parts: SimulationParts, input: SimulationInput): Promise<SimulationResult> {
  const { config } = parts;
  const listener = pickListener(config, input.listener);
  const steps: Step[] = [];
  const replies: SimReply[] = [];
  let accepted = false;

  const events = new DecisionEvents();
  // Guards (pregreet, H5, size guards...) decide through finalize() outside the runner: the feed shows them.
  events.subscribe((e) => steps.push(e.action === 'mark' ? { kind: 'mark', event: e } : { kind: 'decision', event: e }));
  const runner = new PolicyRunner(builtinChecks, CHECK_TIMEOUT_MS, (stage, check, verdict, enforced) => {
    if (!verdict) return void steps.push({ kind: 'check', stage, check, verdict: 'no opinion', warn: false });
    // finalize() has just published this verdict: one line for it, under the decision's own name.
    const last = steps.at(-1);
    if (last?.kind === 'decision' && last.event.check === verdict.check) steps.pop();
    steps.push({ kind: 'check', stage, check: verdict.check, verdict: verdict.action, code: verdict.code, enhanced: verdict.enhanced, text: verdict.text, warn: enforced === undefined });
  });
  const discard = new Writable({ write: (_c, _e, cb) => cb() });
  const log = createLogger('info', discard);
  const policy = new PolicyEngine(runner, {
    directory: parts.directory,
    store: parts.store,
    dns: parts.dns,
    abuse: new AbuseEvents(),
    events,
    log,
    now: Date.now,
    access: parts.access,
    // The spool's file system; before a server ever ran, the data folder's (the spool will be there).
    spoolSpace: new SpoolFreeSpace(existsSync(join(config.dataDir, 'spool')) ? join(config.dataDir, 'spool') : config.dataDir),
  });
  const authUser = input.auth?.toLowerCase();
  const auth = {
    // The simulator stands in for the password; the user must exist, as for a real login.
    verify: async (user: string) => user.toLowerCase() === authUser && parts.directory.lookupRecipient(authUser.split('@')[0], authUser.split('@')[1] ?? '')?.kind === 'mailbox',
  };

  const local = { ip: listener.addresses[0], port: listener.port };
  const [serverEnd, clientEnd] = socketPair({ ip: input.ip, port: 50000 }, local);
  const client = new SimClient(clientEnd, REPLY_TIMEOUT_MS);
  const deps = { config, listener, policy, submitter: sinkSubmitter(() => (accepted = true)), auth, tls: parts.tls, log };

  let session: SmtpSession;
  let running: Promise<void>;
  if (listener.implicitTls) {
    const [secure, protocol] = await Promise.all([upgradeToTls(serverEnd, parts.tls.context(), config.timeouts.tlsHandshakeMs), client.startTls(config.hostname)]);
    if (!secure) throw new Error('the implicit TLS handshake failed');
    steps.push({ kind: 'tls', protocol });
    session = new SmtpSession(secure, deps);
    session.info.tls = tlsInfo(secure);
  } else session = new SmtpSession(serverEnd, deps);
  running = session.run();

  /** Reads one reply into the transcript; false when the connection closed. */
  const read = async (): Promise<SimReply | undefined> => {
    const r = await client.reply();
    if (!r) {
      steps.push({ kind: 'closed' });
      return undefined;
    }
    steps.push({ kind: 'server', reply: r });
    replies.push(r);
    return r;
  };
  const cmd = async (line: string, shown = line): Promise<SimReply | undefined> => {
    if (client.closed) return undefined;
    steps.push({ kind: 'client', line: shown });
    client.send(`${line}\r\n`);
    return read();
  };

  try {
    await script();
  } finally {
    client.end();
    await running;
  }
  return { listener: listener.name, steps, replies, accepted };

  async function script(): Promise<void> {
    const banner = await read();
    if (!banner || banner.code !== 220) return;
    let ehlo = await cmd(`EHLO ${input.helo}`);
    if (!ehlo) return;
    if (ehlo.code !== 250) ehlo = await cmd(`HELO ${input.helo}`);
    if (!ehlo || ehlo.code !== 250) return void (await cmd('QUIT'));
    if (input.tls && !listener.implicitTls) {
      const st = await cmd('STARTTLS');
      if (!st) return;
      if (st.code !== 220) return void (await cmd('QUIT'));
      steps.push({ kind: 'tls', protocol: await client.startTls(config.hostname) });
      const again = await cmd(`EHLO ${input.helo}`);
      if (!again || again.code !== 250) return void (await cmd('QUIT'));
    }
    if (input.auth) {
      const token = Buffer.from(`\0${input.auth}\0simulated`).toString('base64');
      const a = await cmd(`AUTH PLAIN ${token}`, 'AUTH PLAIN <credentials of the user>');
      if (!a) return;
      if (a.code !== 235) return void (await cmd('QUIT'));
    }
    const size = input.size !== undefined ? ` SIZE=${input.size}` : '';
    const mail = await cmd(`MAIL FROM:<${input.from}>${size}`);
    if (!mail) return;
    if (mail.code !== 250) return void (await cmd('QUIT'));
    let ok = 0;
    for (const r of input.rcpts) {
      const rc = await cmd(`RCPT TO:<${r}>`);
      if (!rc) return;
      if (rc.code === 250 || rc.code === 251) ok++;
    }
    if (!ok) return void (await cmd('QUIT'));
    const data = await cmd('DATA');
    if (!data) return;
    if (data.code !== 354) return void (await cmd('QUIT'));
    const message = input.message ?? generatedMessage(input, config.hostname);
    steps.push({ kind: 'client', line: `<message: ${message.length} octets>` });
    client.send(dataBlock(message));
    if (!(await read())) return;
    await cmd('QUIT');
  }
}
