// Q2 who gets a delivery status notification, and queueing it. A DSN goes to
// the envelope sender with the null sender <> (RFC 5321 4.5.5, RFC 3461 6.2),
// through the spool like any message. Never to <>: a failed message with the null
// sender is logged and dropped, except a DSN of our own that could not be
// delivered (a double bounce), which goes once to the postmaster; the
// postmaster's copy failing in turn is only logged. Never to a mail-system
// address (MAILER-DAEMON, double-bounce): a notice there would loop.

import type { Readable } from 'node:stream';
import type { Snapshot } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { INTERNAL, type SpoolEnvelope, type Submitter } from '../core/submission.js';
import { postmasterDomain } from '../policy/rcpt/recipient-domain.js';
import { buildDsn, type DsnKind, type DsnRecipient } from './dsn-message.js';

/** Local parts that name a mail system, never a person who could read a notice. */
const MAIL_SYSTEM_LOCAL = /^(mailer-daemon|double-bounce)$/i;

/** The message a notice is about. */
export interface NoticeSubject {
  id: string;
  envelope: SpoolEnvelope;
  original: { open(): Readable; size: number };
}

export type NoticeOutcome = { dsnId: string; to: string } | { dropped: string };

/** Does this recipient's NOTIFY ask for this kind of notice? (RFC 3461 4.1; no NOTIFY = FAILURE only.) */
export function wantsNotice(kind: DsnKind, notify: readonly string[] | undefined): boolean {
  if (!notify) return kind === 'failure';
  if (notify.includes('NEVER')) return false;
  return notify.includes(kind === 'failure' ? 'FAILURE' : kind === 'delay' ? 'DELAY' : 'SUCCESS');
}

export class Notifier {
  constructor(
    private readonly deps: {
      submitter: Submitter;
      config: () => Snapshot;
      log: Logger;
      now: () => number;
    },
  ) {}

  /** Where a notice about `msg` goes, or why none is sent. */
  recipientFor(kind: DsnKind, msg: NoticeSubject): { to: string; doubleBounceOf?: string } | { dropped: string } {
    const env = msg.envelope;
    if (env.mailFrom === '') {
      if (kind === 'failure' && env.client.listener === INTERNAL.dsn) {
        return { to: `postmaster@${postmasterDomain(this.deps.config())}`, doubleBounceOf: env.rcpts[0]?.address ?? '' };
      }
      return { dropped: env.client.listener === INTERNAL.postmaster ? 'the postmaster copy of a failed notice could not be delivered' : 'the sender is <>: no notice is sent about a notice (RFC 5321 4.5.5)' };
    }
    const local = env.mailFrom.slice(0, env.mailFrom.lastIndexOf('@'));
    if (MAIL_SYSTEM_LOCAL.test(local)) return { dropped: `the sender <${env.mailFrom}> is a mail system address; a notice would loop` };
    return { to: env.mailFrom };
  }

  /** Queues one notice covering `recipients`, or logs why none is sent. Throws when the spool cannot take it. */
  async send(kind: DsnKind, msg: NoticeSubject, recipients: DsnRecipient[]): Promise<NoticeOutcome> {
    const dest = this.recipientFor(kind, msg);
    const log = { event: 'dsn', kind, queueId: msg.id, rcpts: recipients.map((r) => r.finalRecipient) };
    if ('dropped' in dest) {
      this.deps.log.warn({ ...log, reason: dest.dropped }, 'no delivery status notice sent');
      return dest;
    }
    const config = this.deps.config();
    const env = msg.envelope;
    const now = this.deps.now();
    const double = dest.doubleBounceOf !== undefined;
    const dsn = await buildDsn({
      kind,
      reportingMta: config.hostname,
      queueId: msg.id,
      to: dest.to,
      envid: env.params.envid,
      // The postmaster gets the whole failed notice (it is small and is the evidence).
      ret: double ? 'FULL' : env.params.ret,
      receivedAt: env.receivedAt,
      smtputf8: env.params.smtputf8,
      recipients,
      original: msg.original,
      returnLimit: config.delivery.bounceSizeLimit,
      now,
      doubleBounceOf: dest.doubleBounceOf,
    });
    const envelope: SpoolEnvelope = {
      mailFrom: '',
      rcpts: [{ address: dest.to }],
      params: { size: dsn.bytes.length, body: dsn.eightBit ? '8BITMIME' : undefined, smtputf8: dsn.smtputf8 },
      client: { ip: '127.0.0.1', listener: double ? INTERNAL.postmaster : INTERNAL.dsn },
      sessionId: `${kind}:${msg.id}`,
      receivedAt: now,
    };
    const sink = await this.deps.submitter.begin(envelope);
    try {
      await sink.write(dsn.bytes);
      await sink.commit();
    } catch (e) {
      await sink.abort().catch(() => {});
      throw e;
    }
    this.deps.log.info({ ...log, dsnId: sink.id, to: dest.to, double }, double ? 'notice could not be delivered: postmaster copy queued' : 'delivery status notice queued');
    return { dsnId: sink.id, to: dest.to };
  }
}
