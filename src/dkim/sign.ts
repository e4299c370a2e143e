// A8 DKIM signing (RFC 6376) of a message stream with relaxed/relaxed
// canonicalization and SHA-256 (RSA or Ed25519, RFC 8463), built on mailauth's
// canonicalization and formatting so signer and verifier agree byte for byte.
// Header fields signed: RFC 6376 5.4.1's list plus Message-ID, Sender and the MIME
// fields, every instance present. Oversigned (listed once more than present, so no
// instance can be added in transit without breaking the signature, RFC 6376 8.15):
// the fields a reader sees as who/what/when (From, Reply-To, Subject, Date, To, Cc)
// and the MIME structure fields. mailauth's own signer cannot oversign.

import { createHash, sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MessageParser } from 'mailauth/lib/dkim/message-parser.js';
import { dkimBody, type BodyHasher } from 'mailauth/lib/dkim/body/index.js';
import { generateCanonicalizedHeader } from 'mailauth/lib/dkim/header/index.js';
import { formatSignatureHeaderLine } from 'mailauth/lib/tools.js';
import type { ParsedHeaders } from 'mailauth/lib/dkim/dkim-verifier.js';

/** RFC 6376 5.4.1 (SHOULD be signed) plus identity and MIME fields, in h= order. */
export const SIGNED_FIELDS = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc',
  'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding', 'Content-Disposition',
  'Resent-Date', 'Resent-From', 'Resent-To', 'Resent-Cc', 'In-Reply-To', 'References',
  'List-Id', 'List-Help', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'List-Subscribe', 'List-Post', 'List-Owner', 'List-Archive',
] as const;

export const OVERSIGNED_FIELDS: readonly string[] = ['From', 'Reply-To', 'Subject', 'Date', 'To', 'Cc', 'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding'];

export interface DkimSigner {
  domain: string;
  selector: string;
  privateKey: KeyObject;
}

type HeaderLine = ParsedHeaders['parsed'][number];

/**
 * h= names and the header lines they select, chosen the way a verifier selects them
 * (RFC 6376 5.4.2: each listed name takes the next instance from the bottom up).
 */
export function signingHeaders(parsed: readonly HeaderLine[]): { names: string[]; lines: HeaderLine[] } {
  const names: string[] = [];
  for (const field of SIGNED_FIELDS) {
    const present = parsed.filter((h) => h.key === field.toLowerCase()).length;
    const times = present + (OVERSIGNED_FIELDS.includes(field) ? 1 : 0);
    for (let i = 0; i < times; i++) names.push(field);
  }
  const unused = [...parsed];
  const lines: HeaderLine[] = [];
  for (const name of names) {
    for (let i = unused.length - 1; i >= 0; i--) {
      if (unused[i].key === name.toLowerCase()) {
        lines.push(unused[i]);
        unused.splice(i, 1);
        break;
      }
    }
  }
  return { names, lines };
}

class SigningParser extends MessageParser {
  headers: ParsedHeaders | undefined;
  private readonly body: BodyHasher = dkimBody('relaxed', 'sha256', false);
  bodyHash = '';

  override async messageHeaders(headers: ParsedHeaders): Promise<void> {
    this.headers = headers;
  }
  override async nextChunk(chunk: Buffer): Promise<void> {
    this.body.update(chunk);
  }
  override async finalChunk(): Promise<void> {
    this.bodyHash = this.body.digest('base64');
  }
}

/** The DKIM-Signature header field (CRLF-terminated) for the message read from `message`. */
export async function dkimSignature(message: Readable, signer: DkimSigner, opts: { now?: Date } = {}): Promise<string> {
  const parser = new SigningParser();
  await pipeline(message, parser);
  if (!parser.headers) throw new Error('DKIM signing: the message has no header block');
  const type = signer.privateKey.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519') throw new Error(`DKIM signing: unsupported key type ${type}`);
  const algorithm = type === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256';
  const { names, lines } = signingHeaders(parser.headers.parsed);
  const signTime = new Date(Math.floor((opts.now ?? new Date()).getTime() / 1000) * 1000);
  const { canonicalizedHeader, dkimHeaderOpts } = generateCanonicalizedHeader('DKIM', { keys: names.join(':'), headers: lines }, {
    canonicalization: 'relaxed/relaxed',
    algorithm,
    signingDomain: signer.domain,
    selector: signer.selector,
    bodyHash: parser.bodyHash,
    signTime,
  });
  const data = type === 'rsa' ? canonicalizedHeader : createHash('sha256').update(canonicalizedHeader).digest();
  dkimHeaderOpts.b = cryptoSign(type === 'rsa' ? 'rsa-sha256' : null, data, signer.privateKey).toString('base64');
  return formatSignatureHeaderLine('DKIM', dkimHeaderOpts, true) + '\r\n';
}
