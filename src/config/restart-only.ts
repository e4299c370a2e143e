// Settings a running server cannot change: the files it has open (dataDir, the
// directory) and the shared store it is connected to (switching stores live would
// split rate windows, deny entries and LMS keys between two stores). A reload names
// each changed one in the log and keeps its running value; the rest applies.
// Listener addresses and ports are handled by main.ts (they need new sockets).

import type { Snapshot } from './load.js';

const RESTART_ONLY: Array<[key: string, get: (s: Snapshot) => unknown]> = [
  ['dataDir', (s) => s.dataDir],
  ['directory.path', (s) => s.directoryPath],
  ['state.redis', (s) => s.state.redis],
  ['state.prefix', (s) => s.state.prefix],
];

/** The restart-only keys whose value differs between the running and the new snapshot. */
export function restartOnlyChanges(running: Snapshot, next: Snapshot): string[] {
  return RESTART_ONLY.filter(([, get]) => get(running) !== get(next)).map(([key]) => key);
}

/** `next` with the running values of the restart-only keys, so the snapshot says what is in effect. */
export function keepRestartOnly(running: Snapshot, next: Snapshot): Snapshot {
  return Object.freeze({
    ...next,
    dataDir: running.dataDir,
    directoryPath: running.directoryPath,
    directory: running.directory,
    state: Object.freeze({ ...next.state, redis: running.state.redis, prefix: running.state.prefix }),
  });
}
