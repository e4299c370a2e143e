// Q3 routing (Postfix transport map): which channel a recipient domain goes to.
// An exact route wins over a subdomain route (longest suffix first); a local
// domain without one goes to `local`; any other domain to the "*" route, else `smtp`.

import type { Channel } from './channels-schema.js';

export interface RoutingView {
  channels: Readonly<Record<string, Channel>>;
  routes: Readonly<Record<string, string>>;
}

/** The channel name for a recipient domain (lower case, A-labels or U-labels as stored). */
export function routeDomain(domain: string, view: RoutingView, isLocal: (domain: string) => boolean): string {
  const d = domain.toLowerCase().replace(/\.$/, '');
  const exact = view.routes[d];
  if (exact !== undefined) return exact;
  for (let i = d.indexOf('.'); i >= 0; i = d.indexOf('.', i + 1)) {
    const sub = view.routes[d.slice(i)];
    if (sub !== undefined) return sub;
  }
  if (isLocal(d)) return 'local';
  return view.routes['*'] ?? 'smtp';
}

/** The resolved channel for a recipient domain. */
export function channelFor(domain: string, view: RoutingView, isLocal: (domain: string) => boolean): Channel {
  const name = routeDomain(domain, view, isLocal);
  const channel = view.channels[name];
  if (!channel) throw new Error(`route for ${domain} names unknown channel "${name}"`); // config validation prevents this
  return channel;
}
