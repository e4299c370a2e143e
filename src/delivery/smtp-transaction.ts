// One mail transaction on an open session: checks against what the peer
// offers (SIZE, SMTPUTF8, 8BITMIME), then MAIL, RCPT per recipient, DATA —
// pipelined when offered (RFC 2920) — and one result per recipient: from its
// RCPT reply, from the reply after the data (SMTP), or from its own reply after
// the data (LMTP, RFC 2033 4.2).

import { ClientError, type SmtpClient } from './smtp-client.js';
import { asTemporary, isPositive, replyStatus, replyText, type Reply } from './smtp-reply.js';
import { eightBitParts, isAscii } from './message-scan.js';
import type { Features } from './smtp-session.js';
import type { OutboundMessage, OutboundRecipient, RecipientResult } from './types.js';
import type { DeliveryTimeouts } from '../config/delivery-network-schema.js';

export interface TransactionOptions {
  lmtp: boolean;
  /** The connection carried a transaction before: RSET first (and a dead one is retried on a new connection). */
  reused: boolean;
  remoteMta: string;
  timeouts: DeliveryTimeouts;
}

export interface TransactionOutcome {
  results: RecipientResult[];
  /** The session is in a clean state and may carry another transaction. */
  reusable: boolean;
  /** A reused connection was found dead before anything was accepted: retry on a new one. */
  stale: boolean;
}

export async function runTransaction(c: SmtpClient, f: Features, msg: OutboundMessage, rcpts: readonly OutboundRecipient[], o: TransactionOptions): Promise<TransactionOutcome> {
  const results: RecipientResult[] = [];
  const ours = (r: OutboundRecipient, outcome: 'failed' | 'deferred', status: string, diagnostic: string) =>
    results.push({ index: r.index, outcome, status, diagnostic, remoteMta: o.remoteMta, fromPeer: false });
  const done = (reusable: boolean): TransactionOutcome => ({ results, reusable, stale: false });

  // Refusals decided before a command is sent: the session stays clean.
  // Our server never queues such addresses; this keeps anything else from injecting commands.
  if (!safeAddress(msg.mailFrom) || !safeParam(msg.params.envid ?? '') || !safeParam(msg.params.ret ?? '')) {
    for (const r of rcpts) ours(r, 'failed', '5.1.7', `the envelope sender or its parameters contain characters SMTP cannot carry: ${JSON.stringify(msg.mailFrom)}`);
    return done(true);
  }
  for (const r of rcpts) {
    if (!safeAddress(r.address) || !safeParam(r.orcpt ?? '') || !(r.notify ?? []).every(safeParam)) ours(r, 'failed', '5.1.3', `the recipient or its parameters contain characters SMTP cannot carry: ${JSON.stringify(r.address)}`);
  }
  if (f.size && msg.size > f.size) {
    for (const r of rcpts) if (!results.some((x) => x.index === r.index)) ours(r, 'failed', '5.3.4', `message size ${msg.size} exceeds the size limit ${f.size} of ${o.remoteMta}`);
    return done(true);
  }
  let send = rcpts.filter((r) => !results.some((x) => x.index === r.index));
  if (!f.smtputf8) {
    // RFC 6531 3.4; Postfix returns such mail too (SMTPUTF8_README): no downgrade exists for addresses.
    const why = !isAscii(msg.mailFrom)
      ? 'the sender address'
      : msg.params.smtputf8 && (await eightBitParts(msg, true)).header
        ? 'the message header'
        : undefined;
    for (const r of send) {
      const reason = why ?? (isAscii(r.address) ? undefined : 'the recipient address');
      if (reason) ours(r, 'failed', '5.6.7', `${reason} needs SMTPUTF8, which ${o.remoteMta} does not offer`);
    }
    send = send.filter((r) => !results.some((x) => x.index === r.index));
  }
  let body8 = msg.params.body?.toUpperCase() === '8BITMIME';
  if (send.length && body8 && !f.eightBitMime) {
    // RFC 6152 3: convert to 7 bit or return the message; we return it (docs/remote-delivery.md).
    if ((await eightBitParts(msg, false)).body) {
      for (const r of send) ours(r, 'failed', '5.6.3', `the message has 8-bit data and ${o.remoteMta} does not offer 8BITMIME`);
      send = [];
    } else body8 = false; // declared 8BITMIME but all 7-bit: plain SMTP carries it as is
  }
  if (!send.length) return done(true);

  const mail = mailCommand(msg, f, body8);
  const rcptLines = send.map((r) => rcptCommand(r, f));
  const t = o.timeouts;
  const pipelined = f.pipelining;
  let step = o.reused ? 'RSET' : 'MAIL FROM';
  let sentData = false;
  try {
    if (pipelined) c.send(...(o.reused ? ['RSET'] : []), mail, ...rcptLines, 'DATA');
    if (o.reused) {
      if (!pipelined) c.send('RSET');
      const r = await c.read(t.mailMs, 'RSET');
      if (!isPositive(r)) return { results: [], reusable: false, stale: true };
    }
    step = 'MAIL FROM';
    if (!pipelined) c.send(mail);
    const mailReply = await c.read(t.mailMs, 'MAIL FROM');
    const accepted: OutboundRecipient[] = [];
    for (const [i, r] of send.entries()) {
      step = 'RCPT TO';
      if (!isPositive(mailReply)) {
        if (pipelined) await c.read(t.rcptMs, 'RCPT TO'); // keep in step with the batch
        results.push(peerResult(r, mailReply, o.remoteMta));
        continue;
      }
      if (!pipelined) c.send(rcptLines[i]);
      const reply = await c.read(t.rcptMs, 'RCPT TO');
      if (isPositive(reply)) accepted.push(r);
      else results.push(peerResult(r, reply, o.remoteMta, reply.code === 552));
    }
    if (!accepted.length) {
      if (!pipelined) return done(true);
      step = 'DATA';
      const r = await c.read(t.dataInitMs, 'DATA');
      if (r.code !== 354) return done(true);
      c.destroy('peer answered 354 to DATA without a recipient'); // never end an empty transaction
      return done(false);
    }
    step = 'DATA';
    if (!pipelined) c.send('DATA');
    const dataReply = await c.read(t.dataInitMs, 'DATA');
    if (dataReply.code !== 354) {
      for (const r of accepted) results.push(peerResult(r, dataReply, o.remoteMta));
      return done(true);
    }
    step = 'the message data';
    await c.sendData(msg.open(), t.dataBlockMs);
    sentData = true;
    step = 'the end of data';
    if (o.lmtp) {
      for (const r of accepted) results.push(delivered(r, await c.read(t.dataDoneMs, 'the end of data'), o, f));
    } else {
      const r = await c.read(t.dataDoneMs, 'the end of data');
      for (const rc of accepted) results.push(delivered(rc, r, o, f));
    }
    return done(true);
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    if (o.reused && step === 'RSET' && e.kind === 'closed') return { results: [], reusable: false, stale: true };
    const status = e.kind === 'protocol' ? '4.5.0' : e.kind === 'source' ? '4.3.0' : '4.4.2';
    // Postfix says the same: the peer may have taken the message before we gave up waiting.
    const twice = sentData ? ' (the message may be delivered more than once)' : '';
    for (const r of send) {
      if (!results.some((x) => x.index === r.index)) ours(r, 'deferred', status, `${o.remoteMta}: ${e.message} (${step})${twice}`);
    }
    return done(false);
  }
}

function mailCommand(msg: OutboundMessage, f: Features, body8: boolean): string {
  let cmd = `MAIL FROM:<${msg.mailFrom}>`;
  if (f.size !== undefined) cmd += ` SIZE=${msg.size}`;
  if (body8) cmd += ' BODY=8BITMIME';
  if (f.smtputf8 && (msg.params.smtputf8 || !isAscii(msg.mailFrom))) cmd += ' SMTPUTF8';
  if (f.dsn) {
    if (msg.params.ret) cmd += ` RET=${msg.params.ret}`;
    if (msg.params.envid) cmd += ` ENVID=${msg.params.envid}`; // kept in xtext form as received
  }
  return cmd;
}

function rcptCommand(r: OutboundRecipient, f: Features): string {
  let cmd = `RCPT TO:<${r.address}>`;
  if (f.dsn) {
    if (r.notify?.length) cmd += ` NOTIFY=${r.notify.join(',')}`;
    if (r.orcpt) cmd += ` ORCPT=${f.smtputf8 ? r.orcpt : asciiOrcpt(r.orcpt)}`;
  }
  return cmd;
}

/** RFC 6533 3: without SMTPUTF8 a utf-8 ORCPT goes in its ASCII form, \x{HEX} per non-ASCII character. */
function asciiOrcpt(orcpt: string): string {
  return orcpt.replace(/[^\x00-\x7f]/gu, (ch) => `\\x{${ch.codePointAt(0)!.toString(16).toUpperCase()}}`);
}

/** A refusal by the peer: 4xx deferred, 5xx failed (552 at RCPT is temporary, RFC 5321 4.5.3.1.10). */
function peerResult(r: OutboundRecipient, reply: Reply, remoteMta: string, temporary = false): RecipientResult {
  const permanent = reply.code >= 500 && !temporary;
  const status = replyStatus(reply);
  return { index: r.index, outcome: permanent ? 'failed' : 'deferred', status: permanent ? status : asTemporary(status), diagnostic: replyText(reply), remoteMta, fromPeer: true };
}

/**
 * The reply after the data, for one recipient. Without DSN at the peer, NOTIFY=SUCCESS gets
 * "relayed" (RFC 3461 5.2.2); an SMTP peer with DSN took NOTIFY over and reports success itself (5.2.1).
 */
function delivered(r: OutboundRecipient, reply: Reply, o: TransactionOptions, f: Features): RecipientResult {
  if (reply.code >= 300) return peerResult(r, reply, o.remoteMta);
  const relayed = !o.lmtp && !f.dsn && !!r.notify?.includes('SUCCESS');
  const result: RecipientResult = { index: r.index, outcome: relayed ? 'relayed' : 'delivered', status: replyStatus(reply), diagnostic: replyText(reply), remoteMta: o.remoteMta, fromPeer: true };
  if (!o.lmtp && f.dsn) result.notifyPassed = true;
  return result;
}

/** A path may hold spaces in a quoted local part, never a line break (RFC 5321 4.1.2). */
function safeAddress(v: string): boolean {
  return !/[\r\n\0]/.test(v);
}

/** DSN parameter values are xtext: no spaces or controls (RFC 3461 4). */
function safeParam(v: string): boolean {
  return !/[\x00-\x20]/.test(v);
}
