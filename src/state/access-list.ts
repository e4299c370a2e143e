// R2 allow and deny lists of IP addresses and CIDR networks (IPv4 and IPv6),
// each entry with a reason, a source (manual or H6 automatic) and an optional
// expiry. The lists live in the SharedStore (maps "access:allow" and
// "access:deny"), so they survive a restart and are shared by every node through
// Redis. Lookups never touch the store: an in-memory longest-prefix index (one
// hash map per prefix length) answers in microseconds with 100,000 entries. A
// version counter in the store tells when another node or the CLI changed a
// list; refresh() reloads then (called periodically by startRefresh()).

import { CidrIndex, parseCidr, parseIp, type Cidr } from '../core/cidr.js';
import type { SharedStore } from './store.js';
import { SortedNetworks } from './sorted-networks.js';

export type AccessKind = 'allow' | 'deny';
export type EntrySource = 'manual' | 'auto';

export interface AccessEntry {
  kind: AccessKind;
  /** Canonical CIDR text, e.g. "192.0.2.7/32". */
  network: string;
  reason: string;
  source: EntrySource;
  createdAt: number;
  /** Epoch ms; absent = never expires. */
  expiresAt?: number;
}

interface Stored {
  reason: string;
  source: EntrySource;
  createdAt: number;
  expiresAt?: number;
}

export class AccessListError extends Error {}

const MAP: Record<AccessKind, string> = { allow: 'access:allow', deny: 'access:deny' };
const VERSION_KEY = 'access:version';
const VERSION_TTL_MS = 10 * 365 * 24 * 3600 * 1000;

export interface Lookup {
  allow?: AccessEntry;
  deny?: AccessEntry;
}

export class AccessList {
  private readonly index: Record<AccessKind, CidrIndex<AccessEntry>> = { allow: new CidrIndex(), deny: new CidrIndex() };
  /** The same entries in address order, for paging (admin API). */
  private readonly sorted: Record<AccessKind, SortedNetworks<AccessEntry>> = { allow: new SortedNetworks(), deny: new SortedNetworks() };
  /** Connections refused per deny entry, on this node since it started (recordHit). */
  private readonly hitCounts = new Map<string, number>();
  private version: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<boolean> | undefined;
  /** True once the index was loaded from the store. */
  loaded = false;
  /** Called with the error when a periodic refresh fails (the last index stays in use). */
  onError: (e: Error) => void = () => {};
  /** Called for each entry this node stored (metrics count manual and automatic additions). */
  onAdded: (e: AccessEntry) => void = () => {};

  constructor(private readonly store: SharedStore, private readonly now: () => number = Date.now) {}

  /** Parses and canonicalizes an address or network; throws AccessListError. */
  static network(text: string): Cidr {
    const c = parseCidr(text);
    if (typeof c === 'string') throw new AccessListError(c);
    return c;
  }

  // ---- reading (hot path) ---------------------------------------------------

  /** The allow and deny entries (longest live match each) covering `ip`. */
  lookup(ip: string): Lookup {
    const v = parseIp(ip);
    if (!v) return {};
    const t = this.now();
    const live = (e: AccessEntry) => e.expiresAt === undefined || e.expiresAt > t;
    return { allow: this.index.allow.lookup(v, live), deny: this.index.deny.lookup(v, live) };
  }

  /** R2: allow beats deny. The deny entry that refuses `ip`, if any. */
  denied(ip: string): AccessEntry | undefined {
    const r = this.lookup(ip);
    return r.allow ? undefined : r.deny;
  }

  /** Entries in the in-memory index (including expired ones not yet swept). */
  size(kind: AccessKind): number {
    return this.index[kind].size;
  }

  // ---- loading and refreshing ----------------------------------------------

  /** Reloads both lists from the store. */
  async load(): Promise<void> {
    const version = await this.store.get(VERSION_KEY);
    const [allow, deny] = await Promise.all([this.store.mapAll(MAP.allow), this.store.mapAll(MAP.deny)]);
    this.fill('allow', allow);
    this.fill('deny', deny);
    this.version = version;
    this.loaded = true;
  }

  private fill(kind: AccessKind, rows: Map<string, string>): void {
    const idx = this.index[kind];
    idx.clear();
    const all: Array<[Cidr, AccessEntry]> = [];
    for (const [network, raw] of rows) {
      const c = parseCidr(network);
      if (typeof c === 'string') continue;
      const e = toEntry(kind, c.text, raw);
      idx.set(c, e);
      all.push([c, e]);
    }
    this.sorted[kind].reset(all);
    if (kind === 'deny') for (const n of this.hitCounts.keys()) if (!idx.get(AccessList.network(n))) this.hitCounts.delete(n);
  }

  private put(kind: AccessKind, c: Cidr, e: AccessEntry): void {
    this.index[kind].set(c, e);
    this.sorted[kind].set(c, e);
  }

  private drop(kind: AccessKind, c: Cidr): void {
    this.index[kind].delete(c);
    this.sorted[kind].delete(c);
    if (kind === 'deny') this.hitCounts.delete(c.text);
  }

  // ---- admin views (from the in-memory index; load() first when it was never loaded) ----

  /**
   * A page of live entries in address order (IPv4, then IPv6), after the network
   * `after` (exclusive), optionally only those of one source.
   */
  page(kind: AccessKind, opts: { after?: string; limit: number; source?: EntrySource }): AccessEntry[] {
    const t = this.now();
    const after = opts.after === undefined ? undefined : AccessList.network(opts.after);
    return this.sorted[kind].page(after, opts.limit, (e) => (e.expiresAt === undefined || e.expiresAt > t) && (!opts.source || e.source === opts.source));
  }

  /** The live entry for exactly this network, or undefined. */
  get(kind: AccessKind, network: string): AccessEntry | undefined {
    const e = this.index[kind].get(AccessList.network(network));
    return e && (e.expiresAt === undefined || e.expiresAt > this.now()) ? e : undefined;
  }

  /** Every live entry whose network contains `ip` (longest prefix first). */
  covering(kind: AccessKind, ip: string): AccessEntry[] {
    const found: AccessEntry[] = [];
    const t = this.now();
    this.index[kind].lookup(ip, (e) => {
      if (e.expiresAt === undefined || e.expiresAt > t) found.push(e);
      return false; // keep walking: collect every prefix length
    });
    return found;
  }

  /** Counts a refused connection against the deny entry that covers `ip` (fed from the decision events). */
  recordHit(ip: string): void {
    const e = this.lookup(ip).deny;
    if (e) this.hitCounts.set(e.network, (this.hitCounts.get(e.network) ?? 0) + 1);
  }

  /** Connections this node refused because of the deny entry `network`. */
  hits(network: string): number {
    return this.hitCounts.get(network) ?? 0;
  }

  /** Live entries per source, for the metrics gauge (a walk over the index). */
  countBySource(kind: AccessKind): Record<EntrySource, number> {
    const t = this.now();
    const n = { manual: 0, auto: 0 };
    for (const e of this.index[kind].values()) if (e.expiresAt === undefined || e.expiresAt > t) n[e.source]++;
    return n;
  }

  /** Reloads when another node or the CLI changed a list (or the first load is still missing). Returns true when reloaded. */
  refresh(): Promise<boolean> {
    return (this.refreshing ??= (async () => {
      try {
        const v = await this.store.get(VERSION_KEY);
        if (this.loaded && v === this.version) return false;
        await this.load();
        return true;
      } finally {
        this.refreshing = undefined;
      }
    })());
  }

  startRefresh(intervalMs: number): void {
    this.stopRefresh();
    this.timer = setInterval(() => {
      this.refresh().catch((e: Error) => this.onError(e));
    }, intervalMs);
    this.timer.unref();
  }

  stopRefresh(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  // ---- changing --------------------------------------------------------------

  /** Every live entry of a list, from the store (the source of truth), sorted by network. */
  async list(kind: AccessKind): Promise<AccessEntry[]> {
    const rows = await this.store.mapAll(MAP[kind]);
    return [...rows].map(([n, raw]) => toEntry(kind, n, raw)).sort((a, b) => a.network.localeCompare(b.network, 'en', { numeric: true }));
  }

  /**
   * Adds (or replaces) an entry. `ttlMs` makes it expire. Returns the entry.
   * A manual entry replaces an automatic one; an automatic entry never replaces a manual one.
   */
  async add(kind: AccessKind, network: string, opts: { reason?: string; ttlMs?: number; source?: EntrySource } = {}): Promise<AccessEntry> {
    const c = AccessList.network(network);
    const source = opts.source ?? 'manual';
    if (opts.ttlMs !== undefined && (!Number.isFinite(opts.ttlMs) || opts.ttlMs <= 0)) throw new AccessListError('the expiry must be a positive duration');
    const now = this.now();
    const entry: AccessEntry = { kind, network: c.text, reason: opts.reason ?? '', source, createdAt: now, expiresAt: opts.ttlMs === undefined ? undefined : now + opts.ttlMs };
    if (source === 'auto') {
      const old = await this.store.mapGet(MAP[kind], c.text);
      if (old && toEntry(kind, c.text, old).source === 'manual') return toEntry(kind, c.text, old);
    }
    const stored: Stored = { reason: entry.reason, source, createdAt: now, expiresAt: entry.expiresAt };
    await this.store.mapSet(MAP[kind], c.text, JSON.stringify(stored), opts.ttlMs);
    await this.changed(() => this.put(kind, c, entry));
    this.onAdded(entry);
    return entry;
  }

  /** Removes an entry (exact network). False when there was none. */
  async remove(kind: AccessKind, network: string): Promise<boolean> {
    const c = AccessList.network(network);
    const had = await this.store.mapDel(MAP[kind], c.text);
    if (had) await this.changed(() => this.drop(kind, c));
    return had;
  }

  /**
   * H6 size bound: when more than `max` automatic deny entries exist, removes the
   * oldest automatic ones (manual entries are never removed). Returns how many went.
   */
  async evictAuto(max: number): Promise<string[]> {
    const t = this.now();
    const autos = [...this.index.deny.values()].filter((e) => e.source === 'auto' && (e.expiresAt === undefined || e.expiresAt > t));
    if (autos.length <= max) return [];
    autos.sort((a, b) => a.createdAt - b.createdAt);
    const gone = autos.slice(0, autos.length - max).map((e) => e.network);
    for (const n of gone) {
      await this.store.mapDel(MAP.deny, n);
      this.drop('deny', AccessList.network(n));
    }
    await this.changed(() => {});
    return gone;
  }

  /** Bumps the shared version; applies our change in memory, or reloads when someone else changed the list meanwhile. */
  private async changed(apply: () => void): Promise<void> {
    const v = await this.store.incr(VERSION_KEY, 1, VERSION_TTL_MS);
    if (!this.loaded) return; // no index kept (e.g. the CLI)
    if (v === Number(this.version ?? 0) + 1) {
      apply();
      this.version = String(v);
    } else await this.load();
  }

  close(): void {
    this.stopRefresh();
  }
}

function toEntry(kind: AccessKind, network: string, raw: string): AccessEntry {
  let s: Partial<Stored> = {};
  try {
    s = JSON.parse(raw) as Stored;
  } catch {
    // an unreadable entry still denies/allows; it just has no details
  }
  return { kind, network, reason: s.reason ?? '', source: s.source === 'auto' ? 'auto' : 'manual', createdAt: s.createdAt ?? 0, expiresAt: s.expiresAt };
}

/** Parses "90s", "15m", "1h", "2d", "1w" or plain milliseconds into ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(text.trim());
  if (!m) throw new AccessListError(`"${text}" is not a duration (e.g. 90s, 15m, 1h, 2d, 1w)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] ?? 'ms']!;
  const ms = Math.round(Number(m[1]) * unit);
  if (ms <= 0) throw new AccessListError(`"${text}" must be longer than zero`);
  return ms;
}
