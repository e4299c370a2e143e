// The live decision stream: Server-Sent Events, one `decision` event per policy
// decision or mark, to every client whose filter matches. A client never slows
// the server: each write goes to its socket while the socket takes it; once the
// socket's buffer is full, events wait in a queue of at most `maxQueuedBytes`,
// and a client whose queue would grow past that is dropped (the socket is
// destroyed; EventSource-style clients reconnect with Last-Event-ID and get the
// missed events from the ring buffer, as far as it reaches).

import type { ServerResponse } from 'node:http';
import type { DecisionFilter } from './decision-filter.js';
import type { RecentDecision, RecentDecisions } from './recent-decisions.js';

export interface StreamSettings {
  /** Bytes of events one client may have waiting behind a full socket before it is dropped. */
  maxQueuedBytes: number;
  /** A comment line this often keeps proxies and idle clients from closing the stream. */
  heartbeatMs: number;
}

export const STREAM_DEFAULTS: StreamSettings = { maxQueuedBytes: 1024 * 1024, heartbeatMs: 15_000 };

interface Client {
  res: ServerResponse;
  filter: DecisionFilter;
  queue: string[];
  queuedBytes: number;
  blocked: boolean;
}

export interface StreamEvents {
  /** A client was dropped for not reading (metrics). */
  dropped?: () => void;
}

function frame(e: RecentDecision): string {
  return `id: ${e.seq}\nevent: decision\ndata: ${JSON.stringify(e)}\n\n`;
}

export class DecisionStream {
  private readonly clients = new Set<Client>();
  private heartbeat: NodeJS.Timeout | undefined;
  dropped = 0;

  constructor(
    private readonly recent: RecentDecisions,
    private readonly settings: StreamSettings = STREAM_DEFAULTS,
    private readonly events: StreamEvents = {},
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /**
   * Starts a stream on `res`: the headers, then the matching events of the ring
   * buffer after `afterSeq` (a reconnect's Last-Event-ID) or the newest `backlog`
   * ones, then every new matching event until the client goes.
   */
  open(res: ServerResponse, filter: DecisionFilter, opts: { afterSeq?: number; backlog?: number } = {}): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const c: Client = { res, filter, queue: [], queuedBytes: 0, blocked: false };
    this.clients.add(c);
    const gone = () => this.clients.delete(c);
    res.on('close', gone);
    res.on('error', gone);
    const limit = opts.afterSeq !== undefined ? 1000 : Math.min(opts.backlog ?? 0, 1000);
    const past = limit > 0 ? this.recent.search((e) => (opts.afterSeq === undefined || e.seq > opts.afterSeq) && filter(e), limit).items : [];
    res.write(`retry: 3000\n\n`);
    for (const e of past.reverse()) this.send(c, frame(e));
    this.heartbeat ??= setInterval(() => this.beat(), this.settings.heartbeatMs).unref();
  }

  /** Sends a new event to every client whose filter matches it. */
  publish(e: RecentDecision): void {
    if (!this.clients.size) return;
    let text: string | undefined;
    for (const c of this.clients) {
      if (!c.filter(e)) continue;
      text ??= frame(e);
      this.send(c, text);
    }
  }

  private send(c: Client, text: string): void {
    if (c.blocked) {
      if (c.queuedBytes + text.length > this.settings.maxQueuedBytes) return this.drop(c);
      c.queue.push(text);
      c.queuedBytes += text.length;
      return;
    }
    if (!c.res.write(text)) {
      c.blocked = true;
      c.res.once('drain', () => this.flush(c));
    }
  }

  /** The socket took what it had: send what waited, until it is full again. */
  private flush(c: Client): void {
    c.blocked = false;
    while (c.queue.length && !c.blocked) {
      const text = c.queue.shift()!;
      c.queuedBytes -= text.length;
      this.send(c, text);
    }
  }

  private drop(c: Client): void {
    this.clients.delete(c);
    c.queue = [];
    c.queuedBytes = 0;
    this.dropped++;
    this.events.dropped?.();
    c.res.destroy();
  }

  private beat(): void {
    if (!this.clients.size) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
      return;
    }
    for (const c of this.clients) this.send(c, ': keepalive\n\n');
  }

  /** Ends every stream (the admin listener is closing). */
  close(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }
}
