// Mailboxes: list (all or one domain's), show, add, remove, set password. Without a
// password one is generated and returned once (the directory keeps only its hash).

import { z } from 'zod';
import { defineOp } from './op.js';
import { OpError } from './errors.js';
import { DomainName, MailAddress } from './names.js';
import { decodeCursor, pageFields, pageOf, pageSchema } from './page.js';
import { generatePassword } from '../directory/password.js';

const Password = z.string().min(1, 'the password must not be empty.').max(1024).describe('The password; without it a random one is generated and returned once.');

export const MailboxOut = z
  .object({
    address: z.string(),
    hasPassword: z.boolean().describe('False for a mailbox that cannot log in (it still receives mail).'),
  })
  .strict();

const WithPassword = z
  .object({
    address: z.string(),
    password: z.string().optional().describe('The generated password, present only when none was given; shown this once.'),
  })
  .strict();

export const listMailboxes = defineOp({
  name: 'mailboxes.list',
  write: false,
  input: z.object({ domain: DomainName.optional().describe('Only the mailboxes of this domain.'), ...pageFields }).strict(),
  output: pageSchema(MailboxOut),
  run: (ctx, { domain, limit, cursor }) => pageOf(ctx.directory.listMailboxes(domain, { after: decodeCursor(cursor), limit: limit + 1 }), limit, (m) => m.address),
});

export const getMailbox = defineOp({
  name: 'mailboxes.get',
  write: false,
  input: z.object({ address: MailAddress }).strict(),
  output: MailboxOut,
  run: (ctx, { address }) => {
    const m = ctx.directory.mailbox(address);
    if (!m) throw new OpError('notFound', `Mailbox ${address} does not exist.`);
    return m;
  },
});

export const addMailbox = defineOp({
  name: 'mailboxes.add',
  write: true,
  input: z.object({ address: MailAddress, password: Password.optional() }).strict(),
  output: WithPassword,
  run: async (ctx, { address, password }) => {
    const pw = password ?? generatePassword();
    await ctx.directory.addMailbox(address, pw);
    return { address, password: password === undefined ? pw : undefined };
  },
});

export const removeMailbox = defineOp({
  name: 'mailboxes.remove',
  write: true,
  input: z.object({ address: MailAddress }).strict(),
  output: z.object({ address: z.string() }).strict(),
  run: (ctx, { address }) => {
    ctx.directory.removeMailbox(address);
    return { address };
  },
});

export const setMailboxPassword = defineOp({
  name: 'mailboxes.setPassword',
  write: true,
  input: z.object({ address: MailAddress, password: Password.optional() }).strict(),
  output: WithPassword,
  run: async (ctx, { address, password }) => {
    const pw = password ?? generatePassword();
    await ctx.directory.setPassword(address, pw);
    return { address, password: password === undefined ? pw : undefined };
  },
});
