// Health checks for load balancers and service managers. /healthz: the process
// answers. /readyz: it should get traffic: every SMTP listener bound and not
// draining, the access lists loaded (until then every client gets 421), the spool
// writable, the shared store answering. 200 when all hold, 503 naming the failures.

import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SharedStore } from '../state/store.js';
import type { AccessList } from '../state/access-list.js';

const STORE_TIMEOUT_MS = 2000;

export interface ReadinessDeps {
  /** True while every SMTP listener is bound and the server is not draining. */
  serving(): boolean;
  access: AccessList;
  spoolDir: string;
  store: SharedStore;
}

export interface Readiness {
  ready: boolean;
  checks: Record<'listeners' | 'accessLists' | 'spool' | 'store', { ok: boolean; detail?: string }>;
}

async function check(fn: () => Promise<unknown>): Promise<{ ok: boolean; detail?: string }> {
  try {
    await fn();
    return { ok: true };
  } catch (e) {
    return { ok: false, detail: (e as Error).message };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export async function readiness(d: ReadinessDeps): Promise<Readiness> {
  const probe = join(d.spoolDir, `.ready-${process.pid}`);
  const [spool, store] = await Promise.all([
    check(async () => {
      await writeFile(probe, 'ready\n');
      await unlink(probe);
    }),
    check(() => withTimeout(d.store.get('ready-probe'), STORE_TIMEOUT_MS, 'shared store')),
  ]);
  const checks = {
    listeners: d.serving() ? { ok: true } : { ok: false, detail: 'not listening (starting or draining)' },
    accessLists: d.access.loaded ? { ok: true } : { ok: false, detail: 'not loaded from the shared store yet' },
    spool,
    store,
  };
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}
