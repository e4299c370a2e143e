// IP networks (CIDR) for relay, access lists and PROXY trust: strict parsing,
// canonical text, and a longest-prefix index that stays fast with 100,000
// entries (one hash map per prefix length that is in use: a lookup costs at most
// one map probe per distinct prefix length, never a scan of the list).
// IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) are treated as the IPv4 address.

import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface Cidr {
  family: 4 | 6;
  /** Prefix length. */
  bits: number;
  /** The network, host bits cleared: a 32-bit unsigned number (IPv4) or 32 hex digits (IPv6). */
  net: number | string;
  /** Canonical text, e.g. "192.0.2.0/24", "2001:db8::/32", "192.0.2.7/32". */
  text: string;
}

/** Prefixes shorter than these mean "everybody" (or a large part of the Internet) and are refused where trust is granted. */
export const MIN_PREFIX = { 4: 8, 6: 16 } as const;

export interface IpValue {
  family: 4 | 6;
  /** IPv4: 32-bit unsigned number. IPv6: 32 lower-case hex digits (strings hash well as Map keys; bigints do not). */
  value: number | string;
}

function v4Number(octets: number[]): number {
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

function v6Hex(parts: number[]): string {
  let s = '';
  for (const p of parts) s += p.toString(16).padStart(4, '0');
  return s;
}

/** Parses an IP address (strict dotted quad or IPv6, no zone index). undefined when it is not one. */
export function parseIp(ip: string): IpValue | undefined {
  const kind = isIP(ip);
  if (kind === 4) {
    const o = ip.split('.');
    return { family: 4, value: ((+o[0] << 24) | (+o[1] << 16) | (+o[2] << 8) | +o[3]) >>> 0 };
  }
  if (kind !== 6 || ip.includes('%')) return undefined;
  const a = ipaddr.IPv6.parse(ip);
  if (a.isIPv4MappedAddress()) return { family: 4, value: v4Number(a.toIPv4Address().octets) };
  return { family: 6, value: v6Hex(a.parts) };
}

/** Canonical text of an address: IPv4 dotted quad (also for IPv4-mapped IPv6), IPv6 in RFC 5952 form. */
export function canonicalIp(ip: string): string | undefined {
  const v = parseIp(ip);
  return v ? ipText(v) : undefined;
}

function ipText(v: IpValue): string {
  if (v.family === 4) {
    const n = v.value as number;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const hex = v.value as string;
  const parts: number[] = [];
  for (let i = 0; i < 32; i += 4) parts.push(parseInt(hex.slice(i, i + 4), 16));
  return new ipaddr.IPv6(parts).toRFC5952String();
}

const ZEROS = '0'.repeat(32);

function mask(v: IpValue, bits: number): number | string {
  if (v.family === 4) return bits === 0 ? 0 : ((v.value as number) >>> (32 - bits)) << (32 - bits) >>> 0;
  const hex = v.value as string;
  const full = bits >> 2;
  const rem = bits & 3;
  let s = hex.slice(0, full);
  if (rem) s += (parseInt(hex[full], 16) & (0xf0 >> rem) & 0xf).toString(16);
  return s + ZEROS.slice(s.length);
}

/**
 * Parses "ip" or "ip/len" (IPv4 or IPv6). A bare address is a /32 or /128. Host bits
 * are cleared ("192.0.2.7/24" is 192.0.2.0/24). An IPv4-mapped IPv6 network with a
 * prefix of 96 or more becomes the IPv4 network. Returns an error sentence otherwise.
 */
export function parseCidr(s: string): Cidr | string {
  const text = s.trim();
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const lenText = slash < 0 ? undefined : text.slice(slash + 1);
  const kind = isIP(addr);
  if (kind === 0 || addr.includes('%')) return `"${s}" is not an IP address or CIDR network`;
  let family: 4 | 6 = kind === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let bits = max;
  if (lenText !== undefined) {
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) return `"${s}": prefix length must be 0..${max}`;
    bits = Number(lenText);
  }
  let v: IpValue;
  if (family === 6) {
    const a = ipaddr.IPv6.parse(addr);
    if (a.isIPv4MappedAddress() && bits >= 96) {
      family = 4;
      bits -= 96;
      v = { family: 4, value: v4Number(a.toIPv4Address().octets) };
    } else v = { family: 6, value: v6Hex(a.parts) };
  } else v = parseIp(addr)!;
  const net = mask(v, bits);
  return { family, bits, net, text: `${ipText({ family, value: net })}/${bits}` };
}

/** True when the network is so wide that it means "everybody" (IPv4 /0 to /7, IPv6 /0 to /15). */
export function isTooWide(c: Cidr): boolean {
  return c.bits < MIN_PREFIX[c.family];
}

/** Does network `c` contain the address `ip` (already parsed)? */
export function cidrContains(c: Cidr, ip: IpValue): boolean {
  return c.family === ip.family && mask(ip, c.bits) === c.net;
}

/** Do two networks overlap (one contains the other)? */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const bits = Math.min(a.bits, b.bits);
  return mask({ family: a.family, value: a.net }, bits) === mask({ family: b.family, value: b.net }, bits);
}

/**
 * Longest-prefix-match index: one Map per prefix length in use. A lookup probes at
 * most one map per distinct prefix length (33 for IPv4, 129 for IPv6 in the worst
 * case, a handful in practice), whatever the number of entries.
 */
export class CidrIndex<T> {
  private readonly maps = { 4: new Map<number, Map<number | string, T>>(), 6: new Map<number, Map<number | string, T>>() };
  /** Prefix lengths in use, longest first. */
  private readonly lengths: { 4: number[]; 6: number[] } = { 4: [], 6: [] };
  private count = 0;

  get size(): number {
    return this.count;
  }

  set(c: Cidr, value: T): void {
    let m = this.maps[c.family].get(c.bits);
    if (!m) {
      m = new Map();
      this.maps[c.family].set(c.bits, m);
      this.lengths[c.family] = [...this.maps[c.family].keys()].sort((a, b) => b - a);
    }
    if (!m.has(c.net)) this.count++;
    m.set(c.net, value);
  }

  get(c: Cidr): T | undefined {
    return this.maps[c.family].get(c.bits)?.get(c.net);
  }

  delete(c: Cidr): boolean {
    const m = this.maps[c.family].get(c.bits);
    if (!m?.delete(c.net)) return false;
    this.count--;
    if (m.size === 0) {
      this.maps[c.family].delete(c.bits);
      this.lengths[c.family] = [...this.maps[c.family].keys()].sort((a, b) => b - a);
    }
    return true;
  }

  clear(): void {
    for (const f of [4, 6] as const) {
      this.maps[f].clear();
      this.lengths[f] = [];
    }
    this.count = 0;
  }

  /** The value of the longest network containing `ip` that passes `accept` (default: any). */
  lookup(ip: string | IpValue, accept?: (v: T) => boolean): T | undefined {
    const v = typeof ip === 'string' ? parseIp(ip) : ip;
    if (!v) return undefined;
    const maps = this.maps[v.family];
    for (const bits of this.lengths[v.family]) {
      const hit = maps.get(bits)!.get(mask(v, bits));
      if (hit !== undefined && (!accept || accept(hit))) return hit;
    }
    return undefined;
  }

  *values(): IterableIterator<T> {
    for (const f of [4, 6] as const) for (const m of this.maps[f].values()) yield* m.values();
  }
}

/** A fixed list of networks (from the configuration) with a fast "contains". */
export class NetworkList {
  private readonly index = new CidrIndex<true>();
  readonly cidrs: Cidr[];

  constructor(list: readonly string[]) {
    this.cidrs = list.map((s) => {
      const c = parseCidr(s);
      if (typeof c === 'string') throw new Error(c);
      return c;
    });
    for (const c of this.cidrs) this.index.set(c, true);
  }

  contains(ip: string | IpValue): boolean {
    return this.index.lookup(ip) !== undefined;
  }
}
