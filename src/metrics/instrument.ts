// Decorators that count what the DNS resolver and the shared store do, applied
// where main.ts constructs them, so neither module knows about metrics. Every
// method is wrapped (a Proxy), so methods added to either interface later are
// counted too; the method name is the label (a bounded set).

import type { DnsResolver } from '../dns/resolver.js';
import type { SharedStore } from '../state/store.js';
import type { Metrics } from './metrics.js';

type AnyFn = (...args: unknown[]) => unknown;

/** A proxy whose methods call `around(name, call)` instead of being called directly. */
function wrapMethods<T extends object>(target: T, around: (name: string, call: () => Promise<unknown>) => Promise<unknown>): T {
  const cache = new Map<PropertyKey, AnyFn>();
  return new Proxy(target, {
    get(t, prop, receiver) {
      const v = Reflect.get(t, prop, receiver) as unknown;
      if (typeof v !== 'function' || typeof prop !== 'string' || prop === 'constructor') return v;
      let w = cache.get(prop);
      if (!w) {
        w = (...args: unknown[]) => around(prop, () => Promise.resolve((v as AnyFn).apply(t, args)));
        cache.set(prop, w);
      }
      return w;
    },
  });
}

/** Counts queries by type and result, and times them. */
export function instrumentDns(resolver: DnsResolver, m: Metrics): DnsResolver {
  return wrapMethods(resolver, async (type, call) => {
    const end = m.dnsDuration.startTimer({ type });
    try {
      const r = (await call()) as { kind?: string } | undefined;
      m.dnsQueries.inc({ type, result: r?.kind ?? 'ok' });
      return r;
    } catch (e) {
      m.dnsQueries.inc({ type, result: 'error' });
      throw e;
    } finally {
      end();
    }
  });
}

/** Counts failed operations (the caller still gets the error). */
export function instrumentStore(store: SharedStore, m: Metrics): SharedStore {
  return wrapMethods(store, async (op, call) => {
    try {
      return await call();
    } catch (e) {
      m.storeErrors.inc({ op });
      throw e;
    }
  });
}
