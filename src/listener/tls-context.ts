// TLS material: the configured certificate, or a self-signed one generated on
// first start under dataDir/tls (so STARTTLS and port 465 work out of the box).
// Every new TLS connection (STARTTLS and implicit) asks context() for the current
// context, so reload() swaps in a renewed certificate without a restart.

import { createSecureContext, type SecureContext } from 'node:tls';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import type { Snapshot } from '../config/load.js';
import type { TlsProvider } from '../smtp/session-auth.js';

interface Paths {
  certPath: string;
  keyPath: string;
}

function paths(cfg: Snapshot): Paths & { generated: boolean } {
  if (cfg.tls.cert && cfg.tls.key) return { certPath: cfg.tls.cert, keyPath: cfg.tls.key, generated: false };
  const dir = join(cfg.dataDir, 'tls');
  return { certPath: join(dir, 'selfsigned.crt'), keyPath: join(dir, 'selfsigned.key'), generated: true };
}

/** Reads the pair and builds a context; errors name the key (tls.cert / tls.key) and the file. */
function contextFrom(p: Paths): SecureContext {
  const read = (file: string, key: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`${key}: cannot read ${file}: ${(e as Error).message}`);
    }
  };
  const cert = read(p.certPath, 'tls.cert');
  const key = read(p.keyPath, 'tls.key');
  try {
    return createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  } catch (e) {
    throw new Error(`tls.cert/tls.key: ${p.certPath} and ${p.keyPath} do not make a usable pair: ${(e as Error).message}`);
  }
}

export class TlsMaterial implements TlsProvider {
  readonly available = true;

  private constructor(private current: SecureContext, public certPath: string) {}

  context(): SecureContext {
    return this.current;
  }

  /**
   * Reads the certificate files again (a renewal rewrites them in place, or the
   * config names new ones). On any error the running context stays and the error
   * is thrown for the caller to log.
   */
  reload(cfg: Snapshot): void {
    const p = paths(cfg);
    this.current = contextFrom(p);
    this.certPath = p.certPath;
  }

  static async load(cfg: Snapshot): Promise<TlsMaterial> {
    const p = paths(cfg);
    if (p.generated && (!existsSync(p.certPath) || !existsSync(p.keyPath))) {
      mkdirSync(join(cfg.dataDir, 'tls'), { recursive: true, mode: 0o700 });
      const pems = await generate([{ name: 'commonName', value: cfg.hostname }], {
        keyType: 'ec',
        curve: 'P-256',
        notAfterDate: new Date(Date.now() + 825 * 24 * 3600 * 1000),
        algorithm: 'sha256',
        extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: cfg.hostname }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] }],
      });
      writeFileSync(p.keyPath, pems.private, { mode: 0o600 });
      writeFileSync(p.certPath, pems.cert);
    }
    return new TlsMaterial(contextFrom(p), p.certPath);
  }
}

export function loadTls(cfg: Snapshot): Promise<TlsMaterial> {
  return TlsMaterial.load(cfg);
}
