// A8 the active signing key of a domain as the eod stage needs it: read from the key
// store (dataDir/dkim) and kept for a few seconds, so a message costs no file reads
// and `rampart dkim activate` / `remove` take effect within KEY_CACHE_MS.

import { DkimKeyStore, type SigningKey } from './key-store.js';

export const KEY_CACHE_MS = 10_000;

export class SigningKeys {
  private readonly store: DkimKeyStore;
  private readonly cache = new Map<string, { key: SigningKey | undefined; until: number }>();

  constructor(dataDir: string, private readonly now: () => number = Date.now) {
    this.store = new DkimKeyStore(dataDir);
  }

  /** The active key for exactly this domain, if there is one. */
  get(domain: string): SigningKey | undefined {
    const t = this.now();
    const hit = this.cache.get(domain);
    if (hit && hit.until > t) return hit.key;
    const key = this.store.signingKey(domain);
    if (this.cache.size > 10_000) this.cache.clear(); // bounded: From domains are chosen by clients
    this.cache.set(domain, { key, until: t + KEY_CACHE_MS });
    return key;
  }
}
