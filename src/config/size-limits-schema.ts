// Configuration keys of the size limits (S1 per listener, S3 blocks and lines,
// S4 Large Message Safety, destination channel limits). schema.ts spreads these
// into the listener and `limits` objects, so the keys live in one table there;
// this file keeps them (and their cross-key validation) out of the shared file.

import { z } from 'zod';

const positiveInt = z.number().int().positive();

/** S4: the parts a Large Message Safety key can be made of (policy/lms.ts). */
export const LMS_KEY_PARTS = ['ip', 'helo', 'mail', 'rcpt'] as const;

/**
 * An LMS exception: a sender address pattern, `*` = any run of characters, `?` = one
 * character, case-insensitive (Mailtraq "Exceptions", e.g. `*@partner.example`).
 */
export const senderPattern = z
  .string()
  .min(3)
  .max(320)
  .regex(/^[^\s<>@]+@[^\s<>@]+$/, 'expected an address pattern such as "*@partner.example" or "big?@example.org" (wildcards * and ?)');

/** Large Message Safety settings a listener may override (Mailtraq: per service instance). */
const ListenerLmsSchema = z
  .object({
    enabled: z.boolean().optional().describe('S4: turn Large Message Safety on or off on this listener. Default: limits.largeMessageSafety.enabled.'),
    abortOver: positiveInt.optional().describe('S4: abort threshold in octets on this listener. Default: limits.largeMessageSafety.abortOver, else 3 x the sender\'s size limit.'),
  })
  .strict();

/** Spread into ListenerSchema. */
export const listenerSizeFields = {
  maxMessageSize: positiveInt.optional().describe('S1: largest message on this listener, in octets; advertised as SIZE here. Default: limits.maxMessageSize.'),
  sourceBlockLimit: positiveInt.optional().describe('S3 (Sun sourceblocklimit): largest incoming message on this listener, in blocks of limits.blockSize. Default: none.'),
  largeMessageSafety: ListenerLmsSchema.optional().describe('S4: per-listener override of limits.largeMessageSafety (enabled, abortOver).'),
};

/** Spread into the `limits` object. */
export const limitsSizeFields = {
  blockSize: z.number().int().min(1).max(1048576).default(1024).describe('S3 (Sun BLOCK_SIZE): octets per block for every *BlockLimit setting. Default 1024.'),
  blockLimit: positiveInt.optional().describe('S3 (Sun BLOCK_LIMIT): largest message in blocks, everywhere (incoming too); advertised through SIZE. Caps every other size setting. Default: none.'),
  lineLimit: positiveInt.optional().describe('S3 (Sun LINE_LIMIT): most lines in a message, everywhere (incoming too); past it 552 5.3.4 after the data. Default: none.'),
  largeMessageSafety: z
    .object({
      enabled: z.boolean().default(true).describe('S4 (Mailtraq "Enable Large Message Safety").'),
      abortOver: positiveInt.optional().describe('S4 (Mailtraq "Abort messages over"): past this many octets the connection is broken at once. Default: 3 x the sender\'s size limit (listener or global maxMessageSize, or its directory value).'),
      keyTtlMs: z.number().int().min(1000).default(86400000).describe('S4: how long a broken-off message\'s key is remembered (and the same offer refused). Default 24 h.'),
      exceptions: z.array(senderPattern).default([]).describe('S4: sender address patterns never aborted (wildcards * and ?, case-insensitive), e.g. "*@partner.example".'),
      keyParts: z
        .array(z.enum(LMS_KEY_PARTS))
        .default(['helo', 'mail', 'rcpt'])
        .refine((p) => new Set(p).size === p.length, 'each part at most once')
        .refine((p) => p.includes('mail') && p.includes('rcpt'), 'must include mail and rcpt (a key without them would refuse unrelated messages)')
        .describe('S4: what identifies a broken-off message, from helo, mail, rcpt (the arguments the client gave) and ip (its address). Default: the Mailtraq key, helo + mail + rcpt, so a sender with a pool of outbound addresses is refused on every address once one was broken off; add ip to tie the key to one address.'),
    })
    .strict()
    .prefault({})
    .describe('S4 Large Message Safety (Mailtraq): break the connection of a client that sends far more than the size limit, and refuse the same offer again.'),
};

interface SizeConfigView {
  listeners: Array<{ maxMessageSize?: number; sourceBlockLimit?: number; largeMessageSafety?: { enabled?: boolean; abortOver?: number } }>;
  limits: { maxMessageSize: number; largeMessageSafety: { enabled: boolean; abortOver?: number } };
}

/** Cross-key checks: an abort threshold below the size limit it protects would abort messages S1 should refuse cleanly. */
export function refineSizeLimits(cfg: SizeConfigView, ctx: z.RefinementCtx): void {
  const lms = cfg.limits.largeMessageSafety;
  if (lms.abortOver !== undefined && lms.abortOver < cfg.limits.maxMessageSize) {
    ctx.addIssue({
      code: 'custom',
      path: ['limits', 'largeMessageSafety', 'abortOver'],
      message: `must be at least limits.maxMessageSize (${cfg.limits.maxMessageSize}); Mailtraq and MDaemon advise 2-3 times it`,
    });
  }
  cfg.listeners.forEach((l, i) => {
    const size = l.maxMessageSize ?? cfg.limits.maxMessageSize;
    const own = l.largeMessageSafety?.abortOver;
    const enabled = l.largeMessageSafety?.enabled ?? lms.enabled;
    if (own !== undefined && own < size) {
      ctx.addIssue({ code: 'custom', path: ['listeners', i, 'largeMessageSafety', 'abortOver'], message: `must be at least this listener's maxMessageSize (${size})` });
    } else if (own === undefined && enabled && lms.abortOver !== undefined && l.maxMessageSize !== undefined && lms.abortOver < l.maxMessageSize) {
      ctx.addIssue({
        code: 'custom',
        path: ['listeners', i, 'maxMessageSize'],
        message: `is above limits.largeMessageSafety.abortOver (${lms.abortOver}); set listeners.${i}.largeMessageSafety.abortOver too`,
      });
    }
  });
}
