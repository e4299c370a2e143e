// A scripted SMTP/LMTP peer on loopback (TCP or a unix socket) for tests of
// the outbound transport: it answers chosen replies per command and per
// recipient, and can misbehave on purpose — stay silent, answer slowly, send
// garbage or an endless line, drop the connection in the middle of DATA, offer
// STARTTLS with a self-signed certificate or a broken TLS. It records what it
// saw: commands, which of them arrived together (pipelining), messages.

import net, { type Socket } from 'node:net';
import tls from 'node:tls';

export interface PeerMessage {
  mailFrom: string;
  rcpts: string[];
  data: Buffer;
}

export interface PeerSession {
  commands: string[];
  /** Command lines grouped by the read that brought them (a PIPELINING batch arrives together). */
  batches: string[][];
  messages: PeerMessage[];
  secure: boolean;
}

/** A reply line(s) to send, "silent" (answer nothing), or "drop" (close the connection). */
export type Answer = string | 'silent' | 'drop';

export interface PeerScript {
  /** Greeting; "silent" never greets. Default "220 peer.test ESMTP". */
  greeting?: Answer;
  /** EHLO/LHLO extensions (default PIPELINING, 8BITMIME, SIZE, ENHANCEDSTATUSCODES), or a refusal like "502 5.5.1 no". */
  ehlo?: string[] | string;
  lmtp?: boolean;
  /** Offer STARTTLS with this certificate. */
  tls?: { key: string; cert: string };
  /** Answer 220 to STARTTLS, then send bytes that are not TLS. */
  tlsBroken?: boolean;
  /** Reply to MAIL FROM. Default "250 2.1.0 ok". */
  mail?: (from: string) => Answer;
  /** Reply to RCPT TO per address. Default "250 2.1.5 ok". */
  rcpt?: (address: string) => Answer;
  /** Reply to DATA. Default "354 go on". */
  data?: Answer;
  /** Reply after the final dot: one for SMTP, one per accepted recipient for LMTP. */
  dataDone?: (rcpts: string[]) => Answer[];
  /** Close the connection after this many octets of message data. */
  dropAfterDataBytes?: number;
  /** Wait this long before every reply (a slow peer). */
  delayMs?: number;
  /** Any other command (AUTH, RSET...): return undefined for the default. */
  other?: (line: string) => Answer | undefined;
}

export interface ScriptedPeer {
  port: number;
  address: string;
  sessions: PeerSession[];
  /** Most connections open at once. */
  maxConcurrent: number;
  stop(): Promise<void>;
}

const DEFAULT_EHLO = ['PIPELINING', '8BITMIME', 'SIZE 10000000', 'ENHANCEDSTATUSCODES'];

export async function startPeer(script: PeerScript = {}, where: { address?: string; port?: number; path?: string } = {}): Promise<ScriptedPeer> {
  const sessions: PeerSession[] = [];
  const sockets = new Set<Socket>();
  let open = 0;
  const peer: ScriptedPeer = { port: 0, address: where.address ?? '127.0.0.1', sessions, maxConcurrent: 0, stop: async () => {} };
  const server = net.createServer((raw) => {
    sockets.add(raw);
    open++;
    peer.maxConcurrent = Math.max(peer.maxConcurrent, open);
    raw.on('close', () => {
      sockets.delete(raw);
      open--;
    });
    raw.on('error', () => {});
    serve(raw, script, sessions);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (where.path) server.listen(where.path, resolve);
    else server.listen(where.port ?? 0, peer.address, resolve);
  });
  const addr = server.address();
  peer.port = typeof addr === 'object' && addr ? addr.port : 0;
  peer.stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return peer;
}

function serve(raw: Socket, script: PeerScript, sessions: PeerSession[]): void {
  const session: PeerSession = { commands: [], batches: [], messages: [], secure: false };
  sessions.push(session);
  let sock: Socket = raw;
  let buf = Buffer.alloc(0);
  let inData = false;
  let dataBytes = 0;
  let dataChunks: Buffer[] = [];
  let mailFrom = '';
  let rcpts: string[] = [];
  let accepted: string[] = [];
  let chain = Promise.resolve();
  let upgrading = false;

  const say = (a: Answer | Answer[]) => {
    chain = chain.then(async () => {
      if (script.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
      for (const x of Array.isArray(a) ? a : [a]) {
        if (x === 'silent') continue;
        if (x === 'drop') {
          sock.destroy();
          return;
        }
        if (!sock.destroyed) sock.write(`${x}\r\n`);
      }
    });
  };

  const ehloReply = (): string => {
    if (typeof script.ehlo === 'string') return script.ehlo;
    const ext = [...(script.ehlo ?? DEFAULT_EHLO), ...(script.tls && !session.secure ? ['STARTTLS'] : []), ...(script.tlsBroken ? ['STARTTLS'] : [])];
    const lines = ['peer.test hello', ...ext];
    return lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}`).join('\r\n');
  };

  const command = (line: string) => {
    session.commands.push(line);
    const verb = line.split(/[\s:]/)[0].toUpperCase();
    const arg = /<([^>]*)>/.exec(line)?.[1] ?? '';
    const custom = script.other?.(line);
    if (custom !== undefined) return say(custom);
    switch (verb) {
      case 'EHLO':
      case 'LHLO':
        return say(ehloReply());
      case 'HELO':
        return say('250 peer.test');
      case 'STARTTLS':
        if (script.tlsBroken) {
          say('220 2.0.0 go ahead');
          chain = chain.then(() => void sock.write('this is not TLS at all\r\n'.repeat(4)));
          return;
        }
        if (!script.tls) return say('502 5.5.1 no STARTTLS here');
        upgrading = true;
        say('220 2.0.0 go ahead');
        chain = chain.then(() => {
          sock.off('data', onData);
          const secure = new tls.TLSSocket(sock, { isServer: true, secureContext: tls.createSecureContext(script.tls) });
          secure.on('error', () => {});
          secure.on('secure', () => {
            session.secure = true;
          });
          sock = secure;
          buf = Buffer.alloc(0);
          upgrading = false;
          secure.on('data', onData);
        });
        return;
      case 'MAIL':
        mailFrom = arg;
        rcpts = [];
        accepted = [];
        return say(script.mail?.(arg) ?? '250 2.1.0 ok');
      case 'RCPT': {
        rcpts.push(arg);
        const a = script.rcpt?.(arg) ?? '250 2.1.5 ok';
        if (a.startsWith('2')) accepted.push(arg);
        return say(a);
      }
      case 'DATA': {
        const a = accepted.length ? (script.data ?? '354 go on') : '554 5.5.1 no valid recipients';
        if (a.startsWith('354')) {
          inData = true;
          dataBytes = 0;
          dataChunks = [];
        }
        return say(a);
      }
      case 'RSET':
        mailFrom = '';
        rcpts = [];
        accepted = [];
        return say('250 2.0.0 ok');
      case 'NOOP':
        return say('250 2.0.0 ok');
      case 'QUIT':
        say('221 2.0.0 bye');
        chain = chain.then(() => void sock.end());
        return;
      default:
        return say('500 5.5.2 unknown command');
    }
  };

  const endOfData = (data: Buffer) => {
    const unstuffed = Buffer.from(data.toString('latin1').replace(/\r\n\.\./g, '\r\n.').replace(/^\.\./, '.'), 'latin1');
    session.messages.push({ mailFrom, rcpts: [...accepted], data: unstuffed });
    const done = script.dataDone?.(accepted) ?? (script.lmtp ? accepted.map(() => '250 2.0.0 delivered') : ['250 2.0.0 queued']);
    say(done);
  };

  function onData(chunk: Buffer) {
    if (upgrading) return;
    buf = Buffer.concat([buf, chunk]);
    const batch: string[] = [];
    for (;;) {
      if (inData) {
        if (script.dropAfterDataBytes !== undefined && dataBytes + buf.length >= script.dropAfterDataBytes) {
          sock.destroy();
          return;
        }
        const end = buf.indexOf('\r\n.\r\n');
        const startEnd = dataBytes === 0 && dataChunks.length === 0 && buf.subarray(0, 3).toString() === '.\r\n';
        if (end < 0 && !startEnd) {
          // keep the last 4 octets in case the terminator is split
          const keep = Math.min(buf.length, 4);
          dataChunks.push(buf.subarray(0, buf.length - keep));
          dataBytes += buf.length - keep;
          buf = buf.subarray(buf.length - keep);
          break;
        }
        const upto = startEnd ? 0 : end + 2;
        dataChunks.push(buf.subarray(0, upto));
        buf = buf.subarray(startEnd ? 3 : end + 5);
        inData = false;
        endOfData(Buffer.concat(dataChunks));
        continue;
      }
      const lf = buf.indexOf('\r\n');
      if (lf < 0) break;
      const line = buf.subarray(0, lf).toString('utf8');
      buf = buf.subarray(lf + 2);
      batch.push(line);
      command(line);
      if (upgrading) break;
    }
    if (batch.length) session.batches.push(batch);
  }

  raw.on('data', onData);
  say(script.greeting ?? '220 peer.test ESMTP');
}
