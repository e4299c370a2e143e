// Is an address and port one of our own listeners? A wildcard listener
// (0.0.0.0, ::) answers on every local address, loopback included.

import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';

export interface Endpoint {
  address: string;
  port: number;
}

function canonical(ip: string): string {
  try {
    return ipaddr.process(ip).toNormalizedString(); // IPv4-mapped IPv6 becomes IPv4
  } catch {
    return ip;
  }
}

function isLocal(ip: string): boolean {
  const a = ipaddr.process(ip);
  if (a.range() === 'loopback') return true; // all of 127.0.0.0/8 and ::1 reach this machine
  const own = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  return own.some((i) => canonical(i.address.split('%')[0]) === a.toNormalizedString());
}

export function isOwnEndpoint(address: string, port: number, endpoints: readonly Endpoint[]): boolean {
  const ip = canonical(address);
  for (const e of endpoints) {
    if (e.port !== port) continue;
    const mine = canonical(e.address);
    if (mine === ip) return true;
    if ((mine === '0.0.0.0' || mine === '0:0:0:0:0:0:0:0') && isLocal(ip)) return true;
  }
  return false;
}
