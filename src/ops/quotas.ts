// Q5 mailbox quotas: set or remove the quota of a mailbox or of a domain (the
// default of its mailboxes), read one, and show a mailbox with its usage. Sizes
// are octets or "2G", "500M", "64K" (powers of 1024, as Dovecot and Sun read them).

import { z } from 'zod';
import { defineOp } from './op.js';
import { OpError } from './errors.js';
import { LimitSubject, MailAddress } from './names.js';
import { QUOTA_MODES } from '../directory/quotas.js';
import { maildirPath } from '../core/mailbox-name.js';
import { peekQuotaState } from '../quota/mailbox-quota.js';
import { countMaildir } from '../quota/maildirsize.js';

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** "2G" -> 2147483648; undefined for anything that is not a size of 0 or more. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Math.round(Number(m[1]) * UNITS[m[2].toUpperCase()]);
  return Number.isSafeInteger(n) ? n : undefined;
}

const SIZE_HELP = 'expected a size of 0 or more: octets, or a number with K, M, G or T (powers of 1024), e.g. 2G';

export const ByteSize = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const n = typeof v === 'number' ? (Number.isSafeInteger(v) && v >= 0 ? v : undefined) : parseSize(v);
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: `the quota size must be ${SIZE_HELP.slice('expected '.length)}; got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  })
  .describe('Quota in octets, or "2G", "500M", "64K" (powers of 1024).');

const QuotaMode = z.enum(QUOTA_MODES, { error: 'the quota mode must be hold or return' }).describe('hold: keep over-quota mail queued and retry until it fits or giveUpMs (then a 5.2.2 DSN); RCPT to a full mailbox 452 4.2.2. return: a 5.2.2 DSN at once; RCPT 552 5.2.2.');

export const QuotaOut = z
  .object({
    subject: z.string(),
    bytes: z.number().optional(),
    messages: z.number().optional(),
    mode: QuotaMode.optional(),
  })
  .strict();

export const setQuota = defineOp({
  name: 'quotas.set',
  write: true,
  input: z
    .object({
      subject: LimitSubject,
      bytes: ByteSize.optional(),
      messages: z.number({ error: 'the message limit must be a whole number 0 or more' }).int({ error: 'the message limit must be a whole number 0 or more' }).min(0, { error: 'the message limit must be a whole number 0 or more' }).optional().describe('Most messages the mailbox may hold.'),
      mode: QuotaMode.optional(),
    })
    .strict()
    .refine((o) => o.bytes !== undefined || o.messages !== undefined || o.mode !== undefined, 'give bytes, messages or mode'),
  output: QuotaOut,
  run: (ctx, { subject, ...s }) => ctx.directory.quotas.set(subject, s),
});

export const unsetQuota = defineOp({
  name: 'quotas.unset',
  write: true,
  input: z.object({ subject: LimitSubject }).strict(),
  output: z.object({ subject: z.string() }).strict(),
  run: (ctx, { subject }) => {
    ctx.directory.quotas.unset(subject);
    return { subject };
  },
});

export const getQuota = defineOp({
  name: 'quotas.get',
  write: false,
  input: z.object({ subject: LimitSubject }).strict(),
  output: QuotaOut,
  run: (ctx, { subject }) => {
    const q = ctx.directory.quotas.get(subject);
    if (!q) throw new OpError('notFound', `${subject} has no quota of its own.`);
    return q;
  },
});

export const MailboxUsageOut = z
  .object({
    address: z.string(),
    hasPassword: z.boolean(),
    quota: z
      .object({ bytes: z.number().optional(), messages: z.number().optional(), mode: QuotaMode, from: z.enum(['mailbox', 'domain']) })
      .strict()
      .nullable()
      .describe('The quota that applies (its own fields over its domain\'s), or null.'),
    usage: z.object({ bytes: z.number(), messages: z.number() }).strict().describe('From maildirsize when a quota applies, else counted now.'),
  })
  .strict();

export const showMailbox = defineOp({
  name: 'mailboxes.show',
  write: false,
  input: z.object({ address: MailAddress }).strict(),
  output: MailboxUsageOut,
  run: async (ctx, { address }) => {
    const m = ctx.directory.mailbox(address);
    if (!m) throw new OpError('notFound', `Mailbox ${address} does not exist.`);
    const dataDir = ctx.config().dataDir;
    const st = await peekQuotaState(ctx.directory, dataDir, m.address);
    const usage = st?.usage ?? (await countMaildir(maildirPath(dataDir, m.address)));
    return { ...m, quota: st?.quota ?? null, usage };
  },
});
