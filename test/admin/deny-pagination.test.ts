// 100,000 deny entries page through the admin API in under 100 ms per page, over
// real HTTP: the pages come from the in-memory index kept in address order
// (src/state/sorted-networks.ts), not from a sort per request.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startAdminTestServer, type AdminTestServer } from '../helpers/admin.js';
import { API_PREFIX } from '../../src/admin/routes.js';

const N = 100_000;
const PAGE_MS = 100;

let ts: AdminTestServer;
before(async () => {
  ts = await startAdminTestServer();
});
after(async () => {
  await ts.stop();
});

/** Writes N entries straight into the embedded store's file (one transaction), then has the server load them. */
async function fill(): Promise<void> {
  const db = new Database(join(ts.dataDir, 'state.sqlite'));
  try {
    const put = db.prepare('INSERT INTO maps (map, field, value, expires_at) VALUES (?, ?, ?, NULL)');
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < N; i++) {
        // Mostly IPv4 hosts, every tenth an IPv6 /64, every hundredth an automatic entry.
        const network = i % 10 === 9 ? `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64` : `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`;
        put.run('access:deny', network, JSON.stringify({ reason: `bulk ${i}`, source: i % 100 === 0 ? 'auto' : 'manual', createdAt: now }));
      }
    })();
  } finally {
    db.close();
  }
  await ts.server.access.load();
}

async function timedPage(path: string): Promise<{ ms: number; body: { items: Array<{ network: string }>; nextCursor: string | null } }> {
  const t0 = performance.now();
  const r = await ts.call('GET', API_PREFIX + path);
  const ms = performance.now() - t0;
  assert.equal(r.status, 200, r.text);
  return { ms, body: r.body };
}

test(`${N} deny entries: every page of 1000, first to last, answers in under ${PAGE_MS} ms`, async (t) => {
  await fill();
  assert.equal(ts.server.access.size('deny'), N);
  await timedPage('/access/deny?limit=10'); // first request of the connection
  const times: number[] = [];
  const seen = new Set<string>();
  let previous = '';
  let cursor: string | null = null;
  do {
    const { ms, body } = await timedPage(`/access/deny?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    times.push(ms);
    for (const e of body.items) seen.add(e.network);
    previous = body.items.at(-1)?.network ?? previous;
    cursor = body.nextCursor;
  } while (cursor && times.length <= N / 1000 + 1);
  assert.equal(seen.size, N, 'every entry once');
  assert.equal(times.length, N / 1000);
  assert.match(previous, /^2001:db8:/, 'IPv6 entries come last');
  times.sort((a, b) => a - b);
  const worst = times.at(-1)!;
  const median = times[times.length >> 1];
  t.diagnostic(`${N} entries, ${times.length} pages of 1000: median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms`);
  assert.ok(worst < PAGE_MS, `worst page took ${worst.toFixed(1)} ms`);

  // A filtered page deep in the list (the automatic entries are one in a hundred).
  const auto = await timedPage('/access/deny?limit=1000&source=auto');
  assert.equal(auto.body.items.length, N / 100);
  assert.ok(auto.ms < PAGE_MS, `source filter took ${auto.ms.toFixed(1)} ms`);
  // An addition lands in its place without a re-sort.
  assert.equal((await ts.call('POST', `${API_PREFIX}/access/deny`, { network: '10.0.0.0/31' })).status, 201);
  const after = await timedPage('/access/deny?limit=3');
  assert.deepEqual(after.body.items.map((e) => e.network), ['10.0.0.0/31', '10.0.0.0/32', '10.0.0.1/32']);
  assert.ok(after.ms < PAGE_MS);
});
