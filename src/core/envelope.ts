// What the session knows about the client and the current transaction. Checks
// receive read-only views of these; only the session mutates them.

import type { Address } from './address.js';
import type { MailParams, RcptParams } from '../smtp/params.js';
import type { Listener } from '../config/load.js';

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
}

export interface Recipient {
  address: Address;
  params: RcptParams;
}

export interface Envelope {
  mailFrom: Address | null; // null = null reverse-path "<>"
  mailParams: MailParams;
  rcpts: Recipient[];
}
