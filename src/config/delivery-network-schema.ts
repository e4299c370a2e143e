// Q2 outbound SMTP/LMTP: how long the client waits at each step of a session
// (RFC 5321 4.5.3.2) and how long a connection is kept for the next message.

import { z } from 'zod';

const ms = z.number().int().min(1);

/** RFC 5321 4.5.3.2 timeouts of the SMTP/LMTP client, in milliseconds. */
export const DeliveryTimeoutsSchema = z
  .object({
    connectMs: ms.default(30_000).describe('Q2: time to open a TCP (or unix socket) connection to one address before trying the next (Postfix smtp_connect_timeout, 30 s).'),
    greetingMs: ms.default(300_000).describe('Q2 (RFC 5321 4.5.3.2.1): wait for the initial 220 greeting. Default 5 min.'),
    heloMs: ms.default(300_000).describe('Q2: wait for the reply to EHLO/LHLO/HELO, STARTTLS (and the TLS handshake) and each AUTH step (Postfix smtp_helo_timeout, 5 min).'),
    mailMs: ms.default(300_000).describe('Q2 (RFC 5321 4.5.3.2.2): wait for the reply to MAIL FROM (and to RSET before a reused connection). Default 5 min.'),
    rcptMs: ms.default(300_000).describe('Q2 (RFC 5321 4.5.3.2.3): wait for the reply to each RCPT TO. Default 5 min.'),
    dataInitMs: ms.default(120_000).describe('Q2 (RFC 5321 4.5.3.2.4): wait for the 354 reply to DATA. Default 2 min.'),
    dataBlockMs: ms.default(180_000).describe('Q2 (RFC 5321 4.5.3.2.5): longest wait for the peer to take each block of message data (a write that does not drain). Default 3 min.'),
    dataDoneMs: ms.default(600_000).describe('Q2 (RFC 5321 4.5.3.2.6): wait for the reply(ies, one per recipient in LMTP) after the final ".". Default 10 min.'),
  })
  .strict()
  .prefault({})
  .describe('Q2: timeouts of outbound SMTP/LMTP sessions (RFC 5321 4.5.3.2). A peer that stays silent past one gets a temporary failure (4.4.2) for the recipients not yet answered.');

/** Q2 connection reuse (Postfix connection cache). */
export const ConnectionCacheSchema = z
  .object({
    idleMs: ms.default(2_000).describe('Q2: an idle outbound connection is kept this long for the next message to the same destination, then closed with QUIT (Postfix smtp_connection_cache_time_limit, 2 s).'),
    maxMessages: z.number().int().min(1).default(100).describe('Q2: transactions over one outbound connection before it is closed and a new one opened.'),
    maxAgeMs: ms.default(300_000).describe('Q2: a connection older than this is not reused (Postfix smtp_connection_reuse_time_limit, 300 s).'),
  })
  .strict()
  .prefault({})
  .describe('Q2: outbound connections are reused for several messages to one destination (RSET between transactions).');

export type DeliveryTimeouts = z.output<typeof DeliveryTimeoutsSchema>;
export type ConnectionCache = z.output<typeof ConnectionCacheSchema>;
