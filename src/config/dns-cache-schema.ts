// dns.cache: the DNS answer cache (src/dns/answer-cache.ts).

import { z } from 'zod';

export const dnsCacheSchema = z
  .object({
    maxEntries: z.number().int().min(0).max(1_000_000).default(10_000).describe('DNS answers (MX, A, AAAA, TXT) kept in memory at most, shared by sender authentication (SPF, DKIM keys, DMARC) and delivery (MX and address lookups); the least recently used goes first. 0 = no cache: every question goes to the resolvers.'),
    minTtl: z.number().int().min(0).max(86_400).default(0).describe('Seconds: an answer whose TTL is shorter is kept this long. 0 honours every TTL (a TTL of 0 is not kept).'),
    maxTtl: z.number().int().min(1).max(604_800).default(86_400).describe('Seconds: an answer is kept at most this long, whatever its TTL (a record changed at its source is seen within this time).'),
    negativeMaxTtl: z.number().int().min(0).max(86_400).default(3_600).describe('Seconds: "no such name" and "no such record" answers are kept for the negative TTL their zone gives (RFC 2308: the smaller of the SOA TTL and SOA minimum), at most this long; an answer without the SOA of its zone is not kept. 0 = never kept. Failures (timeouts, SERVFAIL) are never kept.'),
  })
  .strict()
  .refine((c) => c.minTtl <= c.maxTtl, { message: 'dns.cache.minTtl must not be larger than dns.cache.maxTtl', path: ['minTtl'] })
  .prefault({})
  .describe('The DNS answer cache: answers kept for their TTL, within these bounds.');
