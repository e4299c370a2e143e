// Q1 the `maildir` transport: each recipient the scheduler hands over is a local
// mailbox (aliases were expanded before routing, scheduler/expand.ts), delivered
// into <dataDir>/mail/<domain>/<local>/Maildir with Return-Path and Delivered-To.
// A message our end-of-data checks quarantined (A7) goes into the mailbox's
// quarantine folder (score.quarantineFolder, Maildir++ "Maildir/.Junk" by default),
// when one is set.
// A file-system problem is temporary (the admin can fix it; the queue retries);
// the only permanent local failure, a mailbox that no longer exists, is found at
// expansion time.
//
// Q5 quotas: before writing, a mailbox with a quota is asked whether the message
// fits (quota/mailbox-quota.ts); over it, `hold` defers with 4.2.2 (retried on the
// channel's schedule until it fits or giveUpMs, then returned with 5.2.2) and
// `return` fails with 5.2.2 (a DSN at once). A delivered message is added to the
// mailbox's maildirsize.

import type { Logger } from '../log/logger.js';
import type { Directory } from '../directory/store.js';
import { quotaState, recordDelivered, wouldExceed, type QuotaState } from '../quota/mailbox-quota.js';
import { deliverToMaildir, deliveryHeaders, maildirFolder } from './maildir.js';
import { maildirPath } from '../core/mailbox-name.js';
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
export function createMaildirTransport(deps: { dataDir: () => string; log: Logger; directory?: Pick<Directory, 'quotas'>; quarantineFolder?: () => string }): Transport {
  return {
    async deliver(msg, rcpts, channel) {
      const out: RecipientResult[] = [];
      for (const r of rcpts) {
        let root: string;
        let dir: string;
        try {
          root = maildirPath(deps.dataDir(), r.address);
          dir = root;
          const folder = msg.quarantined ? deps.quarantineFolder?.() : undefined;
          if (folder) dir = maildirFolder(dir, folder);
        } catch (e) {
          out.push({ index: r.index, outcome: 'failed', status: '5.1.3', diagnostic: (e as Error).message });
          continue;
        }
        const head = deliveryHeaders(msg.mailFrom, r.address);
        const size = Buffer.byteLength(head, 'utf8') + msg.size;
        let quota: QuotaState | undefined;
        try {
          quota = deps.directory ? await quotaState(deps.directory, deps.dataDir(), r.address, size) : undefined;
        } catch (e) {
          out.push({ index: r.index, outcome: 'deferred', status: '4.3.0', diagnostic: `cannot read the quota usage of ${r.address}: ${(e as Error).message}` });
          continue;
        }
        const over = quota && wouldExceed(quota, size);
        if (quota && over) {
          const hold = quota.quota.mode === 'hold';
          out.push({ index: r.index, outcome: hold ? 'deferred' : 'failed', status: hold ? '4.2.2' : '5.2.2', diagnostic: over });
          continue;
        }
        try {
          const file = await deliverToMaildir(dir, head, msg);
          // maildirsize lives at the top of the Maildir and counts every folder (Maildir++).
          if (quota) await recordDelivered(quota, root, size).catch((e: Error) => deps.log.warn({ event: 'quota', mailbox: r.address, err: e.message }, 'cannot update maildirsize; it is recounted on the next read'));
          deps.log.debug({ event: 'maildir', queueId: msg.id, mailbox: r.address, channel: channel.name, file, quarantined: msg.quarantined || undefined }, 'written to maildir');
          const where = dir === root ? 'maildir' : `maildir folder ${dir.slice(dir.lastIndexOf('/') + 1)}`;
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
