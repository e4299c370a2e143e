// The boundary between the protocol engine and the queue: smtp/ hands over an
// envelope and a byte stream and gets back a queue id. It never touches spool files.

export interface SpoolEnvelope {
  /** Reverse-path as text; "" for the null sender. */
  mailFrom: string;
  rcpts: Array<{ address: string; notify?: string[]; orcpt?: string }>;
  params: { size?: number; body?: string; smtputf8: boolean; ret?: string; envid?: string };
  client: { ip: string; helo?: string; authUser?: string; listener: string; tls?: string };
  sessionId: string;
  receivedAt: number;
}

export interface MessageSink {
  /** Queue id, known from the start so the Received header can name it. */
  readonly id: string;
  /** Appends message bytes. Returns a promise when the caller should wait (back-pressure). */
  write(chunk: Buffer): Promise<void> | undefined;
  /** Makes the message durable (fsync'd file and directory) and queues it. */
  commit(): Promise<void>;
  /** Discards everything written; nothing remains on disk. */
  abort(): Promise<void>;
}

export interface Submitter {
  begin(envelope: SpoolEnvelope): Promise<MessageSink>;
}
