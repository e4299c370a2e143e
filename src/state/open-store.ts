// Chooses the SharedStore from the config: Redis when state.redis is set, else
// the embedded SQLite store under dataDir. Either way its failures are counted.

import { join } from 'node:path';
import type { Snapshot } from '../config/load.js';
import { EmbeddedStore } from './embedded-store.js';
import { RedisStore } from './redis-store.js';
import { CountingStore } from './store-errors.js';

export async function openStore(cfg: Snapshot): Promise<CountingStore> {
  if (!cfg.state.redis) return new CountingStore(new EmbeddedStore(join(cfg.dataDir, 'state.sqlite')));
  const store = new RedisStore(cfg.state.redis, cfg.state.prefix, Date.now, cfg.state.commandTimeoutMs);
  try {
    await store.ready();
  } catch (e) {
    await store.close();
    throw new Error(`state.redis: cannot connect to ${cfg.state.redis}: ${(e as Error).message}`);
  }
  return new CountingStore(store);
}
