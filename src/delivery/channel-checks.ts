// Start-up and reload warnings for channel settings that only show when mail
// is sent: a smarthost password file that cannot be read, AUTH that can never
// happen. Warnings, not config errors: the rest of the mail keeps flowing, and
// the affected recipients wait (4.3.5 / 4.7.10, naming the key) until it is fixed.

import { accessSync, constants } from 'node:fs';
import type { Channel } from '../config/channels-schema.js';

export function channelWarnings(channels: Record<string, Channel>): string[] {
  const out: string[] = [];
  for (const c of Object.values(channels)) {
    if (!c.auth) continue;
    const key = `channels.${c.name}.auth`;
    try {
      accessSync(c.auth.passwordFile, constants.R_OK);
    } catch (e) {
      out.push(`${key}.passwordFile: cannot read "${c.auth.passwordFile}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); mail on this channel waits until it can be read`);
    }
    if (c.tls === 'none') out.push(`${key}: tls is "none", and the password is only ever sent inside TLS; mail on this channel waits (set tls to may or encrypt)`);
  }
  return out;
}
