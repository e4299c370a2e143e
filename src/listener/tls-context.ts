// TLS material: the configured certificate, or a self-signed one generated on
// first start under dataDir/tls (so STARTTLS and port 465 work out of the box).

import { createSecureContext, type SecureContext } from 'node:tls';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import type { Snapshot } from '../config/load.js';
import type { TlsProvider } from '../smtp/session-auth.js';

export async function loadTls(cfg: Snapshot): Promise<TlsProvider & { certPath: string }> {
  let certPath = cfg.tls.cert;
  let keyPath = cfg.tls.key;
  if (!certPath || !keyPath) {
    const dir = join(cfg.dataDir, 'tls');
    certPath = join(dir, 'selfsigned.crt');
    keyPath = join(dir, 'selfsigned.key');
    if (!existsSync(certPath) || !existsSync(keyPath)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const pems = await generate([{ name: 'commonName', value: cfg.hostname }], {
        keyType: 'ec',
        curve: 'P-256',
        notAfterDate: new Date(Date.now() + 825 * 24 * 3600 * 1000),
        algorithm: 'sha256',
        extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: cfg.hostname }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] }],
      });
      writeFileSync(keyPath, pems.private, { mode: 0o600 });
      writeFileSync(certPath, pems.cert);
    }
  }
  const cert = readFileSync(certPath);
  const key = readFileSync(keyPath);
  const context = createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  return { available: true, context: () => context, certPath };
}
