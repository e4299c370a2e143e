// A2 DKIM verification (RFC 6376) of every signature of a message, streaming:
// the message goes through mailauth's verifier chunk by chunk (it keeps only the
// header block and one running hash per distinct body canonicalization), so a big
// message is never held twice. Our rules on top of mailauth's:
//  - RSA keys shorter than minRsaBits (at least 1024, RFC 8301) are a fail;
//  - rsa-sha1 is not accepted (RFC 8301 3.1): permerror, no DNS lookup;
//  - l= (body length): a signature that leaves body content after its l= bytes
//    unsigned is 'neutral', never 'pass': it vouches for part of what the reader
//    sees, and what follows (an appended offer, a replaced link) could be anyone's;
//  - at most maxSignatures signatures are verified (each costs a DNS lookup and a
//    pass over the body); the rest are 'neutral' and cost nothing;
//  - a header block that never ends within maxHeaderBytes is not verified.
// mailauth's own mapping is refined to RFC 8601 results: a body hash mismatch is a
// fail, a missing or unusable key a permerror.

import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DkimVerifier, type ParsedHeaders, type SignatureHeader, type RawDkimResult } from 'mailauth/lib/dkim/dkim-verifier.js';
import type { DnsResolver } from '../dns/resolver.js';
import { adaptResolver, type MailauthResolver } from './dns-adapter.js';
import { checkDkimSignature } from './dkim-signature.js';

export type DkimResult = 'pass' | 'fail' | 'neutral' | 'temperror' | 'permerror';

export interface DkimSignatureOutcome {
  result: DkimResult;
  /** d= (signing domain). */
  domain: string;
  /** s= */
  selector: string;
  /** a= */
  algorithm: string;
  /** First characters of b= (RFC 6008 header.b), to tell signatures apart. */
  b: string;
  comment?: string;
  /** RSA modulus length, when the key was fetched. */
  keyBits?: number;
  /** l=, when given. */
  bodyLength?: number;
  /** Canonicalized body octets after the l= limit (0 when all is signed). */
  unsignedBytes?: number;
}

export interface DkimVerification {
  /** One entry per DKIM-Signature field, in header order; empty = not signed. */
  signatures: DkimSignatureOutcome[];
  /** Addresses of the From header field(s), for DMARC. */
  fromAddresses: string[];
  /** When the message could not be examined at all (log detail). */
  error?: string;
  /** The parsed header block (mailauth's form), for ARC and DMARC. */
  headers?: ParsedHeaders;
  /** mailauth's ARC chain data, input of verifyArc(). */
  arcData: unknown;
}

export interface DkimVerifyOptions {
  /** RSA keys shorter than this fail (default and minimum 1024). */
  minRsaBits?: number;
  /** Signatures verified per message (default 10). */
  maxSignatures?: number;
  /** A header block larger than this is not examined (default 1 MiB). */
  maxHeaderBytes?: number;
  /** The verification time (signature expiry, x=). */
  now?: Date;
}

const OVER_LIMIT = Symbol('overLimit');
const SHA1 = Symbol('sha1');
const L_VALUE = Symbol('l');

const OURS = Symbol('ours');
type Marked = SignatureHeader & { [OVER_LIMIT]?: true; [SHA1]?: true; [L_VALUE]?: number; [OURS]?: true };

/**
 * mailauth's verifier with our limits applied once the header block is known, and
 * the DKIM signatures checked by checkDkimSignature() (keys parsed once, not per
 * message); mailauth still hashes the body and checks the ARC-Message-Signature.
 */
class BoundedVerifier extends DkimVerifier {
  constructor(
    private readonly opts: { resolver: MailauthResolver; minBitLength: number; curTime?: Date },
    private readonly maxSignatures: number,
  ) {
    super(opts);
  }

  override async finalChunk(): Promise<void> {
    const ours = (this.signatureHeaders as Marked[]).filter((sh) => sh.type === 'DKIM' && !sh.skip);
    for (const sh of ours) sh.skip = sh[OURS] = true; // mailauth: digest the body hashes, check ARC
    await super.finalChunk();
    this.results = this.results.filter((r) => r.status.result !== 'none');
    for (const sh of ours) sh.skip = false;
    if (!this.headers) return;
    const check = { headers: this.headers, resolve: this.opts.resolver, minBitLength: this.opts.minBitLength, now: this.curTime };
    for (const sh of ours) {
      this.results.push(await checkDkimSignature(sh, { ...check, body: this.bodyHashes.get(sh.bodyHashKey ?? '') }));
    }
  }

  override async messageHeaders(headers: ParsedHeaders): Promise<void> {
    await super.messageHeaders(headers);
    let verified = 0;
    for (const sh of this.signatureHeaders as Marked[]) {
      if (sh.type !== 'DKIM') continue;
      // mailauth prints to stdout when the body is shorter than l=; we judge l= ourselves.
      if (typeof sh.maxBodyLength === 'number') {
        sh[L_VALUE] = sh.maxBodyLength;
        sh.maxBodyLength = String(sh.maxBodyLength);
      }
      if (sh.skip) continue;
      if (sh.hashAlgo === 'sha1') {
        sh.skip = true;
        sh[SHA1] = true;
      } else if (++verified > this.maxSignatures) {
        sh.skip = true;
        sh[OVER_LIMIT] = true;
      }
    }
    // Drop the body hashes that no verified signature needs (each is a pass over the body).
    const needed = new Set(this.signatureHeaders.filter((s) => !s.skip).map((s) => s.bodyHashKey));
    if (this.sealBodyHashKey) needed.add(this.sealBodyHashKey);
    for (const key of [...this.bodyHashes.keys()]) if (!needed.has(key)) this.bodyHashes.delete(key);
  }
}

class HeaderTooLarge extends Error {}

/** A function given each chunk in turn, throwing once `max` octets pass without the blank line that ends the header block. */
function headerGuard(max: number): (chunk: Buffer) => void {
  let seen = 0;
  let done = false;
  let tail = '';
  return (chunk) => {
    if (done) return;
    const text = tail + chunk.toString('latin1', 0, Math.min(chunk.length, max + 4));
    if (/\n\r?\n/.test(text)) done = true;
    else {
      seen += chunk.length;
      if (seen > max) throw new HeaderTooLarge(`no end of the header block within ${max} octets`);
      tail = text.slice(-2);
    }
  };
}

/**
 * Writes `message` into the verifier, honouring back pressure, and waits until the
 * verifier has finished. Not stream.pipeline(): per message it creates an
 * AbortController and a DOMException with a stack trace, a measurable part of the
 * cost of a small message. The source is destroyed when the loop ends early.
 */
async function feed(message: Readable, verifier: Writable, guard: (chunk: Buffer) => void): Promise<void> {
  const done = finished(verifier);
  done.catch(() => undefined); // a failure while we wait for the source is met below, not unhandled
  try {
    for await (const chunk of message) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      guard(buf);
      if (!verifier.write(buf)) await Promise.race([once(verifier, 'drain'), done]);
    }
    verifier.end();
  } catch (e) {
    verifier.destroy();
    throw e;
  }
  await done;
}

const str = (v: { value: string | number } | undefined): string => (v === undefined ? '' : String(v.value));

function fromRaw(raw: RawDkimResult, sh: Marked): DkimSignatureOutcome {
  const base = outcomeBase(sh);
  const comment = raw.status.comment;
  if (raw.modulusLength) base.keyBits = raw.modulusLength;
  const lValue = sh[L_VALUE];
  if (lValue !== undefined) {
    base.bodyLength = lValue;
    base.unsignedBytes = Math.max(0, (raw.canonBodyLengthTotal ?? 0) - (raw.canonBodyLength ?? 0));
  }
  switch (raw.status.result) {
    case 'pass':
      if (base.unsignedBytes) return { ...base, result: 'neutral', comment: `l=${lValue} leaves ${base.unsignedBytes} octets of the body unsigned` };
      return { ...base, result: 'pass' };
    case 'fail':
      return { ...base, result: 'fail', comment: comment ?? 'bad signature' };
    case 'policy':
      return { ...base, result: 'fail', comment: 'RSA key too short' };
    case 'temperror':
      return { ...base, result: 'temperror', comment: comment ?? 'DNS failure' };
    default:
      break;
  }
  switch (comment) {
    case 'body hash did not verify':
      return { ...base, result: 'fail', comment };
    case 'no key':
    case 'unknown key version':
    case 'unknown key type':
    case 'invalid public key':
      return { ...base, result: 'permerror', comment };
    default:
      return { ...base, result: 'neutral', comment: comment ?? 'not verified' };
  }
}

function outcomeBase(sh: Marked): DkimSignatureOutcome {
  return {
    result: 'neutral',
    domain: (sh.signingDomain || str(sh.parsed?.d)).toLowerCase(),
    selector: sh.selector || str(sh.parsed?.s),
    algorithm: sh.algorithm || str(sh.parsed?.a),
    b: str(sh.parsed?.b).replace(/\s+/g, '').slice(0, 8),
  };
}

function skipped(sh: Marked, maxSignatures: number): DkimSignatureOutcome {
  const base = outcomeBase(sh);
  if (sh[SHA1]) return { ...base, result: 'permerror', comment: 'rsa-sha1 is not accepted (RFC 8301)' };
  if (sh[OVER_LIMIT]) return { ...base, result: 'neutral', comment: `not verified: more than ${maxSignatures} signatures` };
  return { ...base, result: 'permerror', comment: 'unsupported algorithm or canonicalization, or no d= or s=' };
}

/** Verifies every DKIM signature of the message read from `message`. */
export async function verifyDkim(message: Readable, dns: DnsResolver, opts: DkimVerifyOptions = {}): Promise<DkimVerification> {
  const maxSignatures = opts.maxSignatures ?? 10;
  const adapted = adaptResolver(dns);
  const verifier = new BoundedVerifier({ resolver: adapted.resolve, minBitLength: Math.max(1024, opts.minRsaBits ?? 1024), curTime: opts.now }, maxSignatures);
  try {
    await feed(message, verifier, headerGuard(opts.maxHeaderBytes ?? 1024 * 1024));
  } catch (e) {
    if (!(e instanceof HeaderTooLarge)) throw e;
    return { signatures: [], fromAddresses: [], error: e.message, arcData: { chain: false } };
  }
  const raws = verifier.results.filter((r) => r.status.result !== 'none');
  const signatures: DkimSignatureOutcome[] = [];
  let next = 0;
  for (const sh of verifier.signatureHeaders as Marked[]) {
    if (sh.type !== 'DKIM') continue;
    signatures.push(sh.skip ? skipped(sh, maxSignatures) : fromRaw(raws[next++], sh));
  }
  const out: DkimVerification = { signatures, fromAddresses: [...verifier.headerFrom], arcData: verifier.arc };
  if (verifier.headers) out.headers = verifier.headers;
  return out;
}
