// The decorator that counts and times the DNS resolver's queries, applied where
// main.ts constructs the resolver, so the resolver knows nothing of metrics. Every
// method is wrapped (a Proxy), so query methods added to the interface later are
// counted too; the method name is the label (a bounded set). A query is a call that
// returns a promise: it is observed when it settles. A synchronous method (configure,
// which reload calls) is not a query: it passes straight through, uncounted.
// The shared store needs no decorator here: it counts its own failures
// (CountingStore, src/state/store-errors.ts) and the metrics read those counts.

import type { DnsResolver } from '../dns/resolver.js';
import type { Metrics } from './metrics.js';

type AnyFn = (...args: unknown[]) => unknown;

function isThenable(v: unknown): v is Promise<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/** Counts queries by type and result (ok, none, nxdomain, error), and times them; answers and errors reach the caller unchanged. */
export function instrumentDns<R extends DnsResolver>(resolver: R, m: Metrics): R {
  const cache = new Map<string, AnyFn>();
  return new Proxy(resolver, {
    get(t, prop, receiver) {
      const v = Reflect.get(t, prop, receiver) as unknown;
      if (typeof v !== 'function' || typeof prop !== 'string' || prop === 'constructor') return v;
      let w = cache.get(prop);
      if (!w) {
        const type = prop.replace(/Ttl$/, ''); // the answer cache asks aTtl, mxTtl...: counted as a, mx...
        w = (...args: unknown[]) => {
          const started = process.hrtime.bigint();
          const r = (v as AnyFn).apply(t, args);
          if (!isThenable(r)) return r;
          const done = (result: string) => {
            m.dnsDuration.observe({ type }, Number(process.hrtime.bigint() - started) / 1e9);
            m.dnsQueries.inc({ type, result });
          };
          return r.then(
            (value) => {
              done((value as { kind?: string } | undefined)?.kind ?? 'ok');
              return value;
            },
            (error: unknown) => {
              done('error');
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
