// Helpers for the cleanup protocol tests (S5-S8): a transaction over a raw client,
// DATA with dot-stuffing, BDAT, and the decision lines of a check in the server log.

import assert from 'node:assert/strict';
import type { TestServer } from '../protocol/support.js';
import { SmtpClient, codes, type Reply } from '../helpers/smtp-client.js';

export * from '../protocol/support.js';

/** MAIL + RCPT, both accepted. */
export async function startTx(c: SmtpClient, rcpt: string): Promise<void> {
  c.write(`MAIL FROM:<sender@client.test>\r\nRCPT TO:<${rcpt}>\r\n`);
  assert.deepEqual((await c.replies(2)).map(codes), ['250 2.1.0', '250 2.1.5']);
}

/** Sends a whole message with DATA (dot-stuffed) and returns the final reply. */
export async function sendData(c: SmtpClient, rcpt: string, msg: Buffer | string, timeoutMs = 15000): Promise<Reply> {
  await startTx(c, rcpt);
  assert.equal((await c.cmd('DATA')).code, 354);
  const text = typeof msg === 'string' ? Buffer.from(msg, 'latin1') : msg;
  const stuffed = Buffer.from(text.toString('latin1').replace(/^\./gm, '..'), 'latin1');
  c.write(Buffer.concat([stuffed, Buffer.from('.\r\n')]));
  return c.reply(timeoutMs);
}

/** Sends a message with BDAT in chunks of `size` octets (the last one LAST); returns the final reply. */
export async function sendBdat(c: SmtpClient, rcpt: string, msg: Buffer | string, size: number): Promise<Reply> {
  await startTx(c, rcpt);
  const b = typeof msg === 'string' ? Buffer.from(msg, 'latin1') : msg;
  for (let i = 0; i < b.length; i += size) {
    const part = b.subarray(i, i + size);
    const last = i + size >= b.length;
    c.write(Buffer.concat([Buffer.from(`BDAT ${part.length}${last ? ' LAST' : ''}\r\n`), part]));
    const r = await c.reply(15000);
    if (last) return r;
    if (r.code !== 250) return r;
  }
  throw new Error('empty message');
}

/** Decision log lines of a check. */
export function decisions(ts: TestServer, check: string): Array<Record<string, unknown>> {
  return ts.logs.filter((l) => l.event === 'decision' && l.check === check);
}
