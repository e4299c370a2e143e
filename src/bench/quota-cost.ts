// Q5 cost figures: what the quota adds to one local delivery - the check (the
// quota looked up in the directory, maildirsize read and summed, the comparison)
// and, once delivered, the maildirsize update (one appended line). A temporary
// directory file and Maildir with a realistic maildirsize (a quota line and 40
// delivery lines); bounded: `rounds` iterations (default 2000, at most 20000)
// and at most 5 seconds per figure. Usage: node dist/src/bench/quota-cost.js [rounds]
// Figures from a shared machine are indicative only.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../directory/store.js';
import { maildirPath } from '../core/mailbox-name.js';
import { quotaState, recordDelivered, wouldExceed } from '../quota/mailbox-quota.js';

const rounds = Math.min(Math.max(Number(process.argv[2] ?? 2000) || 2000, 10), 20_000);
const MAX_MS = 5000;

async function measure(name: string, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 50; i++) await fn(); // warm up (prepared statements, page cache)
  const times: number[] = [];
  const end = performance.now() + MAX_MS;
  for (let i = 0; i < rounds && performance.now() < end; i++) {
    const t = performance.now();
    await fn();
    times.push((performance.now() - t) * 1000);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
  console.log(`${name.padEnd(34)} n=${times.length}  median ${p(0.5)} us  p90 ${p(0.9)} us  mean ${mean.toFixed(1)} us`);
}

const root = mkdtempSync(join(tmpdir(), 'rampart-quota-bench-'));
const dir = Directory.open(join(root, 'directory.sqlite'));
try {
  dir.addDomain('example.org');
  await dir.addMailbox('alice@example.org');
  await dir.addMailbox('nobody@example.org');
  dir.quotas.set('alice@example.org', { bytes: 2 * 1024 ** 3, mode: 'hold' });
  const md = maildirPath(root, 'alice@example.org');
  for (const d of ['tmp', 'new', 'cur']) mkdirSync(join(md, d), { recursive: true });
  const st = (await quotaState(dir, root, 'alice@example.org'))!;
  for (let i = 0; i < 40; i++) await recordDelivered(st, md, 5000);

  await measure('no quota (directory lookup only)', async () => quotaState(dir, root, 'nobody@example.org'));
  await measure('quota check (lookup + maildirsize)', async () => {
    const s = await quotaState(dir, root, 'alice@example.org');
    return s && wouldExceed(s, 5000);
  });
  await measure('usage update (append one line)', async () => {
    await recordDelivered(st, md, 1); // the file grows; past 5120 octets the next read recounts
  });
} finally {
  dir.close();
  rmSync(root, { recursive: true, force: true });
}
