// The boundary between the protocol engine and the queue: smtp/ hands over an
// envelope and a byte stream and gets back a queue id. It never touches spool
// files. A core contract, so smtp/, cleanup/ and spool/ all import it from here.

import type { Readable } from 'node:stream';

export interface SpoolEnvelope {
  /** Reverse-path as text; "" for the null sender. */
  mailFrom: string;
  rcpts: Array<{ address: string; notify?: string[]; orcpt?: string }>;
  params: { size?: number; body?: string; smtputf8: boolean; ret?: string; envid?: string };
  client: { ip: string; helo?: string; authUser?: string; listener: string; tls?: string };
  sessionId: string;
  receivedAt: number;
}

/**
 * `client.listener` of the messages the server queues itself - delivery status
 * notices, their postmaster copies, forwarded copies: never answered 250 to a client.
 */
export const INTERNAL = {
  dsn: 'internal:dsn',
  postmaster: 'internal:postmaster',
  forward: 'internal:forward',
} as const;

/** A message the server queued itself (INTERNAL), not one a client sent. */
export function queuedByUs(env: SpoolEnvelope): boolean {
  return env.client.listener.startsWith('internal:');
}

export interface MessageSink {
  /** Queue id, known from the start so the Received header can name it. */
  readonly id: string;
  /** Message octets written so far. */
  readonly size: number;
  /**
   * Appends message bytes. Returns a promise when the caller should wait
   * (back-pressure); it rejects when the bytes cannot be stored (e.g. ENOSPC).
   */
  write(chunk: Buffer): Promise<void> | undefined;
  /**
   * The octets written so far, from the first: from memory while the message is
   * small, else read back from its file. For end-of-data checks; costs nothing
   * unless called.
   */
  stream(): Readable;
  /**
   * Makes the message durable (fsync'd file and directory) and queues it.
   * `prepend`: header fields (CRLF lines) that readers emit before the stored
   * octets (added at end of data: Authentication-Results, DKIM-Signature...);
   * they are durable with the message before commit resolves.
   */
  commit(prepend?: Buffer): Promise<void>;
  /** Discards everything written; nothing remains on disk. */
  abort(): Promise<void>;
}

export interface Submitter {
  begin(envelope: SpoolEnvelope): Promise<MessageSink>;
}
