// The fixed, documented order of checks per stage. Admins change settings, not
// this list: the relay check cannot be removed. Every check here has its entry,
// in the same order, in policy/registry.ts (a test holds the two together).

import type { Check, Stage } from './types.js';
import { findCheck } from './registry.js';
import { relay } from './rcpt/relay.js';
import { localRecipient } from './rcpt/local-recipient.js';
import { authenticatedSenderMustUsePostoffice } from './mail/authenticated-sender-must-use-postoffice.js';
import { maxMessageSize as mailMaxMessageSize } from './mail/max-message-size.js';
import { maxMessageSize as rcptMaxMessageSize } from './rcpt/max-message-size.js';
import { largeMessageSafety } from './data/large-message-safety.js';
import { heloBlocklist } from './helo/helo-blocklist.js';
import { ptr } from './mail/ptr.js';
import { senderDomainResolvable } from './mail/sender-domain-resolvable.js';
import { maxRecipients } from './rcpt/max-recipients.js';
import { recipientsPerHour } from './rcpt/recipients-per-hour.js';
import { recipientCutoff } from './data/recipient-cutoff.js';
import { accessList } from './connect/access-list.js';
import { disconnectBadAuthLimit } from './auth/disconnect-bad-auth-limit.js';
import { spoofing } from './mail/spoofing.js';
import { connectionRate } from './connect/connection-rate.js';
import { mailSpoolFreeSpace, dataSpoolFreeSpace } from './data/spool-free-space.js';
import { connectDnsbl } from './connect/dnsbl.js';
import { spf } from './mail/spf.js';
import { rcptDnsbl } from './rcpt/dnsbl.js';
import { rcptGreylist } from './rcpt/greylist.js';
import { dkim } from './eod/dkim.js';
import { dmarc } from './eod/dmarc.js';
import { scoreCheck } from './eod/score.js';
import { dkimSign } from './eod/dkim-sign.js';

export const builtinChecks: Readonly<Record<Stage, readonly Check[]>> = {
  // connect.dnsbl last: a denied or too-fast client costs no DNS lookup.
  connect: [accessList, connectionRate, connectDnsbl],
  helo: [heloBlocklist],
  auth: [disconnectBadAuthLimit], // runs after each failed AUTH (R4)
  // spool free space first: when the disk is full nothing else matters, and it is a cached statfs.
  // SPF after H1: a sender domain that does not exist is refused before any SPF lookup.
  mail: [mailSpoolFreeSpace, mailMaxMessageSize, authenticatedSenderMustUsePostoffice, spoofing, ptr, senderDomainResolvable, spf],
  // relay first (R1, cannot be removed); maxRecipients next (H7's 452 before any lookup);
  // dnsbl before localRecipient (a listed client learns nothing about our mailboxes);
  // greylist after every permanent refusal (an unknown user gets 550, not 451);
  // recipientsPerHour last: it counts the recipient it accepts, so every refusing check must run before it.
  rcpt: [relay, maxRecipients, rcptDnsbl, localRecipient, rcptMaxMessageSize, rcptGreylist, recipientsPerHour],
  data: [dataSpoolFreeSpace, recipientCutoff, largeMessageSafety],
  // dkim: the one pass over the message (DKIM, ARC, DMARC evaluation, Authentication-Results);
  // dmarc and score act on it; dkimSign (our own mail only) last, so its signature ends on top.
  eod: [dkim, dmarc, scoreCheck, dkimSign],
};

/**
 * The plugin API's second half: checks written in TypeScript, each registered
 * first (registry.ts registerCheck), run after the built-ins of their stage.
 */
export function withPlugins(base: Readonly<Record<Stage, readonly Check[]>>, plugins: readonly Check[] = []): Readonly<Record<Stage, readonly Check[]>> {
  const out = { ...base } as Record<Stage, readonly Check[]>;
  for (const c of plugins) {
    const info = findCheck(c.name);
    if (!info || info.kind !== 'check') throw new Error(`plugin check ${c.name} is not registered (registerCheck)`);
    const stage = info.stage as Stage;
    if (!(stage in out)) throw new Error(`plugin check ${c.name}: stage ${info.stage} runs no checks`);
    out[stage] = [...out[stage], c];
  }
  return out;
}
