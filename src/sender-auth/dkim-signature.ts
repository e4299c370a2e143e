// A2 the check of one DKIM-Signature, once the body hashes are known: the same steps
// and the same raw result as mailauth 4.13.3's verifier (dkim-verifier.js finalChunk),
// with the public key from dkim-key.ts (parsed once per record, not twice per message)
// and no work whose result nobody reads (the copies of the signed header lines, the
// PEM export of the key). ARC signatures still go through mailauth's own code.

import { createHash, verify } from 'node:crypto';
import type { BodyHashState, ParsedHeaders, RawDkimResult, SignatureHeader } from 'mailauth/lib/dkim/dkim-verifier.js';
import { generateCanonicalizedHeader } from 'mailauth/lib/dkim/header/index.js';
import { getSigningHeaderLines } from 'mailauth/lib/tools.js';
import type { MailauthResolver } from './dns-adapter.js';
import { dkimKey } from './dkim-key.js';

/** The comment mailauth gives each key problem (dkim-verify.ts maps them to RFC 8601 results). */
const KEY_COMMENT: Record<string, string> = {
  ENOTFOUND: 'no key',
  ENODATA: 'no key',
  EINVALIDVER: 'unknown key version',
  EINVALIDTYPE: 'unknown key type',
  EINVALIDVAL: 'invalid public key',
};

function lengths(body: BodyHashState | undefined): Pick<RawDkimResult, 'canonBodyLength' | 'canonBodyLengthTotal'> {
  const out: Pick<RawDkimResult, 'canonBodyLength' | 'canonBodyLengthTotal'> = {};
  if (typeof body?.bodyHashedBytes === 'number') out.canonBodyLength = body.bodyHashedBytes;
  if (typeof body?.canonicalizedLength === 'number') out.canonBodyLengthTotal = body.canonicalizedLength;
  return out;
}

/** The key record of `name` (first TXT record, white space removed), or the DNS error code. */
async function keyRecord(name: string, resolve: MailauthResolver): Promise<{ rr: string } | { code: string }> {
  try {
    const list = (await resolve(name, 'TXT')) as string[][];
    const rr = ([] as string[]).concat(list?.[0] ?? []).join('').replace(/\s+/g, '');
    return rr ? { rr } : { code: 'EINVALIDVAL' };
  } catch (e) {
    return { code: (e as { code?: string }).code ?? 'EUNKNOWN' };
  }
}

export interface SignatureCheck {
  headers: ParsedHeaders;
  body: BodyHashState | undefined;
  resolve: MailauthResolver;
  minBitLength: number;
  now: Date;
}

/** Verifies one (not skipped) DKIM signature header; the result in mailauth's form. */
export async function checkDkimSignature(sh: SignatureHeader, c: SignatureCheck): Promise<RawDkimResult> {
  const status = (result: string, comment?: string): RawDkimResult => ({ ...lengths(c.body), status: comment ? { result, comment } : { result } });
  if (sh.parsed?.bh?.value !== c.body?.hash) return status('neutral', 'body hash did not verify');
  const found = await keyRecord(`${sh.selector}._domainkey.${sh.signingDomain}`, c.resolve);
  if ('code' in found) return KEY_COMMENT[found.code] ? status('neutral', KEY_COMMENT[found.code]) : status('temperror', `DNS failure: ${found.code}`);
  const key = dkimKey(found.rr);
  if (!key.ok) return status('neutral', KEY_COMMENT[key.code]);
  if (key.type === 'rsa' && (key.bits ?? 0) < c.minBitLength) return status('policy');
  const withBits = (r: RawDkimResult): RawDkimResult => (key.bits ? { ...r, modulusLength: key.bits } : r);
  const lines = getSigningHeaderLines(c.headers.parsed, sh.parsed?.h?.value, true);
  const { canonicalizedHeader } = generateCanonicalizedHeader('DKIM', lines, { signatureHeaderLine: sh.original ?? '', canonicalization: sh.canonicalization ?? '', instance: false });
  let good: boolean;
  try {
    const rsa = sh.signAlgo === 'rsa';
    const data = rsa ? canonicalizedHeader : createHash('sha256').update(canonicalizedHeader).digest();
    good = verify(rsa ? (sh.algorithm ?? null) : null, data, key.key, Buffer.from(String(sh.parsed?.b?.value ?? ''), 'base64'));
  } catch (e) {
    return withBits(status('neutral', (e as Error).message));
  }
  if (!good) return withBits(status('fail', 'bad signature'));
  if (sh.expiration && sh.timestamp && sh.expiration < sh.timestamp) return withBits(status('neutral', 'invalid expiration'));
  if (sh.expiration && sh.expiration < c.now) return withBits(status('neutral', 'expired'));
  return withBits(status('pass'));
}
