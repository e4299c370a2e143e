// Queue and delivery metrics. Deliveries are counted at the boundary between the
// scheduler and the transports (a decorator around the transport map, applied in
// main.ts, so neither side knows of metrics): one attempt per hand-over of a
// message to a channel and destination, one result per recipient, by channel,
// outcome and RFC 3463 class. The queue's size is read from the scheduler at each
// scrape: messages by state, by state and channel, and recipients waiting for a
// retry by channel.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RecipientResult, Transport } from '../delivery/types.js';
import type { TransportMap } from '../scheduler/dispatcher.js';

/** What the queue gauges read (src/scheduler/scheduler.ts). */
export interface QueueSource {
  stats(): { waiting: number; ready: number; running: number; parked: number };
  deferredByChannel(): Map<string, number>;
  messagesByStateAndChannel(): Map<string, { state: 'waiting' | 'ready' | 'running' | 'parked'; channel: string; n: number }>;
}

/** RFC 3463 class of a status ("4.4.1" -> transient). */
export function statusClass(status: string): string {
  return status.startsWith('2') ? 'success' : status.startsWith('4') ? 'transient' : status.startsWith('5') ? 'permanent' : 'unknown';
}

export class DeliveryMetrics {
  readonly attempts: Counter<'channel'>;
  readonly results: Counter<'channel' | 'outcome' | 'class'>;
  readonly seconds: Histogram<'channel'>;
  private queue: QueueSource | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    const self = this;
    this.attempts = new Counter({ name: 'rampart_delivery_attempts_total', help: 'Delivery attempts: hand-overs of a message to a channel\'s transport for one destination, by channel.', labelNames: ['channel'], registers });
    this.results = new Counter({ name: 'rampart_delivery_results_total', help: 'Delivery results per recipient, by channel, outcome (delivered, relayed, deferred, failed) and RFC 3463 class (success, transient, permanent).', labelNames: ['channel', 'outcome', 'class'], registers });
    this.seconds = new Histogram({ name: 'rampart_delivery_duration_seconds', help: 'Time one delivery attempt took (the transport\'s answer for all its recipients), by channel.', labelNames: ['channel'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300], registers });
    new Gauge({
      name: 'rampart_queue_messages',
      help: 'Queued messages by scheduler state: waiting (for a retry time), ready (due, waiting for a delivery slot), running (in an attempt), held (queue hold).',
      labelNames: ['state'],
      registers,
      collect() {
        const s = self.queue?.stats();
        if (!s) return;
        this.set({ state: 'waiting' }, s.waiting);
        this.set({ state: 'ready' }, s.ready);
        this.set({ state: 'running' }, s.running);
        this.set({ state: 'held' }, s.parked);
      },
    });
    const byChannel: Gauge<'state' | 'channel'> = new Gauge({
      name: 'rampart_queue_channel_messages',
      help: 'Queued messages by scheduler state (as rampart_queue_messages) and channel: the channels their unfinished recipients were routed to at the last attempt, or "unrouted" before the first attempt. A message with recipients on two channels counts under each.',
      labelNames: ['state', 'channel'],
      registers,
      collect() {
        if (!self.queue) return;
        byChannel.reset();
        for (const { state, channel, n } of self.queue.messagesByStateAndChannel().values()) byChannel.set({ state: state === 'parked' ? 'held' : state, channel }, n);
      },
    });
    const deferred: Gauge<'channel'> = new Gauge({
      name: 'rampart_queue_deferred_recipients',
      help: 'Recipients of queued messages waiting for a retry after a temporary failure, by channel.',
      labelNames: ['channel'],
      registers,
      collect() {
        if (!self.queue) return;
        deferred.reset();
        for (const [channel, n] of self.queue.deferredByChannel()) deferred.set({ channel }, n);
      },
    });
  }

  watchQueue(q: QueueSource): void {
    this.queue = q;
  }

  private observe(channel: string, started: bigint, results: readonly RecipientResult[]): void {
    this.attempts.inc({ channel });
    this.seconds.observe({ channel }, Number(process.hrtime.bigint() - started) / 1e9);
    for (const r of results) this.results.inc({ channel, outcome: r.outcome, class: statusClass(r.status) });
  }

  /** The same transports, counted; an object serving several transport names stays one object (closed once). */
  instrument(transports: TransportMap): TransportMap {
    const wrapped = new Map<Transport, Transport>();
    const wrap = (t: Transport): Transport => {
      let w = wrapped.get(t);
      if (!w) {
        w = {
          deliver: async (msg, rcpts, channel) => {
            const started = process.hrtime.bigint();
            let results: RecipientResult[] = [];
            try {
              results = await t.deliver(msg, rcpts, channel);
              return results;
            } finally {
              this.observe(channel.name, started, results);
            }
          },
          close: () => t.close(),
        };
        wrapped.set(t, w);
      }
      return w;
    };
    return Object.fromEntries(Object.entries(transports).map(([name, t]) => [name, wrap(t)])) as TransportMap;
  }
}
