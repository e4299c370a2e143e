// Receiving message content: DATA (dot-decoded, RFC 5321 4.1.1.4) and BDAT
// (RFC 3030 CHUNKING). Content streams into the Submitter's sink, never whole in
// memory. A message that grows past the size limit is read to its end, discarded
// and refused with 552 5.3.4 (S1); the session goes on.

import type { Decision } from '../core/decision.js';
import { reject } from '../core/decision.js';
import { formatAddress } from '../core/address.js';
import { receivedHeader } from '../cleanup/received.js';
import { spoolAddress } from '../policy/rcpt/recipient-domain.js';
import { markHeaders } from '../core/mark.js';
import { CleanupPipeline, cleanupSettings } from '../cleanup/pipeline.js';
import { DataDecoder } from './data-decoder.js';
import { LineEndingScanner } from './line-endings.js';
import { SizeGuard, sizeGuard, breakOff, logSizeRefusal } from './size-guard.js';
import type { SmtpSession } from './session.js';
import type { MessageSink, SpoolEnvelope } from './submitter.js';

/** One message being received. */
class Intake {
  bytes = 0;
  oversize = false;
  constructor(
    readonly sink: MessageSink,
    readonly guard: SizeGuard,
    /** S5-S8 cleanup stage between the intake and the sink. */
    readonly cleanup: CleanupPipeline,
  ) {}

  /** Counts and stores a slice; once over the limit, bytes are only counted. */
  write(b: Buffer): Promise<void> | undefined {
    this.bytes += b.length;
    const stop = this.guard.count(b); // S1-S4 octets/lines/abortOver (size-guard.ts), before anything is stored
    if (this.oversize) return undefined;
    if (stop) {
      this.oversize = true;
      return this.sink.abort(); // nothing of an oversized message stays on disk
    }
    return this.cleanup.write(b, this.sink); // S5-S8 (cleanup/pipeline.ts)
  }
}

/** The cleanup stage (S5-S8) for one message of this session. */
function cleanupFor(s: SmtpSession): CleanupPipeline {
  const base = { session: s.info.id, client: s.info.remoteAddress };
  return new CleanupPipeline(cleanupSettings(s.config, s.info.listener), (f, msg) => s.deps.log.info({ ...base, ...f }, msg));
}

export interface BdatState {
  intake?: Intake;
  sink?: MessageSink;
  scanner: LineEndingScanner;
  /** Once a chunk failed, every later chunk of the transaction gets this answer. */
  error?: Decision;
}

function spoolEnvelope(s: SmtpSession): SpoolEnvelope {
  const env = s.envelope!;
  return {
    mailFrom: formatAddress(env.mailFrom),
    rcpts: env.rcpts.map((r) => ({
      address: spoolAddress(r.address, s.config), // bare postmaster -> @postmasterDomain, R8 literal -> @relay.domainLiterals.domain
      notify: r.params.notify,
      orcpt: r.params.orcpt,
    })),
    params: { ...env.mailParams },
    client: {
      ip: s.info.remoteAddress,
      helo: s.info.helo,
      authUser: s.info.authUser,
      listener: s.info.listener.name,
      tls: s.info.tls?.protocol,
    },
    sessionId: s.info.id,
    receivedAt: Date.now(),
  };
}

/** Runs the data-stage policy and opens the spool sink with the Received header written. */
async function openIntake(s: SmtpSession): Promise<Intake | Decision> {
  const d = await s.policy('data');
  if (d && d.action !== 'accept') return d;
  let sink: MessageSink;
  try {
    sink = await s.deps.submitter.begin(spoolEnvelope(s));
  } catch (e) {
    s.deps.log.error({ session: s.info.id, err: (e as Error).message }, 'spool: cannot start message');
    return reject('spool', 451, '4.3.0', 'Local error in processing, please try again later');
  }
  const env = s.envelope!;
  const header = receivedHeader({
    session: s.info,
    hideClientIp: s.info.listener.hideClientIp, // R9
    hostname: s.config.hostname,
    queueId: sink.id,
    smtputf8: env.mailParams.smtputf8,
    singleRcpt: env.rcpts.length === 1 ? formatAddress(env.rcpts[0].address) : undefined,
    date: new Date(),
  });
  // Marks (e.g. H2 "X-Rampart-PTR: none") go right after our Received header.
  await sink.write(Buffer.from(header + markHeaders(env.marks), 'utf8'));
  return new Intake(sink, sizeGuard(s), cleanupFor(s)); // S1-S4 limits of this transaction (size-guard.ts)
}

/** Handles the end of the transfer ("." or BDAT LAST): refuse, or commit and answer 250. */
async function finish(s: SmtpSession, intake: Intake, bareLf: number, bareCr: number): Promise<void> {
  const refuse = async (code: number, enhanced: string, text: string, check: string, feature: string) => {
    await intake.sink.abort();
    s.deps.log.info({ event: 'decision', session: s.info.id, client: s.info.remoteAddress, stage: 'eod', check, feature, action: 'reject', code, enhanced, bytes: intake.bytes }, 'decision');
    s.reply(code, enhanced, text);
  };
  try {
    const over = intake.guard.finish(); // S1/S2/S3: octets or lines over the limit (size-guard.ts)
    if (over) {
      await intake.sink.abort();
      logSizeRefusal(s, over, intake.bytes);
      return s.replyDecision(over);
    }
    if ((bareLf || bareCr) && s.config.smtp.bareLineEndings === 'reject') {
      return await refuse(554, '5.6.0', 'Message refused: bare CR or LF in message content, lines must end with CRLF', 'eod.bareLineEndings', 'P3');
    }
    // S5-S8: writes what the cleanup stage held back; S5/S7 refusal, if any (cleanup/pipeline.ts).
    const cleaned = await intake.cleanup.finish(intake.sink);
    if (cleaned) return await refuse(cleaned.code, cleaned.enhanced, cleaned.text, cleaned.check, cleaned.feature ?? '');
    const d = await s.policy('eod');
    if (d && d.action !== 'accept') {
      await intake.sink.abort();
      s.replyDecision(d);
      if (d.action === 'drop') s.close(`eod ${d.check}`);
      return;
    }
    try {
      await intake.sink.commit();
    } catch (e) {
      s.deps.log.error({ session: s.info.id, queueId: intake.sink.id, err: (e as Error).message }, 'spool: commit failed');
      await intake.sink.abort().catch(() => {});
      return s.reply(451, '4.3.0', 'Local error in processing, please try again later');
    }
    const env = s.envelope!;
    s.messages++;
    s.deps.log.info(
      {
        event: 'queued',
        session: s.info.id,
        queueId: intake.sink.id,
        client: s.info.remoteAddress,
        from: formatAddress(env.mailFrom),
        rcpts: env.rcpts.map((r) => formatAddress(r.address)),
        size: intake.bytes,
      },
      'message queued',
    );
    s.reply(250, '2.0.0', `Ok: queued as ${intake.sink.id}`);
  } finally {
    s.resetTransaction();
  }
}

/** A read that did not deliver bytes: timeout or disconnect. Aborts the message. */
async function lostClient(s: SmtpSession, kind: 'timeout' | 'eof', sink: MessageSink | undefined): Promise<void> {
  await sink?.abort().catch(() => {});
  s.resetTransaction();
  if (kind === 'timeout') {
    s.reply(421, '4.4.2', `${s.config.hostname} Timeout exceeded, closing connection`);
    s.close('timeout in data');
  } else {
    s.close('client disconnected in data');
  }
}

export async function receiveData(s: SmtpSession): Promise<void> {
  if (!s.envelope) return s.reply(503, '5.5.1', 'Need MAIL command first');
  if (s.bdat) return s.reply(503, '5.5.1', 'DATA not allowed after BDAT');
  if (s.envelope.rcpts.length === 0) return s.reply(554, '5.5.1', 'No valid recipients');
  const intake = await openIntake(s);
  if (!(intake instanceof Intake)) {
    s.replyDecision(intake);
    if (intake.action === 'drop') s.close(`data ${intake.check}`);
    return;
  }
  s.reply(354, undefined, 'End data with <CR><LF>.<CR><LF>');
  const decoder = new DataDecoder();
  const timeout = s.config.timeouts.dataBlockMs;
  for (;;) {
    const r = await s.input.readChunk(timeout);
    if (r.kind !== 'chunk') return lostClient(s, r.kind, intake.sink);
    const res = decoder.push(r.chunk);
    for (const b of res.out) {
      const wait = intake.write(b);
      if (wait) await wait;
    }
    if (intake.guard.tripped) return breakOff(s, intake.sink, intake.guard); // S4: past abortOver, the connection is broken now
    if (res.endAt !== undefined) {
      s.input.unshift(r.chunk.subarray(res.endAt));
      break;
    }
  }
  await finish(s, intake, decoder.bareLf, decoder.bareCr);
}

export async function receiveBdat(s: SmtpSession, arg: string): Promise<void> {
  const m = /^(\d{1,15})( +LAST)?$/i.exec(arg);
  if (!m) {
    // The chunk size is unknown, so the byte stream cannot be followed any more.
    s.reply(501, '5.5.4', 'Syntax: BDAT size [LAST]');
    await s.bdat?.sink?.abort();
    s.resetTransaction();
    return s.close('bad BDAT syntax');
  }
  const size = Number(m[1]);
  const last = m[2] !== undefined;
  let error: Decision | undefined;
  if (!s.envelope) error = reject('protocol', 503, '5.5.1', 'Need MAIL command first');
  else if (s.envelope.rcpts.length === 0) error = reject('protocol', 554, '5.5.1', 'No valid recipients');
  else if (!s.bdat) {
    const intake = await openIntake(s);
    s.bdat = intake instanceof Intake ? { intake, sink: intake.sink, scanner: new LineEndingScanner() } : { scanner: new LineEndingScanner(), error: intake };
  }
  const st = s.bdat;
  error ??= st?.error;
  if (error?.action === 'drop') {
    // e.g. S4 (data.largeMessageSafety): refused before any content is read; the chunk is never read.
    s.replyDecision(error);
    await st?.sink?.abort();
    s.resetTransaction();
    s.close(`bdat ${error.check}`);
    s.socket.pause(); // nothing more is read; the client gets a moment to read the reply, then the socket goes
    return void setTimeout(() => s.socket.destroy(), 2000);
  }
  // RFC 3030 2: the chunk is read in full whatever the answer will be.
  let remaining = size;
  const timeout = s.config.timeouts.dataBlockMs;
  while (remaining > 0) {
    const r = await s.input.readChunk(timeout, remaining);
    if (r.kind !== 'chunk') return lostClient(s, r.kind, st?.sink);
    remaining -= r.chunk.length;
    if (st?.intake && (!error || error === st.error)) {
      // After a size refusal the chunks are still counted (S4), never stored.
      if (!error) st.scanner.scan(r.chunk);
      const wait = st.intake.write(r.chunk);
      if (wait) await wait;
      if (st.intake.guard.tripped) return breakOff(s, st.intake.sink, st.intake.guard); // S4
    }
  }
  if (!error && st?.intake?.guard.over && !last) {
    error = st.error = logSizeRefusal(s, st.intake.guard.over, st.intake.bytes); // S1/S2/S3
  }
  if (error) {
    s.replyDecision(error);
    if (error.action === 'drop') s.close(`bdat ${error.check}`);
    if (last && st) {
      await st.sink?.abort();
      s.resetTransaction();
    }
    return;
  }
  if (!last) return s.reply(250, '2.0.0', `${size} octets received`);
  st!.scanner.end();
  await finish(s, st!.intake!, st!.scanner.bareLf, st!.scanner.bareCr);
}
