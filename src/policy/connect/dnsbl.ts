// A6 DNSBL/DNSWL at connect, the Postfix postscreen model: every zone of
// dnsbl.zones is asked once per connection, all in parallel (src/dnsbl/lookup.ts;
// answers cached in the shared store for their DNS TTL). The lookup starts when the
// client connects and runs while the greeting waits (P4); only with
// dnsbl.refuseAt "connect" and a threshold does the connect stage wait for it. The
// report is kept for the connection: rcpt.dnsbl, rcpt.greylist (allow-listed
// clients are exempt) and the eod score read it, so a connection costs one lookup
// whatever it sends.
// Not looked up: the LAN, R2 allow-listed clients, and listeners that require AUTH
// (submission: only authenticated clients send there, and block lists such as a
// policy block list list exactly the dynamic addresses their users send from).

import type { Verdict } from '../../core/decision.js';
import type { SessionInfo } from '../../core/envelope.js';
import type { Snapshot } from '../../config/load.js';
import { lookupDnsbl, type DnsblReport } from '../../dnsbl/lookup.js';
import { parseDnsblSite, type DnsblSite } from '../../dnsbl/sites.js';
import { describeListings, dnsblVerdict } from '../../dnsbl/verdict.js';
import { isLan } from '../networks.js';
import type { Check, CheckContext } from '../types.js';

const NAME = 'connect.dnsbl';
const FEATURE = 'A6';

const reports = new WeakMap<Readonly<SessionInfo>, Promise<DnsblReport>>();
// Snapshots are frozen: the zones array is a stable cache key.
const parsed = new WeakMap<readonly string[], DnsblSite[]>();

/** The configured sites, parsed once per snapshot (the schema has validated them). */
export function dnsblSites(config: Snapshot): DnsblSite[] {
  let s = parsed.get(config.dnsbl.zones);
  if (!s) {
    s = config.dnsbl.zones.map((z) => parseDnsblSite(z) as DnsblSite);
    parsed.set(config.dnsbl.zones, s);
  }
  return s;
}

function applies(ctx: CheckContext): boolean {
  const ip = ctx.session.remoteAddress;
  return ctx.config.dnsbl.zones.length > 0 && !ctx.session.listener.requireAuth && !isLan(ip, ctx.config) && !ctx.deps.access?.lookup(ip).allow;
}

async function lookup(ctx: CheckContext): Promise<DnsblReport> {
  const { session, config, deps } = ctx;
  const ip = session.remoteAddress;
  const sites = dnsblSites(config);
  let report: DnsblReport;
  try {
    report = await lookupDnsbl(ip, sites, { dns: deps.dns, store: deps.store, minTtl: config.dnsbl.minTtlSeconds, maxTtl: config.dnsbl.maxTtlSeconds });
  } catch (e) {
    const code = (e as Error).message;
    report = { score: 0, listed: [], failures: [...new Set(sites.map((s) => s.zone))].map((zone) => ({ zone, code })), oddReplies: [], allowListed: false };
  }
  if (report.listed.length || report.failures.length || report.oddReplies.length) {
    deps.log.info(
      { event: 'dnsbl', session: session.id, client: ip, score: report.score, listed: describeListings(report) || undefined, failures: report.failures.length ? report.failures : undefined, oddReplies: report.oddReplies.length ? report.oddReplies : undefined },
      'dnsbl lookup',
    );
  }
  return report;
}

/** The connection's DNSBL report (the lookup starts on the first call); undefined when DNSBL does not apply to this client. */
export function dnsblReport(ctx: CheckContext): Promise<DnsblReport> | undefined {
  if (!applies(ctx)) return undefined;
  let p = reports.get(ctx.session);
  if (!p) {
    p = lookup(ctx); // never rejects
    reports.set(ctx.session, p);
  }
  return p;
}

export const connectDnsbl: Check = {
  name: NAME,
  feature: FEATURE,
  async run(ctx: CheckContext): Promise<Verdict> {
    const report = dnsblReport(ctx);
    if (!report) return undefined;
    const { threshold, refuseAt } = ctx.config.dnsbl;
    if (refuseAt !== 'connect' || threshold === undefined) return undefined; // the lookup goes on; RCPT and the score read it
    return dnsblVerdict(await report, dnsblSites(ctx.config), threshold, 'connect', ctx.session.remoteAddress);
  },
};
