// `npm run bench -- --scrape-metrics`: the server runs its admin listener, and a
// Prometheus-like scraper in the bench process fetches /metrics once a second during
// the load, as a monitoring system would. The report says how many scrapes there
// were, how many failed, their latency and size, so that the run can be compared
// with one without the admin listener (issue 12's 3 % budget).

import { latencyStats, type LatencyStats } from './load.js';

export interface ScrapeReport {
  scrapes: number;
  failures: number;
  /** The first failure's reason, if any. */
  firstFailure?: string;
  latencyMs: LatencyStats;
  /** Octets of the last successful answer. */
  bytes: number;
  /** Whether the answer carried the SMTP counters (a sanity check that it is Rampart's /metrics). */
  sawCounters: boolean;
}

const SCRAPE_TIMEOUT_MS = 5000;

export class MetricsScraper {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private readonly latencies: number[] = [];
  private failures = 0;
  private firstFailure: string | undefined;
  private bytes = 0;
  private sawCounters = false;

  constructor(
    private readonly url: string,
    private readonly everyMs = 1000,
  ) {}

  /** Scrapes now, then every `everyMs`. */
  start(): this {
    const tick = () => {
      // One scrape at a time, like Prometheus: a slow answer delays the next one.
      if (!this.inFlight) this.inFlight = this.scrape().finally(() => (this.inFlight = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.everyMs);
    return this;
  }

  private async scrape(): Promise<void> {
    const t0 = performance.now();
    try {
      const r = await fetch(this.url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
      const text = await r.text();
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      this.latencies.push(performance.now() - t0);
      this.bytes = Buffer.byteLength(text);
      this.sawCounters ||= text.includes('rampart_smtp_commands_total');
    } catch (e) {
      this.failures++;
      this.firstFailure ??= (e as Error).message;
    }
  }

  async stop(): Promise<ScrapeReport> {
    clearInterval(this.timer);
    await this.inFlight;
    return {
      scrapes: this.latencies.length + this.failures,
      failures: this.failures,
      firstFailure: this.firstFailure,
      latencyMs: latencyStats(Float64Array.from(this.latencies)),
      bytes: this.bytes,
      sawCounters: this.sawCounters,
    };
  }
}

/** The report's line in the human-readable block. */
export function scrapeLine(r: ScrapeReport): string {
  const lat = r.latencyMs;
  return (
    `${r.scrapes} scrapes of /metrics (one at the start, then one a second), ${r.failures} failed${r.firstFailure ? ` (first: ${r.firstFailure})` : ''}; ` +
    `latency p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms, max ${lat.max.toFixed(1)} ms; ${r.bytes} octets per answer` +
    (r.sawCounters ? '' : '; NO SMTP COUNTERS IN THE ANSWER')
  );
}
