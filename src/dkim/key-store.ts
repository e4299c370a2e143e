// A8 DKIM signing keys under dataDir/dkim: one directory per domain (0700), one
// private key file per selector (<selector>.pem, PKCS#8, 0600, created exclusively),
// and "active" naming the selector used to sign. The first key of a domain becomes
// active; a later one waits for `rampart dkim activate` (publish its record first:
// rotation without a window in which signatures cannot be verified).

import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { domainToASCII } from 'node:url';
import { isDomain } from '../core/address.js';

export type DkimAlgorithm = 'rsa-2048' | 'ed25519';
export const DKIM_ALGORITHMS: readonly DkimAlgorithm[] = ['rsa-2048', 'ed25519'];

export class DkimKeyError extends Error {}

export interface DkimKeyInfo {
  domain: string;
  selector: string;
  /** rsa-<bits> or ed25519. */
  algorithm: string;
  active: boolean;
  created: Date;
  /** "<selector>._domainkey.<domain>" */
  dnsName: string;
  /** The TXT record to publish there. */
  record: string;
}

export interface SigningKey {
  domain: string;
  selector: string;
  privateKey: KeyObject;
}

const SELECTOR = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The DKIM key record (RFC 6376 3.6.1; Ed25519: the raw key, RFC 8463). */
export function dkimRecord(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  if (publicKey.asymmetricKeyType === 'ed25519') return `v=DKIM1; k=ed25519; p=${der.subarray(-32).toString('base64')}`;
  return `v=DKIM1; k=rsa; p=${der.toString('base64')}`;
}

/** The record as a zone-file line, split into character-strings of at most 255 octets. */
export function zoneFileLine(info: Pick<DkimKeyInfo, 'dnsName' | 'record'>): string {
  const strings = info.record.match(/.{1,255}/g)!.map((s) => `"${s}"`);
  return `${info.dnsName}. IN TXT ( ${strings.join(' ')} )`;
}

function algorithmOf(key: KeyObject): string {
  return key.asymmetricKeyType === 'rsa' ? `rsa-${key.asymmetricKeyDetails?.modulusLength}` : String(key.asymmetricKeyType);
}

export class DkimKeyStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'dkim');
  }

  /** Lower-case A-label, or an error naming the problem. */
  static domain(name: string): string {
    const ascii = domainToASCII(name.trim().replace(/\.$/, '').toLowerCase());
    if (!ascii || !isDomain(ascii, false) || !ascii.includes('.')) throw new DkimKeyError(`"${name}" is not a domain name`);
    return ascii;
  }

  static selector(name: string): string {
    const s = name.trim().toLowerCase();
    if (!SELECTOR.test(s)) throw new DkimKeyError(`"${name}" is not a valid selector (letters, digits, "-", dot-separated labels)`);
    return s;
  }

  private secureDir(path: string): void {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    chmodSync(path, 0o700);
  }

  private keyPath(domain: string, selector: string): string {
    return join(this.dir, domain, `${selector}.pem`);
  }

  private activeSelector(domain: string): string | undefined {
    const p = join(this.dir, domain, 'active');
    return existsSync(p) ? readFileSync(p, 'utf8').trim() || undefined : undefined;
  }

  private setActive(domain: string, selector: string): void {
    const p = join(this.dir, domain, 'active');
    writeFileSync(`${p}.tmp`, `${selector}\n`, { mode: 0o600 });
    renameSync(`${p}.tmp`, p);
  }

  /** Creates a key; the first of its domain becomes active. */
  generate(domainName: string, opts: { selector?: string; algorithm?: DkimAlgorithm; now?: Date } = {}): DkimKeyInfo {
    const domain = DkimKeyStore.domain(domainName);
    const now = opts.now ?? new Date();
    const selector = DkimKeyStore.selector(opts.selector ?? `rampart${now.toISOString().slice(0, 10).replace(/-/g, '')}`);
    const algorithm = opts.algorithm ?? 'rsa-2048';
    if (!DKIM_ALGORITHMS.includes(algorithm)) throw new DkimKeyError(`algorithm "${algorithm}" is not one of ${DKIM_ALGORITHMS.join(', ')}`);
    const path = this.keyPath(domain, selector);
    if (existsSync(path)) throw new DkimKeyError(`a key for ${domain} with selector ${selector} already exists; choose another --selector`);
    const { privateKey } = algorithm === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.secureDir(this.dir);
    this.secureDir(join(this.dir, domain));
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    if (!this.activeSelector(domain)) this.setActive(domain, selector);
    return this.info(domain, selector);
  }

  private info(domain: string, selector: string): DkimKeyInfo {
    const path = this.keyPath(domain, selector);
    const key = createPrivateKey(readFileSync(path));
    const dnsName = `${selector}._domainkey.${domain}`;
    return { domain, selector, algorithm: algorithmOf(key), active: this.activeSelector(domain) === selector, created: statSync(path).mtime, dnsName, record: dkimRecord(createPublicKey(key)) };
  }

  list(): DkimKeyInfo[] {
    if (!existsSync(this.dir)) return [];
    const out: DkimKeyInfo[] = [];
    for (const domain of readdirSync(this.dir).sort()) {
      const dir = join(this.dir, domain);
      if (!statSync(dir).isDirectory()) continue;
      for (const f of readdirSync(dir).sort()) if (f.endsWith('.pem')) out.push(this.info(domain, f.slice(0, -4)));
    }
    return out;
  }

  get(domainName: string, selectorName: string): DkimKeyInfo {
    const domain = DkimKeyStore.domain(domainName);
    const selector = DkimKeyStore.selector(selectorName);
    if (!existsSync(this.keyPath(domain, selector))) throw new DkimKeyError(`no key for ${domain} with selector ${selector}`);
    return this.info(domain, selector);
  }

  activate(domainName: string, selectorName: string): DkimKeyInfo {
    const { domain, selector } = this.get(domainName, selectorName);
    this.setActive(domain, selector);
    return this.info(domain, selector);
  }

  /** Removes a key; removing the active key stops signing for its domain until another is activated. */
  remove(domainName: string, selectorName: string): { wasActive: boolean } {
    const { domain, selector, active } = this.get(domainName, selectorName);
    rmSync(this.keyPath(domain, selector));
    if (active) rmSync(join(this.dir, domain, 'active'));
    return { wasActive: active };
  }

  /** The active key for a From domain (exact domain), if any. */
  signingKey(domainName: string): SigningKey | undefined {
    let domain: string;
    try {
      domain = DkimKeyStore.domain(domainName);
    } catch {
      return undefined;
    }
    const selector = this.activeSelector(domain);
    if (!selector || !existsSync(this.keyPath(domain, selector))) return undefined;
    return { domain, selector, privateKey: createPrivateKey(readFileSync(this.keyPath(domain, selector))) };
  }
}
