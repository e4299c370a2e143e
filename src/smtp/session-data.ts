// Receiving message content: DATA (dot-decoded, RFC 5321 4.1.1.4) and BDAT
// (RFC 3030 CHUNKING). Content streams into the Submitter's sink, never whole in
// memory. A message that cannot be stored - over a size limit (S1), or the disk
// failed (ENOSPC) - is read to its end, discarded and refused; the session goes on.

import type { Decision } from '../core/decision.js';
import { formatAddress } from '../core/address.js';
import { markHeaders } from '../core/mark.js';
import type { MessageSink, SpoolEnvelope } from '../core/submission.js';
import { receivedHeader } from '../cleanup/received.js';
import { CleanupPipeline, cleanupSettings } from '../cleanup/pipeline.js';
import { StoredMessage } from '../cleanup/stored-message.js';
import type { DecisionStage } from '../policy/types.js';
import { DataDecoder } from './data-decoder.js';
import { LineEndingScanner } from './line-endings.js';
import { Intake } from './intake.js';
import { bareLineEndingsRefusal, spoolOpenFailure, spoolWriteFailure } from './message-refusals.js';
import type { DataPort } from './ports.js';

/** How long a client whose connection is broken off (S4, BDAT drop) gets to read the reply. */
const BREAK_GRACE_MS = 2000;

/** Finalizes a guard decision of the transaction (warn mode: undefined). */
function decide(s: DataPort, d: Decision, stage: DecisionStage, queueId?: string): Decision | undefined {
  return s.policy.decide(d, { stage, config: s.config, session: s.info, envelope: s.tx.envelope, queueId });
}

/** The cleanup stage (S5-S8) for one message: its refusals are decided by finalize(). */
function cleanupFor(s: DataPort, queueId: string): CleanupPipeline {
  const base = { session: s.info.id, client: s.info.remoteAddress, queueId };
  return new CleanupPipeline(
    cleanupSettings(s.config, s.info.listener),
    (d) => decide(s, d, 'eod', queueId),
    (f, msg) => s.log.info({ ...base, ...f }, msg),
  );
}

function spoolEnvelope(s: DataPort): SpoolEnvelope {
  const env = s.tx.envelope!;
  return {
    mailFrom: formatAddress(env.mailFrom),
    rcpts: env.rcpts.map((r) => ({
      address: s.policy.spoolAddress(r.address, s.config), // bare postmaster -> @postmasterDomain, R8 literal -> @relay.domainLiterals.domain
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
async function openIntake(s: DataPort): Promise<Intake | Decision> {
  const env = s.tx.envelope!;
  const d = await s.policy.check('data', { config: s.config, session: s.info, envelope: env });
  if (d && d.action !== 'accept') return d;
  let sink: MessageSink;
  try {
    sink = await s.submitter.begin(spoolEnvelope(s));
  } catch (e) {
    return decide(s, spoolOpenFailure(e), 'data') ?? spoolOpenFailure(e);
  }
  const header = receivedHeader({
    session: s.info,
    hideClientIp: s.info.listener.hideClientIp, // R9
    hostname: s.config.hostname,
    queueId: sink.id,
    smtputf8: env.mailParams.smtputf8,
    singleRcpt: env.rcpts.length === 1 ? formatAddress(env.rcpts[0].address) : undefined,
    date: new Date(),
  });
  const intake = new Intake(sink, s.policy.sizeGuard(s.config, s.info, env), cleanupFor(s, sink.id)); // S1-S4 limits of this transaction
  // Marks (e.g. H2 "X-Rampart-PTR: none") go right after our Received header.
  await sink.write(Buffer.from(header + markHeaders(env.marks), 'utf8'))?.catch((e: unknown) => intake.fail(e));
  return intake;
}

/** Answers with a refusal of the whole message; a drop also closes. */
function refuse(s: DataPort, d: Decision): void {
  s.answer(d);
  if (d.action === 'drop') s.close(`eod ${d.check}`);
}

/** Handles the end of the transfer ("." or BDAT LAST): refuse, or commit and answer 250. */
async function finish(s: DataPort, intake: Intake, bareLf: number, bareCr: number): Promise<void> {
  const id = intake.sink.id;
  const endedAt = process.hrtime.bigint();
  let queued = false;
  try {
    const over = intake.guard.finish(); // S1/S2/S3: octets or lines over the limit (policy/size-guard.ts)
    if (over) {
      await intake.discard();
      return refuse(s, over);
    }
    if ((bareLf || bareCr) && s.config.smtp.bareLineEndings === 'reject') {
      const d = decide(s, bareLineEndingsRefusal(bareLf, bareCr), 'eod', id); // P3
      if (d) {
        await intake.discard();
        return refuse(s, d);
      }
    }
    // S5-S8: writes what the cleanup stage held back; the S5/S7 refusal, if any (already decided).
    const cleaned = await intake.finishCleanup();
    if (cleaned) {
      await intake.discard();
      return refuse(s, cleaned);
    }
    if (intake.failure !== undefined) return refuse(s, decide(s, spoolWriteFailure(intake.failure), 'eod', id) ?? spoolWriteFailure(intake.failure));
    const env = s.tx.envelope!;
    const message = new StoredMessage(intake.sink);
    const d = await s.policy.check('eod', { config: s.config, session: s.info, envelope: env, message, queueId: id });
    if (d && d.action !== 'accept') {
      await intake.discard();
      return refuse(s, d);
    }
    try {
      await intake.sink.commit(message.prepend());
    } catch (e) {
      s.log.error({ session: s.info.id, queueId: id, err: (e as Error).message }, 'spool: commit failed');
      await intake.discard();
      return refuse(s, decide(s, spoolWriteFailure(e), 'eod', id) ?? spoolWriteFailure(e));
    }
    s.messageQueued();
    s.log.info(
      {
        event: 'queued',
        session: s.info.id,
        queueId: id,
        client: s.info.remoteAddress,
        from: formatAddress(env.mailFrom),
        rcpts: env.rcpts.map((r) => formatAddress(r.address)),
        size: intake.bytes,
      },
      'message queued',
    );
    s.reply(250, '2.0.0', `Ok: queued as ${id}`);
    queued = true;
  } finally {
    s.tx.reset();
    s.dataEnded(intake.bytes, endedAt, queued);
  }
}

/** A read that did not deliver bytes: timeout or disconnect. Aborts the message. */
async function lostClient(s: DataPort, kind: 'timeout' | 'eof', intake: Intake | undefined): Promise<void> {
  await intake?.discard();
  s.tx.reset();
  if (kind === 'timeout') {
    s.reply(421, '4.4.2', `${s.config.hostname} Timeout exceeded, closing connection`);
    s.close('timeout in data');
  } else {
    s.close('client disconnected in data');
  }
}

/** S4: past abortOver. Reading stops now; the key is stored and the decision finalized; the connection goes. */
async function breakOff(s: DataPort, intake: Intake): Promise<void> {
  s.stopReading(); // not one more byte is read
  const d = await intake.guard.breakOff();
  s.reply(d.code, d.enhanced, `${s.config.hostname} ${d.text}`); // best effort: the socket goes right after
  s.tx.reset();
  s.close('large message safety');
  s.breakConnection(0);
  await intake.discard();
}

export async function receiveData(s: DataPort): Promise<void> {
  const env = s.tx.envelope;
  if (!env) return s.protocolError(503, '5.5.1', 'Need MAIL command first');
  if (s.tx.bdat) return s.protocolError(503, '5.5.1', 'DATA not allowed after BDAT');
  if (env.rcpts.length === 0) return s.protocolError(554, '5.5.1', 'No valid recipients');
  const intake = await openIntake(s);
  if (!(intake instanceof Intake)) {
    s.answer(intake);
    if (intake.action === 'drop') s.close(`data ${intake.check}`);
    return;
  }
  s.reply(354, undefined, 'End data with <CR><LF>.<CR><LF>');
  const decoder = new DataDecoder();
  const timeout = s.config.timeouts.dataBlockMs;
  for (;;) {
    const r = await s.input.readChunk(timeout);
    if (r.kind !== 'chunk') return lostClient(s, r.kind, intake);
    const res = decoder.push(r.chunk);
    for (const b of res.out) {
      const wait = intake.write(b);
      if (wait) await wait;
    }
    if (intake.guard.tripped) return breakOff(s, intake); // S4: past abortOver, the connection is broken now
    if (res.endAt !== undefined) {
      s.input.unshift(r.chunk.subarray(res.endAt));
      break;
    }
  }
  await finish(s, intake, decoder.bareLf, decoder.bareCr);
}

export async function receiveBdat(s: DataPort, arg: string): Promise<void> {
  const m = /^(\d{1,15})( +LAST)?$/i.exec(arg);
  if (!m) {
    // The chunk size is unknown, so the byte stream cannot be followed any more.
    s.protocolError(501, '5.5.4', 'Syntax: BDAT size [LAST]');
    await s.tx.bdat?.intake?.discard();
    s.tx.reset();
    return s.close('bad BDAT syntax');
  }
  const size = Number(m[1]);
  const last = m[2] !== undefined;
  // A protocol error: answered after the chunk is read, counted by H5.
  let protocolError: [number, string, string] | undefined;
  if (!s.tx.envelope) protocolError = [503, '5.5.1', 'Need MAIL command first'];
  else if (s.tx.envelope.rcpts.length === 0) protocolError = [554, '5.5.1', 'No valid recipients'];
  else if (!s.tx.bdat) {
    const intake = await openIntake(s);
    s.tx.bdat = intake instanceof Intake ? { intake, scanner: new LineEndingScanner() } : { scanner: new LineEndingScanner(), error: intake };
  }
  const st = protocolError ? undefined : s.tx.bdat;
  let error = st?.error;
  if (error?.action === 'drop') {
    // e.g. S4 (data.largeMessageSafety): refused before any content is read; the chunk is never read.
    s.answer(error);
    await st?.intake?.discard();
    s.tx.reset();
    s.close(`bdat ${error.check}`);
    return s.breakConnection(BREAK_GRACE_MS); // the client gets a moment to read the reply, then the socket goes
  }
  // RFC 3030 2: the chunk is read in full whatever the answer will be.
  let remaining = size;
  const timeout = s.config.timeouts.dataBlockMs;
  while (remaining > 0) {
    const r = await s.input.readChunk(timeout, remaining);
    if (r.kind !== 'chunk') return lostClient(s, r.kind, st?.intake);
    remaining -= r.chunk.length;
    if (st?.intake && (!error || error === st.error)) {
      // After a size refusal the chunks are still counted (S4), never stored.
      if (!error) st.scanner.scan(r.chunk);
      const wait = st.intake.write(r.chunk);
      if (wait) await wait;
      if (st.intake.guard.tripped) return breakOff(s, st.intake); // S4
    }
  }
  if (protocolError) return s.protocolError(...protocolError);
  if (!error && st?.intake?.guard.over && !last) error = st.error = st.intake.guard.over; // S1/S2/S3: already decided
  if (error) {
    s.answer(error);
    if (error.action === 'drop') s.close(`bdat ${error.check}`);
    if (last && st) {
      await st.intake?.discard();
      s.tx.reset();
    }
    return;
  }
  if (!last) return s.reply(250, '2.0.0', `${size} octets received`);
  st!.scanner.end();
  await finish(s, st!.intake!, st!.scanner.bareLf, st!.scanner.bareCr);
}

