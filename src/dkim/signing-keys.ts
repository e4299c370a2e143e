// A8 the active signing key of a domain as the eod stage needs it: read from the key
// store (dataDir/dkim) and kept for a few seconds, so a message costs no file reads
// and `rampart dkim activate` / `remove` take effect within KEY_CACHE_MS. Which
// domains have keys at all is kept the same way: a server without keys, or a From
// domain without one, costs one set lookup.

import { existsSync, readdirSync } from 'node:fs';
import { DkimKeyStore, type SigningKey } from './key-store.js';

export const KEY_CACHE_MS = 10_000;

export class SigningKeys {
  private readonly store: DkimKeyStore;
  private readonly cache = new Map<string, { key: SigningKey | undefined; until: number }>();
  private domains: { names: Set<string>; until: number } | undefined;

  constructor(dataDir: string, private readonly now: () => number = Date.now) {
    this.store = new DkimKeyStore(dataDir);
  }

  /** Domains with a key directory (the list is read at most every KEY_CACHE_MS). */
  private keyDomains(): Set<string> {
    const t = this.now();
    if (!this.domains || this.domains.until <= t) {
      const names = existsSync(this.store.dir) ? new Set(readdirSync(this.store.dir)) : new Set<string>();
      this.domains = { names, until: t + KEY_CACHE_MS };
    }
    return this.domains.names;
  }

  /** True when some domain has a key. */
  anyKeys(): boolean {
    return this.keyDomains().size > 0;
  }

  /** The active key for exactly this domain, if there is one. */
  get(domain: string): SigningKey | undefined {
    if (!this.keyDomains().has(domain)) return undefined;
    const t = this.now();
    const hit = this.cache.get(domain);
    if (hit && hit.until > t) return hit.key;
    const key = this.store.signingKey(domain);
    this.cache.set(domain, { key, until: t + KEY_CACHE_MS });
    return key;
  }
}
