// Q2/Q3 connection slots and reuse. Each channel allows `concurrency`
// connections to one destination and `maxConnections` in all; a delivery holds
// one slot (with or without an open connection) from acquire() to release().
// Idle connections wait a short while for the next message to their
// destination; deliveries that find no slot wait in one FIFO per channel, and
// a freed slot goes to the oldest waiter that may use it. A connection being
// closed (QUIT sent, socket not yet closed) still holds its slot, so the peer
// never sees more connections at once than the limits allow.

export interface Poolable {
  readonly alive: boolean;
  transactions: number;
  readonly openedAt: number;
  onGone?: () => void;
  quit(): void;
  /** Resolves when the connection is really closed; its slot is free from then on. */
  readonly closed?: Promise<void>;
}

export interface Limits {
  perDestination: number;
  perChannel: number;
}

export interface ReuseLimits {
  idleMs: number;
  maxMessages: number;
  maxAgeMs: number;
}

/** A held slot: with a connection from the cache, or none (the holder opens one). */
export interface Lease<C> {
  readonly channel: string;
  readonly key: string;
  conn?: C;
}

interface Idle<C> {
  conn: C;
  timer: NodeJS.Timeout;
}

interface Waiter<C> {
  key: string;
  limits: Limits;
  resolve: (lease: Lease<C>) => void;
}

interface ChannelState<C> {
  /** Slots held or idle, per destination. */
  open: Map<string, number>;
  total: number;
  idle: Map<string, Idle<C>[]>;
  waiters: Waiter<C>[];
}

export class ConnectionPool<C extends Poolable> {
  private readonly channels = new Map<string, ChannelState<C>>();
  private closed = false;

  constructor(private readonly reuse: () => ReuseLimits) {}

  acquire(channel: string, key: string, limits: Limits): Promise<Lease<C>> {
    const ch = this.state(channel);
    return new Promise((resolve) => {
      ch.waiters.push({ key, limits, resolve });
      this.pump(channel, ch);
    });
  }

  /** Ends a lease; a clean connection is kept for the next message to the same destination. */
  release(lease: Lease<C>, conn: C | undefined, reusable: boolean): void {
    const ch = this.state(lease.channel);
    const r = this.reuse();
    if (conn && reusable && !this.closed && conn.alive && conn.transactions < r.maxMessages && Date.now() - conn.openedAt < r.maxAgeMs) {
      const idle: Idle<C> = { conn, timer: setTimeout(() => this.dropIdle(lease.channel, lease.key, idle, true), r.idleMs) };
      idle.timer.unref();
      conn.onGone = () => this.dropIdle(lease.channel, lease.key, idle, false);
      const list = ch.idle.get(lease.key) ?? [];
      list.push(idle);
      ch.idle.set(lease.key, list);
    } else {
      if (conn) {
        conn.onGone = undefined;
        conn.quit();
      }
      this.freeWhenClosed(lease.channel, ch, lease.key, conn);
    }
    this.pump(lease.channel, ch);
  }

  /** Connections open or held per destination key (for logs and tests). */
  stats(channel: string): { total: number; open: Record<string, number>; idle: number; waiting: number } {
    const ch = this.state(channel);
    return { total: ch.total, open: Object.fromEntries(ch.open), idle: [...ch.idle.values()].reduce((n, l) => n + l.length, 0), waiting: ch.waiters.length };
  }

  /** Closes idle connections; busy ones close when released. */
  close(): void {
    this.closed = true;
    for (const [name, ch] of this.channels) {
      for (const [key, list] of ch.idle) for (const idle of [...list]) this.dropIdle(name, key, idle, true);
    }
  }

  private state(channel: string): ChannelState<C> {
    let ch = this.channels.get(channel);
    if (!ch) this.channels.set(channel, (ch = { open: new Map(), total: 0, idle: new Map(), waiters: [] }));
    return ch;
  }

  private free(ch: ChannelState<C>, key: string): void {
    const n = (ch.open.get(key) ?? 1) - 1;
    if (n > 0) ch.open.set(key, n);
    else ch.open.delete(key);
    ch.total--;
  }

  /** Frees the slot now, or once `conn` has closed; returns whether it is free now. */
  private freeWhenClosed(channel: string, ch: ChannelState<C>, key: string, conn: C | undefined): boolean {
    if (!conn?.closed) {
      this.free(ch, key);
      return true;
    }
    void conn.closed.then(() => {
      this.free(ch, key);
      this.pump(channel, ch);
    });
    return false;
  }

  private dropIdle(channel: string, key: string, idle: Idle<C>, quit: boolean): void {
    const ch = this.state(channel);
    const list = ch.idle.get(key);
    const i = list?.indexOf(idle) ?? -1;
    if (i < 0) return;
    list!.splice(i, 1);
    if (!list!.length) ch.idle.delete(key);
    clearTimeout(idle.timer);
    idle.conn.onGone = undefined;
    if (quit) idle.conn.quit();
    if (this.freeWhenClosed(channel, ch, key, idle.conn)) this.pump(channel, ch);
  }

  /** Serves waiters in arrival order; one blocked by its destination's limit does not block others. */
  private pump(channel: string, ch: ChannelState<C>): void {
    for (let i = 0; i < ch.waiters.length; ) {
      const w = ch.waiters[i];
      const lease = this.grant(channel, ch, w);
      if (lease) {
        ch.waiters.splice(i, 1);
        w.resolve(lease);
      } else i++;
    }
  }

  private grant(channel: string, ch: ChannelState<C>, w: Waiter<C>): Lease<C> | undefined {
    const list = ch.idle.get(w.key);
    const idle = list?.pop(); // the most recently used: the others may time out
    if (idle) {
      if (!list!.length) ch.idle.delete(w.key);
      clearTimeout(idle.timer);
      idle.conn.onGone = undefined;
      return { channel, key: w.key, conn: idle.conn };
    }
    if ((ch.open.get(w.key) ?? 0) >= w.limits.perDestination) return undefined;
    if (ch.total >= w.limits.perChannel && !this.evictIdle(channel, ch, w.key)) return undefined;
    ch.open.set(w.key, (ch.open.get(w.key) ?? 0) + 1);
    ch.total++;
    return { channel, key: w.key };
  }

  /** Closes an idle connection to another destination to make room on a full channel; true when the room is there now. */
  private evictIdle(channel: string, ch: ChannelState<C>, except: string): boolean {
    for (const [key, list] of ch.idle) {
      if (key === except || !list.length) continue;
      const idle = list.shift()!;
      if (!list.length) ch.idle.delete(key);
      clearTimeout(idle.timer);
      idle.conn.onGone = undefined;
      idle.conn.quit();
      return this.freeWhenClosed(channel, ch, key, idle.conn);
    }
    return false;
  }
}
