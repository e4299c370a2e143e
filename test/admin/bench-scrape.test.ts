// `npm run bench -- --scrape-metrics`: the option and the scraper, against a real
// admin listener (no figures: a short run proves it scrapes and counts failures).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAdminTestServer } from '../helpers/admin.js';
import { MetricsScraper, scrapeLine } from '../../src/bench/scrape.js';
import { parseOptions, UsageError } from '../../src/bench/options.js';

test('--scrape-metrics is a load-mode option', () => {
  assert.equal(parseOptions(['--scrape-metrics'])!.scrapeMetrics, true);
  assert.equal(parseOptions([])!.scrapeMetrics, false);
  assert.throws(() => parseOptions(['--scrape-metrics', '--idle', '10']), (e) => e instanceof UsageError && /--scrape-metrics measures the load mode/.test(e.message));
  assert.throws(() => parseOptions(['--scrape-metrics', '--relay']), UsageError);
});

test('the scraper fetches /metrics at its interval, one at a time, and counts failures', async () => {
  const ts = await startAdminTestServer({ admin: { port: 0, metricsNetworks: ['127.0.0.1/32'] } });
  try {
    const s = new MetricsScraper(`${ts.base}/metrics`, 100).start();
    await new Promise((r) => setTimeout(r, 1000));
    const r = await s.stop();
    assert.ok(r.scrapes >= 2 && r.scrapes <= 11, `scrapes: ${r.scrapes}`);
    assert.equal(r.failures, 0);
    assert.equal(r.sawCounters, true);
    assert.ok(r.bytes > 1000);
    assert.match(scrapeLine(r), /^\d+ scrapes of \/metrics .*, 0 failed; latency p50 /);
  } finally {
    await ts.stop();
  }
  // Without a token and outside metricsNetworks: every scrape is a counted failure.
  const closed = await startAdminTestServer();
  try {
    const s = new MetricsScraper(`${closed.base}/metrics`, 100).start();
    await new Promise((r) => setTimeout(r, 250));
    const r = await s.stop();
    assert.ok(r.scrapes >= 1);
    assert.equal(r.failures, r.scrapes);
    assert.equal(r.firstFailure, 'HTTP 401');
  } finally {
    await closed.stop();
  }
});
