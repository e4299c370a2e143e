// What the session knows about the client and the current transaction. Checks
// receive read-only views of these; only the session mutates them.

import type { Address } from './address.js';
import type { MailParams, RcptParams } from './params.js';
import type { Listener } from '../config/load.js';
import type { Mark } from './mark.js';

export interface SessionInfo {
  /** Unique per connection; appears in every log line of the session. */
  id: string;
  listener: Listener;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  tls?: { protocol: string; cipher: string };
  /** The EHLO/HELO argument, once given. */
  helo?: string;
  esmtp: boolean;
  /** The authenticated user (mailbox address), once AUTH succeeded. */
  authUser?: string;
  /** R4: failed AUTH attempts in this session. */
  failedAuth?: number;
}

export interface Recipient {
  address: Address;
  params: RcptParams;
}

export interface Envelope {
  mailFrom: Address | null; // null = null reverse-path "<>"
  mailParams: MailParams;
  rcpts: Recipient[];
  /** H8: RCPT commands with a well-formed address presented in this transaction, accepted or not. */
  presented?: number;
  /** Marks added by checks (e.g. H2 "no PTR"): headers after Received, spam score for eod. */
  marks?: Mark[];
  /** S4 Large Message Safety: running key over the client IP, HELO, MAIL and every RCPT argument (policy/lms.ts). */
  lms?: { rcpt(arg: string): void; key(): string };
}
