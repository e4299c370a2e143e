// Types for the parts of mailauth 4.13.3 (pinned) that we build on below its
// public functions: the streaming DKIM verifier (subclassed to bound its work),
// and the primitives our DKIM signer uses to oversign header fields.

declare module 'mailauth/lib/dkim/dkim-verifier.js' {
  import { Writable } from 'node:stream';

  export interface ParsedHeaders {
    parsed: Array<{ key: string; casedKey: string; line: Buffer }>;
    original: Buffer;
  }

  export interface SignatureHeader {
    type: 'DKIM' | 'ARC' | 'AS';
    parsed?: Record<string, { value: string | number } | undefined>;
    original?: string;
    canonicalization?: string;
    timestamp?: Date | null;
    expiration?: Date | null;
    algorithm?: string;
    signAlgo?: string;
    hashAlgo?: string;
    signingDomain?: string;
    selector?: string;
    bodyHashKey?: string;
    /** The l= value; a number when present. */
    maxBodyLength?: number | string;
    skip?: boolean;
  }

  /** A body hasher; after the verifier's finalChunk(), `hash` is its base64 digest. */
  export interface BodyHashState {
    hash?: string;
    bodyHashedBytes?: number;
    canonicalizedLength?: number;
  }

  export interface RawDkimResult {
    signingDomain?: string;
    selector?: string;
    algo?: string;
    status: { result: string; comment?: string; header?: Record<string, string | false>; policy?: Record<string, string> };
    canonBodyLength?: number;
    canonBodyLengthTotal?: number;
    modulusLength?: number;
  }

  export class DkimVerifier extends Writable {
    constructor(options: { resolver?: unknown; minBitLength?: number; curTime?: Date; sender?: string });
    signatureHeaders: SignatureHeader[];
    bodyHashes: Map<string, BodyHashState>;
    curTime: Date;
    finalChunk(): Promise<void>;
    sealBodyHashKey?: string;
    results: RawDkimResult[];
    headerFrom: string[];
    headers: ParsedHeaders | false;
    arc: unknown;
    messageHeaders(headers: ParsedHeaders): Promise<void>;
  }
}

declare module 'mailauth/lib/dkim/message-parser.js' {
  import { Writable } from 'node:stream';
  import type { ParsedHeaders } from 'mailauth/lib/dkim/dkim-verifier.js';

  /** Splits a message stream into the parsed header block and body chunks. */
  export class MessageParser extends Writable {
    constructor();
    messageHeaders(headers: ParsedHeaders): Promise<void>;
    nextChunk(chunk: Buffer): Promise<void>;
    finalChunk(): Promise<void>;
  }
}

declare module 'mailauth/lib/dkim/body/index.js' {
  export interface BodyHasher {
    update(chunk: Buffer | null, final?: boolean): void;
    digest(encoding: 'base64'): string;
  }
  export function dkimBody(canonicalization: string, hashAlgo: string, maxBodyLength: number | false): BodyHasher;
}

declare module 'mailauth/lib/dkim/header/index.js' {
  import type { ParsedHeaders } from 'mailauth/lib/dkim/dkim-verifier.js';
  export function generateCanonicalizedHeader(
    type: 'DKIM',
    signingHeaderLines: { keys: string; headers: ParsedHeaders['parsed'] },
    options:
      | { canonicalization: string; algorithm: string; signingDomain: string; selector: string; bodyHash: string; signTime?: Date }
      | { canonicalization: string; signatureHeaderLine: string; instance: false },
  ): { canonicalizedHeader: Buffer; dkimHeaderOpts: Record<string, string | number> };
}

declare module 'mailauth/lib/tools.js' {
  export function formatSignatureHeaderLine(type: 'DKIM', values: Record<string, string | number>, folded: boolean): string;
}

declare module 'mailauth/lib/tools.js' {
  import type { ParsedHeaders } from 'mailauth/lib/dkim/dkim-verifier.js';
  export function parseDkimHeaders(line: string | Buffer): { parsed?: Record<string, { value: string | number } | undefined> };
  export function getSigningHeaderLines(parsed: ParsedHeaders['parsed'], fieldNames: string | number | undefined, verify: true): { keys: string; headers: ParsedHeaders['parsed'] };
}
