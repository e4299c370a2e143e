// Decorators that count what the DNS resolver and the shared store do, applied
// where main.ts constructs them, so neither module knows about metrics. Every
// method is wrapped (a Proxy), so methods added to either interface later are
// counted too; the method name is the label (a bounded set). A method that
// returns a promise is observed when it settles; a synchronous one stays synchronous.

import type { DnsResolver } from '../dns/resolver.js';
import type { SharedStore } from '../state/store.js';
import type { Metrics } from './metrics.js';

type AnyFn = (...args: unknown[]) => unknown;

interface Observer {
  /** Called before the method runs; returns what to call when it has finished. */
  start(name: string): (outcome: { value?: unknown; error?: unknown }) => void;
}

function isThenable(v: unknown): v is Promise<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/** A proxy of `target` whose method calls are reported to `obs`; results and errors reach the caller unchanged. */
function observeMethods<T extends object>(target: T, obs: Observer): T {
  const cache = new Map<string, AnyFn>();
  return new Proxy(target, {
    get(t, prop, receiver) {
      const v = Reflect.get(t, prop, receiver) as unknown;
      if (typeof v !== 'function' || typeof prop !== 'string' || prop === 'constructor') return v;
      let w = cache.get(prop);
      if (!w) {
        w = (...args: unknown[]) => {
          const done = obs.start(prop);
          let r: unknown;
          try {
            r = (v as AnyFn).apply(t, args);
          } catch (error) {
            done({ error });
            throw error;
          }
          if (!isThenable(r)) {
            done({ value: r });
            return r;
          }
          return r.then(
            (value) => {
              done({ value });
              return value;
            },
            (error: unknown) => {
              done({ error });
              throw error;
            },
          );
        };
        cache.set(prop, w);
      }
      return w;
    },
  });
}

/** Counts queries by type and result (ok, none, nxdomain, error), and times them. */
export function instrumentDns(resolver: DnsResolver, m: Metrics): DnsResolver {
  return observeMethods(resolver, {
    start(type) {
      const end = m.dnsDuration.startTimer({ type });
      return ({ value, error }) => {
        end();
        const kind = error === undefined ? ((value as { kind?: string } | undefined)?.kind ?? 'ok') : 'error';
        m.dnsQueries.inc({ type, result: kind });
      };
    },
  });
}

/** Counts failed operations by name (the caller still gets the error). */
export function instrumentStore(store: SharedStore, m: Metrics): SharedStore {
  return observeMethods(store, {
    start(op) {
      return ({ error }) => {
        if (error !== undefined) m.storeErrors.inc({ op });
      };
    },
  });
}
