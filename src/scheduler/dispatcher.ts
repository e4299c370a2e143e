// Q3 delivery lanes: every hand-over to a transport is a job for one (channel,
// destination). Jobs for one destination wait in its own FIFO, and start while
// the destination has fewer than channel.concurrency jobs running and the channel
// fewer than channel.maxConnections; so messages to one destination reach the
// transport one after another and it can reuse its pooled connections.
//
// The transport contract says a transport answers per recipient and never
// throws; this is where a broken transport (a throw, a missing answer) becomes
// a temporary failure with a clear reason.

import type { Channel } from '../config/channels-schema.js';
import type { Logger } from '../log/logger.js';
import type { OutboundMessage, OutboundRecipient, RecipientResult, Transport } from '../delivery/types.js';

export interface Job {
  channel: Channel;
  destination: string;
  msg: OutboundMessage;
  rcpts: OutboundRecipient[];
}

interface Waiting extends Job {
  resolve: (r: RecipientResult[]) => void;
}

interface Lane {
  channel: string;
  queue: Waiting[];
  running: number;
}

/** A transport for every channel transport name (one object may serve several: smtp and lmtp). */
export type TransportMap = Record<Channel['transport'], Transport>;

export class Dispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly channelRunning = new Map<string, number>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly transports: TransportMap,
    private readonly log: Logger,
  ) {}

  /** Jobs started and not finished. */
  get running(): number {
    let n = 0;
    for (const v of this.channelRunning.values()) n += v;
    return n;
  }

  /** Hands `job` to its transport when its lane has room; resolves with one result per recipient. */
  submit(job: Job): Promise<RecipientResult[]> {
    return new Promise((resolve) => {
      const key = `${job.channel.name}\0${job.destination}`;
      let lane = this.lanes.get(key);
      if (!lane) {
        lane = { channel: job.channel.name, queue: [], running: 0 };
        this.lanes.set(key, lane);
      }
      lane.queue.push({ ...job, resolve });
      this.pump();
    });
  }

  private pump(): void {
    for (const [key, lane] of this.lanes) {
      while (lane.queue.length) {
        const head = lane.queue[0];
        const onChannel = this.channelRunning.get(lane.channel) ?? 0;
        if (lane.running >= head.channel.concurrency || onChannel >= head.channel.maxConnections) break;
        lane.queue.shift();
        lane.running++;
        this.channelRunning.set(lane.channel, onChannel + 1);
        void this.run(head).then((results) => {
          lane.running--;
          this.channelRunning.set(lane.channel, (this.channelRunning.get(lane.channel) ?? 1) - 1);
          if (!lane.running && !lane.queue.length) this.lanes.delete(key);
          head.resolve(results);
          this.pump();
        });
      }
    }
  }

  private async run(job: Job): Promise<RecipientResult[]> {
    const transport = this.transports[job.channel.transport];
    let results: RecipientResult[];
    try {
      results = await transport.deliver(job.msg, job.rcpts, job.channel);
    } catch (e) {
      const diag = `transport ${job.channel.transport} failed: ${(e as Error).message}`;
      this.log.error({ event: 'transport', queueId: job.msg.id, channel: job.channel.name, err: (e as Error).message }, 'transport threw instead of answering per recipient');
      return job.rcpts.map((r) => ({ index: r.index, outcome: 'deferred', status: '4.3.0', diagnostic: diag }));
    }
    const byIndex = new Map(results.map((r) => [r.index, r]));
    return job.rcpts.map(
      (r) => byIndex.get(r.index) ?? { index: r.index, outcome: 'deferred', status: '4.3.0', diagnostic: `transport ${job.channel.transport} gave no result for this recipient` },
    );
  }

  /** Closes every transport once (one object may serve several transport names; a second call waits for the first). */
  close(): Promise<void> {
    this.closing ??= Promise.all([...new Set(Object.values(this.transports))].map((t) => t.close().catch(() => {}))).then(() => {});
    return this.closing;
  }
}
