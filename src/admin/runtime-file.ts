// How the CLI finds a running server: at start, a server with an admin listener
// writes dataDir/run/admin.json (its pid and the API's URL) and a token for the
// CLI, dataDir/run/cli.token, mode 0600, owned by the service user; its hash is
// stored as the read-write token "local-cli" (replaced at every start). Whoever
// may read that file could already open the directory and spool files the CLI
// opens offline, so it grants nothing new. At stop both files go and the token is
// revoked. A file left by a crash is recognised (no such process, or nothing
// answering) and the CLI works on the files instead.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdminTokens } from '../directory/admin-tokens.js';

export const CLI_TOKEN_NAME = 'local-cli';

export interface RuntimeInfo {
  pid: number;
  /** Base URL of the admin listener, e.g. http://127.0.0.1:2580 */
  url: string;
  /** The file holding the CLI's token. */
  tokenFile: string;
  startedAt: string;
}

export function runtimeDir(dataDir: string): string {
  return join(dataDir, 'run');
}

export function runtimePath(dataDir: string): string {
  return join(runtimeDir(dataDir), 'admin.json');
}

/** The URL a local client uses for an admin address (a wildcard address is reached on loopback). */
export function localUrl(address: string, port: number): string {
  const host = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Creates the CLI's token and writes both files; returns what was written. */
export function writeRuntime(dataDir: string, address: string, port: number, tokens: AdminTokens): RuntimeInfo {
  const dir = runtimeDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    tokens.revoke(CLI_TOKEN_NAME);
  } catch {
    // none yet
  }
  const { token } = tokens.create(CLI_TOKEN_NAME);
  const tokenFile = join(dir, 'cli.token');
  rmSync(tokenFile, { force: true }); // a fresh file, so the mode below is the one it gets
  writeFileSync(tokenFile, token + '\n', { mode: 0o600, flag: 'wx' });
  const info: RuntimeInfo = { pid: process.pid, url: localUrl(address, port), tokenFile, startedAt: new Date().toISOString() };
  writeFileSync(runtimePath(dataDir), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  return info;
}

/** Removes both files and revokes the token (at stop). Never throws. */
export function removeRuntime(dataDir: string, tokens: AdminTokens): void {
  for (const f of [runtimePath(dataDir), join(runtimeDir(dataDir), 'cli.token')]) rmSync(f, { force: true });
  try {
    tokens.revoke(CLI_TOKEN_NAME);
  } catch {
    // already gone
  }
}

/** The runtime file, if a server wrote one and its process still exists. */
export function readRuntime(dataDir: string): RuntimeInfo | undefined {
  let info: RuntimeInfo;
  try {
    info = JSON.parse(readFileSync(runtimePath(dataDir), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
  if (typeof info.url !== 'string' || typeof info.pid !== 'number') return undefined;
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return undefined; // left by a crash
  }
  return info;
}
