// Builds a delivery status notification: a multipart/report;
// report-type=delivery-status message (RFC 6522) with a human-readable part, a
// message/delivery-status part (RFC 3464) and the original message or its header
// section (RFC 3461 RET). A message first received with SMTPUTF8 gets the RFC 6533
// types (message/global-delivery-status, message/global, message/global-headers).
//
// RET=FULL returns the whole message only up to `returnLimit` octets; a larger one
// is returned as its header section with a note saying so, because a cut message
// must not be labelled message/rfc822 (RFC 6522 3: partial content is headers).

import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { rfc5322Date } from '../cleanup/received.js';
import { field, headerText, originalRecipient, typedAddress, xtextDecode } from './dsn-fields.js';

export type DsnKind = 'failure' | 'delay' | 'success';
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export interface DsnRecipient {
  finalRecipient: string;
  /** ORCPT as received ("rfc822;xtext"); the Original-Recipient field appears only with it (RFC 3461 6.3 d). */
  orcpt?: string;
  /** The envelope recipient, when this address is one its alias expanded to (named in the human part). */
  expandedFrom?: string;
  action: DsnAction;
  status: string;
  diagnostic?: string;
  /** The diagnostic is the peer's reply (type smtp), else our own words (type X-Rampart). */
  fromPeer?: boolean;
  remoteMta?: string;
  lastAttempt?: number;
  /** Delay notices: when the mail system stops trying (RFC 3464 2.3.9). */
  willRetryUntil?: number;
}

export interface DsnInput {
  kind: DsnKind;
  /** Our host name (Reporting-MTA). */
  reportingMta: string;
  queueId: string;
  /** Who receives the notification (the envelope sender, or the postmaster for a double bounce). */
  to: string;
  /** ENVID and RET of the original transaction, as received. */
  envid?: string;
  ret?: string;
  receivedAt: number;
  /** The original was received with SMTPUTF8. */
  smtputf8: boolean;
  recipients: DsnRecipient[];
  original: { open(): Readable; size: number };
  returnLimit: number;
  now: number;
  /** Set for the postmaster's copy of a notification that could not be delivered. */
  doubleBounceOf?: string;
}

export interface BuiltDsn {
  bytes: Buffer;
  /** Needs SMTPUTF8 to travel (RFC 6533 types, UTF-8 addresses). */
  smtputf8: boolean;
  /** Contains 8-bit octets (BODY=8BITMIME). */
  eightBit: boolean;
}

interface Returned {
  /** 'full': the whole message; 'headers': its header section. */
  kind: 'full' | 'headers';
  bytes: Buffer;
  /** The header section was cut at `returnLimit` (at a line end). */
  cut: boolean;
  /** RET=FULL was asked for but the message is larger than the limit. */
  tooBig: boolean;
}

/** Reads what the DSN returns: the whole message (RET=FULL, small enough) or its header section. */
async function readReturned(orig: DsnInput['original'], full: boolean, limit: number): Promise<Returned> {
  const whole = full && orig.size <= limit;
  const chunks: Buffer[] = [];
  let got = 0;
  const stream = orig.open();
  try {
    for await (const c of stream as AsyncIterable<Buffer>) {
      chunks.push(c);
      got += c.length;
      if (whole) continue;
      const head = Buffer.concat(chunks);
      if (head.subarray(0, 2).equals(Buffer.from('\r\n')) || head.indexOf('\r\n\r\n') >= 0 || got > limit) break;
    }
  } finally {
    stream.destroy();
  }
  const all = Buffer.concat(chunks);
  if (whole) return { kind: 'full', bytes: all, cut: false, tooBig: false };
  const end = all.subarray(0, 2).equals(Buffer.from('\r\n')) ? 0 : all.indexOf('\r\n\r\n');
  let head = end >= 0 ? all.subarray(0, end + 2) : all;
  let cut = false;
  if (head.length > limit) {
    const lastLine = head.subarray(0, limit).lastIndexOf('\r\n');
    head = head.subarray(0, lastLine >= 0 ? lastLine + 2 : 0);
    cut = true;
  }
  return { kind: 'headers', bytes: head, cut, tooBig: full && orig.size > limit };
}

function has8bit(b: Buffer): boolean {
  for (const x of b) if (x > 0x7f) return true;
  return false;
}

const SUBJECTS: Record<DsnKind, string> = {
  failure: 'Undelivered Mail Returned to Sender',
  delay: 'Delayed Mail (still being retried)',
  success: 'Successful Mail Delivery Report',
};

const INTROS: Record<DsnKind, string> = {
  failure: 'Your message could not be delivered to one or more recipients. This is a\r\npermanent error; the mail system has given up on these recipients:',
  delay: 'Your message has not been delivered yet to the recipients below. The mail\r\nsystem is still trying; you need not send it again. You will be told if it\r\nfinally fails.',
  success: 'Your message was delivered to the recipients below (you asked to be told):',
};

function actionWords(r: DsnRecipient): string {
  switch (r.action) {
    case 'relayed':
      return 'handed on to a mail system that sends no further delivery reports';
    case 'expanded':
      return 'delivered to an alias and forwarded to its members';
    case 'delivered':
      return 'delivered';
    default:
      return '';
  }
}

function humanPart(inp: DsnInput, ret: Returned, utf8: boolean): string {
  const lines: string[] = [`This is the mail system at host ${inp.reportingMta}.`, ''];
  if (inp.doubleBounceOf !== undefined) {
    lines.push(`A delivery report for the sender <${headerText(inp.doubleBounceOf, utf8)}> could not be delivered either.`, 'It is attached below for the postmaster. Nothing else will be sent.', '');
  }
  lines.push(INTROS[inp.kind], '');
  for (const r of inp.recipients) {
    const who = `<${headerText(r.finalRecipient, utf8)}>${r.expandedFrom ? ` (expanded from <${headerText(r.expandedFrom, utf8)}>)` : ''}`;
    const what = inp.kind === 'success' ? actionWords(r) : headerText(r.diagnostic ?? r.status, utf8, 600);
    const via = r.remoteMta ? ` (reply from ${headerText(r.remoteMta, utf8)})` : '';
    lines.push(`${who}: ${what}${via}`);
  }
  if (inp.kind === 'delay' && inp.recipients[0]?.willRetryUntil) lines.push('', `Delivery will be tried until ${rfc5322Date(new Date(inp.recipients[0].willRetryUntil))}.`);
  lines.push('');
  if (ret.kind === 'full') lines.push('The message is attached below.');
  else if (ret.tooBig) lines.push(`The message was ${inp.original.size} octets, more than the ${inp.returnLimit} this server returns whole;`, 'only its header section is attached below.');
  else lines.push('The header section of the message is attached below.');
  if (ret.cut) lines.push(`The header section was longer than ${inp.returnLimit} octets and was cut at a line end.`);
  return lines.join('\r\n') + '\r\n';
}

function statusPart(inp: DsnInput, utf8: boolean): string {
  let s = field('Reporting-MTA', `dns; ${inp.reportingMta}`);
  s += field('X-Rampart-Queue-ID', inp.queueId);
  if (inp.envid) {
    const envid = xtextDecode(inp.envid);
    if (!/[\r\n]/.test(envid) && (utf8 || /^[\x20-\x7e]*$/.test(envid))) s += field('Original-Envelope-Id', envid);
  }
  s += field('Arrival-Date', rfc5322Date(new Date(inp.receivedAt)));
  for (const r of inp.recipients) {
    s += '\r\n';
    const orig = originalRecipient(r.orcpt, utf8);
    if (orig) s += field('Original-Recipient', orig);
    s += field('Final-Recipient', typedAddress(headerText(r.finalRecipient, utf8)));
    s += field('Action', r.action);
    s += field('Status', r.status);
    if (r.remoteMta) s += field('Remote-MTA', `dns; ${headerText(r.remoteMta, false)}`);
    if (r.diagnostic) s += field('Diagnostic-Code', `${r.fromPeer ? 'smtp' : 'X-Rampart'}; ${headerText(r.diagnostic, utf8)}`);
    if (r.lastAttempt) s += field('Last-Attempt-Date', rfc5322Date(new Date(r.lastAttempt)));
    if (r.willRetryUntil) s += field('Will-Retry-Until', rfc5322Date(new Date(r.willRetryUntil)));
  }
  return s;
}

/** Builds the notification's bytes (header and body, CRLF lines). */
export async function buildDsn(inp: DsnInput): Promise<BuiltDsn> {
  const ret = await readReturned(inp.original, inp.ret === 'FULL', inp.returnLimit);
  const utf8 = inp.smtputf8;
  const boundary = `${inp.queueId}.${randomBytes(8).toString('hex')}/${inp.reportingMta}`;
  const eightBit = has8bit(ret.bytes);
  const statusType = utf8 ? 'message/global-delivery-status' : 'message/delivery-status';
  const returnedType = ret.kind === 'full' ? (utf8 ? 'message/global' : 'message/rfc822') : utf8 ? 'message/global-headers' : 'text/rfc822-headers';
  const subject = inp.doubleBounceOf !== undefined ? `Postmaster Copy: ${SUBJECTS[inp.kind]}` : SUBJECTS[inp.kind];
  const head =
    field('From', `Mail Delivery System <MAILER-DAEMON@${inp.reportingMta}>`) +
    field('To', `<${headerText(inp.to, utf8)}>`) +
    field('Subject', subject) +
    field('Date', rfc5322Date(new Date(inp.now))) +
    field('Message-ID', `<${inp.queueId}.${inp.now.toString(36)}.${randomBytes(4).toString('hex')}@${inp.reportingMta}>`) +
    field('Auto-Submitted', 'auto-replied') + // RFC 3834 5: never answer this automatically
    field('MIME-Version', '1.0') +
    `Content-Type: multipart/report; report-type=${utf8 ? 'global-delivery-status' : 'delivery-status'};\r\n\tboundary="${boundary}"\r\n` +
    '\r\n' +
    'This is a MIME-encapsulated message.\r\n\r\n';
  const parts =
    `--${boundary}\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=${utf8 ? 'utf-8' : 'us-ascii'}\r\n\r\n` +
    humanPart(inp, ret, utf8) +
    `\r\n--${boundary}\r\nContent-Description: Delivery report\r\nContent-Type: ${statusType}\r\n${utf8 ? 'Content-Transfer-Encoding: 8bit\r\n' : ''}\r\n` +
    statusPart(inp, utf8) +
    `\r\n--${boundary}\r\nContent-Description: ${ret.kind === 'full' ? 'Returned message' : 'Returned message header section'}\r\nContent-Type: ${returnedType}\r\n` +
    (eightBit ? 'Content-Transfer-Encoding: 8bit\r\n' : '') +
    '\r\n';
  const tail = `${ret.bytes.length && !ret.bytes.subarray(-2).equals(Buffer.from('\r\n')) ? '\r\n' : ''}\r\n--${boundary}--\r\n`;
  const bytes = Buffer.concat([Buffer.from(head + parts, utf8 ? 'utf8' : 'latin1'), ret.bytes, Buffer.from(tail, 'latin1')]);
  return { bytes, smtputf8: utf8, eightBit };
}
