// The contract between the scheduler and the transports (maildir, lmtp, smtp,
// discard). The scheduler hands a transport one message and those of its
// recipients that share a channel and a destination; the transport answers once
// per recipient, in the shape a DSN needs (RFC 3464 section 2.3), and never
// throws for a delivery problem: a failure is a result, not an exception.

import type { Readable } from 'node:stream';
import type { Channel } from '../config/channels-schema.js';

/**
 * delivered: the final mailbox took it. relayed: handed to a peer that does not
 * offer DSN (RFC 3461 5.2.2: NOTIFY=SUCCESS then gets Action: relayed).
 * deferred: temporary failure, retry later. failed: permanent failure, bounce.
 */
export type RecipientOutcome = 'delivered' | 'relayed' | 'deferred' | 'failed';

export interface RecipientResult {
  /** Index of the recipient in the queued envelope's rcpts. */
  index: number;
  outcome: RecipientOutcome;
  /** RFC 3463 status, e.g. "2.0.0", "4.4.1", "5.1.1". */
  status: string;
  /**
   * What happened, for the log, `rampart queue list` and the DSN's Diagnostic-Code:
   * the peer's reply as received ("550 5.1.1 <x@example.org>: no such user") or our own reason.
   */
  diagnostic: string;
  /** Who answered: the peer's host name (DSN Remote-MTA "dns; <host>"); absent for local results. */
  remoteMta?: string;
  /** True when `diagnostic` is the peer's SMTP/LMTP reply (DSN Diagnostic-Code type "smtp"). */
  fromPeer?: boolean;
  /**
   * Relayed to an SMTP peer that offers DSN, with NOTIFY/ORCPT passed on (RFC 3461 5.2.1):
   * a success notice is the final MTA's to send, not ours.
   */
  notifyPassed?: boolean;
}

/** One recipient as the transport needs it (address after alias expansion and routing). */
export interface OutboundRecipient {
  /** Index in the queued envelope's rcpts (results refer to it). */
  index: number;
  /** The address to deliver to (RCPT TO for smtp/lmtp, the mailbox for maildir). */
  address: string;
  /** RFC 3461 NOTIFY and ORCPT, passed on when the peer offers DSN. */
  notify?: string[];
  orcpt?: string;
}

export interface OutboundMessage {
  /** Queue id, for logs. */
  id: string;
  /** Reverse-path; "" for the null sender. */
  mailFrom: string;
  /** MAIL parameters as received: BODY (8BITMIME), SMTPUTF8, RET, ENVID; size is `size` below. */
  params: { body?: string; smtputf8: boolean; ret?: string; envid?: string };
  /** Octets of the whole message that open() yields. */
  size: number;
  /** The whole message (header and body, CRLF lines), from its first octet. May be called more than once. */
  open(): Readable;
  /** Our end-of-data checks quarantined it (score/quarantine.ts): local delivery files it in score.quarantineFolder. */
  quarantined?: boolean;
}

export interface Transport {
  /**
   * Delivers `msg` to `rcpts`, all routed to `channel` and to one destination.
   * Resolves with exactly one result per recipient, in any order.
   */
  deliver(msg: OutboundMessage, rcpts: readonly OutboundRecipient[], channel: Channel): Promise<RecipientResult[]>;
  /** Closes cached connections (shutdown, reload). */
  close(): Promise<void>;
}
