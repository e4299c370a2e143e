// Q1 the `maildir` transport: each recipient the scheduler hands over is a local
// mailbox (aliases were expanded before routing, scheduler/expand.ts), delivered
// into <dataDir>/mail/<domain>/<local>/Maildir with Return-Path and Delivered-To.
// A message our end-of-data checks quarantined (A7) goes into the mailbox's
// quarantine folder (score.quarantineFolder, Maildir++ "Maildir/.Junk" by default),
// when one is set.
// A file-system problem is temporary (the admin can fix it; the queue retries);
// the only permanent local failure, a mailbox that no longer exists, is found at
// expansion time.

import type { Logger } from '../log/logger.js';
import { deliverToMaildir, deliveryHeaders, maildirFolder, maildirPath } from './maildir.js';
import type { RecipientResult, Transport } from './types.js';

/** RFC 3463 status for a failed Maildir write, by errno. */
function statusFor(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'EDQUOT':
      return '4.2.2'; // mailbox full
    case 'ENOSPC':
      return '4.3.1'; // mail system full
    default:
      return '4.3.0'; // other mail system problem
  }
}

/** `quarantineFolder`: the Maildir++ folder name for quarantined messages; '' or absent: the inbox. */
export function createMaildirTransport(deps: { dataDir: () => string; log: Logger; quarantineFolder?: () => string }): Transport {
  return {
    async deliver(msg, rcpts, channel) {
      const out: RecipientResult[] = [];
      for (const r of rcpts) {
        let dir: string;
        try {
          dir = maildirPath(deps.dataDir(), r.address);
          const folder = msg.quarantined ? deps.quarantineFolder?.() : undefined;
          if (folder) dir = maildirFolder(dir, folder);
        } catch (e) {
          out.push({ index: r.index, outcome: 'failed', status: '5.1.3', diagnostic: (e as Error).message });
          continue;
        }
        try {
          const file = await deliverToMaildir(dir, deliveryHeaders(msg.mailFrom, r.address), msg);
          deps.log.debug({ event: 'maildir', queueId: msg.id, mailbox: r.address, channel: channel.name, file, quarantined: msg.quarantined || undefined }, 'written to maildir');
          const where = dir.endsWith('Maildir') ? 'maildir' : `maildir folder ${dir.slice(dir.lastIndexOf('/') + 1)}`;
          out.push({ index: r.index, outcome: 'delivered', status: '2.0.0', diagnostic: `delivered to ${where} as ${file}` });
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          out.push({ index: r.index, outcome: 'deferred', status: statusFor(err), diagnostic: `maildir delivery to ${r.address} failed: ${err.message}` });
        }
      }
      return out;
    },
    async close() {},
  };
}
