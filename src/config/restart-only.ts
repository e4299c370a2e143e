// Settings a running server cannot change: the files it has open (dataDir, the
// directory), the shared store it is connected to (switching stores live would
// split rate windows, deny entries and LMS keys between two stores) and the admin
// listener's socket. A reload names each changed one in the log and keeps its
// running value; the rest applies. SMTP listener addresses and ports are handled by
// main.ts (they need new sockets).

import type { Snapshot } from './load.js';

const RESTART_ONLY: Array<[key: string, get: (s: Snapshot) => unknown]> = [
  ['dataDir', (s) => s.dataDir],
  ['directory.path', (s) => s.directoryPath],
  ['state.redis', (s) => s.state.redis],
  ['state.prefix', (s) => s.state.prefix],
  // The admin listener on or off, then (when on in both) where it listens.
  ['admin', (s) => s.admin !== undefined],
  ['admin.addresses', (s) => s.admin?.addresses.join(' ')],
  ['admin.port', (s) => s.admin?.port],
  ['admin.allowRemote', (s) => s.admin?.allowRemote],
];

/** The restart-only keys whose value differs between the running and the new snapshot. */
export function restartOnlyChanges(running: Snapshot, next: Snapshot): string[] {
  const changed = RESTART_ONLY.filter(([, get]) => get(running) !== get(next)).map(([key]) => key);
  // Turning the admin listener on or off is one change, not one per admin key.
  return changed.includes('admin') ? changed.filter((k) => !k.startsWith('admin.')) : changed;
}

/** `next` with the running values of the restart-only keys, so the snapshot says what is in effect. */
export function keepRestartOnly(running: Snapshot, next: Snapshot): Snapshot {
  // The running admin listener keeps its socket; admin.metricsNetworks follows the new file.
  const admin = running.admin && next.admin ? Object.freeze({ ...next.admin, addresses: running.admin.addresses, port: running.admin.port, allowRemote: running.admin.allowRemote }) : running.admin;
  return Object.freeze({
    ...next,
    dataDir: running.dataDir,
    directoryPath: running.directoryPath,
    directory: running.directory,
    state: Object.freeze({ ...next.state, redis: running.state.redis, prefix: running.state.prefix }),
    admin,
  });
}
