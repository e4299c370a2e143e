// Configuration keys of sender authentication and reputation (A1-A9: SPF, DKIM,
// DMARC, ARC, Authentication-Results, DNSBL/DNSWL, scoring, DKIM signing,
// greylisting). schema.ts spreads `senderAuthFields` into the top-level object and
// calls refineSenderAuth(); this file keeps them out of the shared file.

import { z } from 'zod';
import { isDomain } from '../core/address.js';
import { parseDnsblSite } from '../dnsbl/sites.js';

const ms = z.number().int().min(1).describe('milliseconds');
const domainName = z.string().refine((s) => isDomain(s.replace(/\.$/, ''), false), 'expected a domain name (A-labels)');
const weight = z.number().min(-100).max(100);
const action = z.enum(['reject', 'quarantine', 'mark']);

const spfWeights = z
  .object({
    pass: weight.default(0).describe('A7: score for SPF pass.'),
    fail: weight.default(3).describe('A7: score for SPF fail (-all).'),
    softfail: weight.default(1).describe('A7: score for SPF softfail (~all).'),
    neutral: weight.default(0).describe('A7: score for SPF neutral (?all).'),
    none: weight.default(0.5).describe('A7: score when the domain publishes no SPF record.'),
    permerror: weight.default(1).describe('A7: score for a broken SPF record (permerror).'),
    temperror: weight.default(0).describe('A7: score when SPF could not be evaluated for a DNS failure (temperror).'),
  })
  .strict()
  .prefault({})
  .describe('A7: SPF (A1) result of the MAIL FROM identity -> score.');

const dkimWeights = z
  .object({
    pass: weight.default(0).describe('A7: score when a DKIM signature passed (any domain).'),
    fail: weight.default(1).describe('A7: score when signatures exist, none passed and one failed (broken or forged, key too short).'),
    neutral: weight.default(0).describe('A7: score when the best signature was neutral (l= leaving content unsigned, expired, not verified).'),
    permerror: weight.default(0.5).describe('A7: score when the best signature was a permerror (no key, rsa-sha1, unsupported).'),
    temperror: weight.default(0).describe('A7: score when the best signature hit a DNS failure.'),
    none: weight.default(0).describe('A7: score for an unsigned message.'),
  })
  .strict()
  .prefault({})
  .describe('A7: DKIM (A2) result of the message (its best signature) -> score.');

const dmarcWeights = z
  .object({
    pass: weight.default(0).describe('A7: score for DMARC pass.'),
    fail: weight.default(2).describe('A7: score for DMARC fail (whatever the policy; the policy itself acts through senderAuth.dmarc).'),
    none: weight.default(0).describe('A7: score when the From domain has no DMARC record.'),
    temperror: weight.default(0).describe('A7: score for a DMARC temperror.'),
    permerror: weight.default(0).describe('A7: score for a DMARC permerror (a From without a valid domain).'),
  })
  .strict()
  .prefault({})
  .describe('A7: DMARC (A3) result -> score.');

export const senderAuthFields = {
  senderAuth: z
    .object({
      authservId: domainName.optional().describe('A5: the authserv-id in our Authentication-Results header; incoming Authentication-Results claiming it are removed (RFC 8601 section 5). Default: hostname.'),
      spf: z
        .object({
          mode: z.enum(['off', 'mark', 'reject']).default('mark').describe('A1 SPF (RFC 7208) at MAIL for unauthenticated clients outside the LAN. off; mark (result in Authentication-Results and the score); reject (fail: 550 5.7.23, temperror: 451 4.7.24; other results as mark).'),
          helo: z.boolean().default(true).describe('A1: also check the HELO identity (RFC 7208 2.3) and report it in Authentication-Results (the null sender is always checked through HELO, RFC 7208 2.4).'),
        })
        .strict()
        .prefault({})
        .describe('A1 SPF.'),
      dkim: z
        .object({
          verify: z.boolean().default(true).describe('A2: verify every DKIM signature at end of data (streaming).'),
          minRsaBits: z.number().int().min(1024).max(4096).default(1024).describe('A2: RSA keys shorter than this make the signature fail (RFC 8301: at least 1024).'),
          maxSignatures: z.number().int().min(1).max(50).default(10).describe('A2: signatures verified per message; more are reported neutral and cost nothing (each costs a DNS lookup and a pass over the body).'),
        })
        .strict()
        .prefault({})
        .describe('A2 DKIM verification.'),
      dmarc: z
        .object({
          enabled: z.boolean().default(true).describe('A3: evaluate DMARC (RFC 7489, DMARCbis alignment) for the From domain at end of data; never for authenticated or LAN clients. Needs senderAuth.dkim.verify and SPF (mode mark or reject).'),
          onReject: action.default('reject').describe('A3: what a DMARC fail under p=reject does: reject (550 5.7.1 at end of data), quarantine (accept and mark as quarantined), mark (header and score only).'),
          onQuarantine: action.default('quarantine').describe('A3: what a DMARC fail under p=quarantine does (reject, quarantine or mark).'),
          onTemperror: z.enum(['tempfail', 'mark']).default('tempfail').describe('A3: a DMARC temperror (policy or aligned check not resolvable) for a domain whose policy is not known to be none: tempfail (451 4.7.1, the sender retries) or mark.'),
          domains: z.record(domainName, action).default({}).describe('A3: per From domain (or its organizational domain) action on DMARC fail, overriding onReject/onQuarantine; e.g. a partner whose forwarding breaks DMARC: mark.'),
        })
        .strict()
        .prefault({})
        .describe('A3 DMARC.'),
      arcTrustedSealers: z.array(domainName).default([]).describe('A4 ARC (RFC 8617): sealer domains (ARC-Seal d=) whose valid chain recording dmarc=pass overrides a DMARC fail (mailing lists, forwarders you trust).'),
      signing: z
        .object({
          enabled: z.boolean().default(true).describe('A8: DKIM-sign mail from authenticated clients whose From domain has an active key (rampart dkim generate) and is the domain of the account; new keys are seen within 10 s.'),
          lanRelay: z.boolean().default(true).describe('A8: also sign mail from relay.lanNetworks (any From domain with an active key).'),
        })
        .strict()
        .prefault({})
        .describe('A8 DKIM signing.'),
    })
    .strict()
    .prefault({})
    .describe('Sender authentication (A1-A5, A8).'),
  dnsbl: z
    .object({
      zones: z
        .array(
          z.string().superRefine((s, ctx) => {
            const r = parseDnsblSite(s);
            if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: `${r}; expected zone[=d.d.d.d][*weight] as in Postfix postscreen_dnsbl_sites` });
          }),
        )
        .default([])
        .describe('A6 DNSBL/DNSWL sites in Postfix postscreen_dnsbl_sites syntax, e.g. "zen.example=127.0.0.[2..11]*3", "list.dnswl.example=127.0.[0..255].[1..3]*-5". Queried in parallel once per connection (not for the LAN, R2 allow-listed clients, or listeners that require AUTH); weights summed.'),
      threshold: z.number().min(-1000).max(1000).optional().describe('A6: a client whose summed DNSBL score reaches this is refused (554 5.7.1, no zone named to the client; a list that did not answer and could decide: 451 4.7.1, or 421 4.7.1 and close at connect). Unset: the score only feeds the eod score. Postfix default: 1.'),
      refuseAt: z.enum(['connect', 'rcpt']).default('rcpt').describe('A6: where the threshold refuses: connect (554 and disconnect) or rcpt (554 per recipient, so the log shows sender and recipients, as postscreen enforce).'),
      minTtlSeconds: z.number().int().min(1).max(86400).default(60).describe('A6: shortest time a DNSBL answer is cached in the shared store (also how long "not listed" is cached).'),
      maxTtlSeconds: z.number().int().min(1).max(86400).default(3600).describe('A6: longest time a DNSBL answer is cached, whatever its DNS TTL.'),
    })
    .strict()
    .prefault({})
    .describe('A6 DNS block and allow lists.'),
  score: z
    .object({
      weights: z
        .object({
          spf: spfWeights,
          dkim: dkimWeights,
          dmarc: dmarcWeights,
          dnsbl: z.number().min(0).max(100).default(1).describe('A7: factor applied to the summed DNSBL score (A6) in the eod score; 0 leaves DNSBL out.'),
        })
        .strict()
        .prefault({})
        .describe('A7: score weights; every weight may be 0. The H2 PTR mark keeps its own weight, policy.ptrMarkScore.'),
      quarantine: z.number().min(-1000).max(1000).default(5).describe('A7: at end of data, a message whose score reaches this is accepted and marked quarantined (X-Rampart-Score says so); 1000 = never.'),
      quarantineFolder: z
        .string()
        .regex(/^([A-Za-z0-9_-]{1,64})?$/, 'a Maildir folder name: letters, digits, _ and -, at most 64, or empty')
        .default('Junk')
        .describe('A7: local recipients get a quarantined message (score.quarantine, or DMARC p=quarantine) in this folder of their Maildir, Maildir++ layout as Dovecot reads it (<Maildir>/.Junk for "Junk"), created when first needed. Empty: delivered to the inbox, marked only (X-Rampart-Score says "quarantine"). Mail relayed to other servers is marked only.'),
      reject: z.number().min(-1000).max(1000).optional().describe('A7: at end of data, a message whose score reaches this is refused with 550 5.7.1 (451 4.7.1 when a DNS list that did not answer could move it across). Default: off.'),
    })
    .strict()
    .prefault({})
    .describe('A7 scoring of the marks.'),
  greylist: z
    .object({
      enabled: z.boolean().default(false).describe('A9 greylisting at RCPT: the first attempt of a (client /24 or /64, sender, recipient) triplet gets 451 4.7.1. LAN, authenticated and DNSWL-listed clients are exempt.'),
      delayMs: ms.default(300_000).describe('A9: a retry passes once this long has gone by since the first attempt (postgrey: 300 s).'),
      retryWindowMs: ms.default(2 * 24 * 3600 * 1000).describe('A9: a retry later than this after the first attempt starts again (postgrey: 2 days).'),
      passTtlMs: ms.default(35 * 24 * 3600 * 1000).describe('A9: how long a passed triplet (and a client\'s pass count) is remembered after its last use (postgrey: 35 days).'),
      autoAllowAfter: z.number().int().min(0).max(1000).default(5).describe('A9: after this many passed triplets a client network is no longer greylisted; 0 = never.'),
    })
    .strict()
    .prefault({})
    .describe('A9 greylisting.'),
};

interface SenderAuthConfig {
  senderAuth: { spf: { mode: string }; dkim: { verify: boolean }; dmarc: { enabled: boolean } };
  dnsbl: { minTtlSeconds: number; maxTtlSeconds: number };
  score: { quarantine?: number; reject?: number };
  greylist: { delayMs: number; retryWindowMs: number };
}

/** Cross-key checks, each naming the key. */
export function refineSenderAuth(cfg: SenderAuthConfig, ctx: z.RefinementCtx): void {
  // DMARC passes on aligned SPF or aligned DKIM: without either, a legitimate message would fail.
  if (cfg.senderAuth.dmarc.enabled && !cfg.senderAuth.dkim.verify) ctx.addIssue({ code: 'custom', path: ['senderAuth', 'dmarc', 'enabled'], message: 'DMARC needs senderAuth.dkim.verify (a message passes DMARC on an aligned DKIM signature); turn DMARC off too' });
  if (cfg.senderAuth.dmarc.enabled && cfg.senderAuth.spf.mode === 'off') ctx.addIssue({ code: 'custom', path: ['senderAuth', 'dmarc', 'enabled'], message: 'DMARC needs SPF (senderAuth.spf.mode mark or reject: a message passes DMARC on aligned SPF); turn DMARC off too' });
  if (cfg.dnsbl.minTtlSeconds > cfg.dnsbl.maxTtlSeconds) ctx.addIssue({ code: 'custom', path: ['dnsbl', 'minTtlSeconds'], message: 'must not be larger than dnsbl.maxTtlSeconds' });
  if (cfg.score.reject !== undefined && cfg.score.quarantine !== undefined && cfg.score.reject <= cfg.score.quarantine) {
    ctx.addIssue({ code: 'custom', path: ['score', 'reject'], message: 'must be larger than score.quarantine (a message is quarantined before it is refused)' });
  }
  if (cfg.greylist.retryWindowMs <= cfg.greylist.delayMs) ctx.addIssue({ code: 'custom', path: ['greylist', 'retryWindowMs'], message: 'must be longer than greylist.delayMs' });
}
