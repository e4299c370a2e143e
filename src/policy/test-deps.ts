// PolicyDeps for unit tests of checks: a real in-memory store and a resolver
// that refuses to be used unless a test provides one (no network in unit tests).

import { EmbeddedStore } from '../state/embedded-store.js';
import type { DnsResolver } from '../dns/resolver.js';
import type { Directory } from '../directory/store.js';
import type { Logger } from '../log/logger.js';
import type { PolicyDeps } from './types.js';
import { AbuseEvents } from './abuse.js';
import { DecisionEvents } from './decision-events.js';

const noDns: DnsResolver = {
  mx: () => Promise.reject(new Error('no DNS in this test')),
  a: () => Promise.reject(new Error('no DNS in this test')),
  aaaa: () => Promise.reject(new Error('no DNS in this test')),
  ptr: () => Promise.reject(new Error('no DNS in this test')),
  txt: () => Promise.reject(new Error('no DNS in this test')),
  txtChunks: () => Promise.reject(new Error('no DNS in this test')),
  cname: () => Promise.reject(new Error('no DNS in this test')),
  aWithTtl: () => Promise.reject(new Error('no DNS in this test')),
};

export function testDeps(directory: Directory, log: Logger, extra: Partial<PolicyDeps> = {}): PolicyDeps {
  return { directory, log, now: Date.now, store: new EmbeddedStore(':memory:'), dns: noDns, abuse: new AbuseEvents(), events: new DecisionEvents(), ...extra };
}
