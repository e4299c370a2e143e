// Idle-connection memory: open K connections, EHLO on each, leave them idle,
// then compare the server's RSS with the RSS before they were opened.

import { openSession } from './load.js';
import type { SmtpConn } from './smtp-conn.js';
import type { MemSampler } from './server-process.js';

export interface IdleResult {
  requested: number;
  opened: number;
  failed: number;
  /** Distinct failure descriptions with counts. */
  failures: Map<string, number>;
  openMs: number;
  rssBeforeKb: number;
  rssAfterKb: number;
  /** Still open (not closed by the server) when the "after" sample was taken. */
  stillOpen: number;
  bytesPerConnection: number;
  timedOut: boolean;
}

const BATCH = 100;
const SETTLE_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runIdle(port: number, k: number, mem: MemSampler, deadline: number): Promise<IdleResult> {
  // Let start-up allocations settle, then take the baseline.
  await sleep(1000);
  const before = mem.sample();
  if (!before) throw new Error('cannot read the server memory (/proc/<pid>/status)');
  const conns: SmtpConn[] = [];
  const failures = new Map<string, number>();
  let failed = 0;
  let timedOut = false;
  const t0 = performance.now();
  // Open in batches so the listen backlog is never the limit being measured.
  for (let i = 0; i < k; i += BATCH) {
    if (Date.now() >= deadline) {
      timedOut = true;
      break;
    }
    const batch = await Promise.all(Array.from({ length: Math.min(BATCH, k - i) }, (_, j) => openSession(port, `idle${i + j}.bench.test`)));
    for (const c of batch) {
      if (typeof c === 'string') {
        failed++;
        failures.set(c, (failures.get(c) ?? 0) + 1);
      } else conns.push(c);
    }
  }
  const openMs = performance.now() - t0;
  await sleep(SETTLE_MS);
  const after = mem.sample();
  const stillOpen = conns.filter((c) => !c.closed).length;
  for (const c of conns) c.destroy();
  const rssBeforeKb = before.rssKb;
  const rssAfterKb = after?.rssKb ?? NaN;
  return {
    requested: k,
    opened: conns.length,
    failed,
    failures,
    openMs,
    rssBeforeKb,
    rssAfterKb,
    stillOpen,
    bytesPerConnection: conns.length ? ((rssAfterKb - rssBeforeKb) * 1024) / conns.length : NaN,
    timedOut,
  };
}
