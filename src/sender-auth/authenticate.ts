// A2-A5 the end-of-data authentication of one message, in the order the results
// depend on each other: DKIM (streaming the message once), ARC (from the headers
// the DKIM pass gathered), DMARC (From domain, the MAIL-stage SPF result, DKIM,
// ARC), then the one Authentication-Results field. The eod.dkim check calls this with
// ctx.message.stream() (src/policy/eod/dkim.ts).

import type { Readable } from 'node:stream';
import type { DnsResolver } from '../dns/resolver.js';
import { verifyDkim, type DkimVerification } from './dkim-verify.js';
import { verifyArc, type ArcOutcome } from './arc.js';
import { evaluateDmarc, type DmarcOutcome } from './dmarc.js';
import { authResultsHeader } from './auth-results.js';
import type { SpfOutcome } from './spf.js';

export interface MessageAuthSettings {
  authservId: string;
  dkim: { minRsaBits: number; maxSignatures: number };
  dmarc: { enabled: boolean };
  arcTrustedSealers: readonly string[];
}

export interface MessageAuthResult {
  dkim: DkimVerification;
  arc: ArcOutcome;
  dmarc?: DmarcOutcome;
  /** "Authentication-Results: ...\r\n" */
  header: string;
}

export async function authenticateMessage(
  message: Readable,
  ctx: { spf?: SpfOutcome; spfHelo?: SpfOutcome; dns: DnsResolver; settings: MessageAuthSettings; now?: Date; random?: () => number },
): Promise<MessageAuthResult> {
  const { dns, settings } = ctx;
  const dkim = await verifyDkim(message, dns, { ...settings.dkim, now: ctx.now });
  const arc = await verifyArc(dkim.arcData, dns, { minRsaBits: settings.dkim.minRsaBits });
  const dmarc = settings.dmarc.enabled
    ? await evaluateDmarc({ fromAddresses: dkim.fromAddresses, spf: ctx.spf, dkim: dkim.signatures, arc, arcTrustedSealers: settings.arcTrustedSealers, random: ctx.random }, dns)
    : undefined;
  const header = authResultsHeader({ authservId: settings.authservId, spf: ctx.spf, spfHelo: ctx.spfHelo, dkim: dkim.signatures, dmarc, arc: arc.result === 'none' ? undefined : arc });
  return { dkim, arc, dmarc, header };
}
