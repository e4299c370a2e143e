// P4: concurrent connections overall and per client IP. The listener asks for a
// slot per connection; a full limit is decided as connect.maxConnections by
// finalize() (policy/connect/connection-guards.ts).

export class ConnectionLimits {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  constructor(private maxTotal: number, private maxPerIp: number) {}

  /** New limits after a reload; open connections are kept. */
  update(maxTotal: number, maxPerIp: number): void {
    this.maxTotal = maxTotal;
    this.maxPerIp = maxPerIp;
  }

  /** Takes a slot, or names the limit that is full. `force` takes one past the limits (warn mode). */
  acquire(ip: string, force = false): 'ok' | 'total' | 'per-ip' {
    if (!force && this.total >= this.maxTotal) return 'total';
    const n = this.perIp.get(ip) ?? 0;
    if (!force && n >= this.maxPerIp) return 'per-ip';
    this.total++;
    this.perIp.set(ip, n + 1);
    return 'ok';
  }

  release(ip: string): void {
    const held = this.perIp.get(ip);
    if (held === undefined) return; // no slot held: never let `total` go below the open count
    this.total--;
    if (held <= 1) this.perIp.delete(ip);
    else this.perIp.set(ip, held - 1);
  }

  get open(): number {
    return this.total;
  }
}
