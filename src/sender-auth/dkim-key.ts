// A2 DKIM public keys (RFC 6376 3.6.1) parsed once and reused: parsing an RSA key
// from its DNS record is the largest single cost of verifying a signature (mailauth
// 4.13.3 parses it twice per message: to check it, then again from PEM inside
// crypto.verify). Keys are kept by the text of the TXT record they came from, so a
// key is reused exactly as long as DNS (and its cache, which honours the TTL) still
// gives the same record; a changed or removed record is never answered from here.
// The checks are mailauth's getPublicKey's: v=DKIM1 if present, base64 p=, k= that
// matches the key, RSA or Ed25519 (a bare 32-octet Ed25519 key, RFC 8463).

import { createPublicKey, type KeyObject } from 'node:crypto';
import { parseDkimHeaders } from 'mailauth/lib/tools.js';

/** What mailauth's verifier reports for an unusable record (its error codes). */
export type KeyError = 'EINVALIDVAL' | 'EINVALIDVER' | 'EINVALIDTYPE';

export type ParsedKey = { ok: true; key: KeyObject; type: 'rsa' | 'ed25519'; bits?: number } | { ok: false; code: KeyError };

export const MAX_KEYS = 1000;
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const keys = new Map<string, ParsedKey>();

function parse(rr: string): ParsedKey {
  const tags = parseDkimHeaders(`DNS: TXT;${rr}`).parsed;
  const p = tags?.p?.value;
  if (!p || typeof p !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(p)) return { ok: false, code: 'EINVALIDVAL' };
  if (tags?.v && String(tags.v.value).toLowerCase().trim() !== 'dkim1') return { ok: false, code: 'EINVALIDVER' };
  let der = Buffer.from(p, 'base64');
  if (der.length === 32) der = Buffer.concat([ED25519_SPKI_PREFIX, der]);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    return { ok: false, code: 'EINVALIDTYPE' };
  }
  const type = key.asymmetricKeyType;
  if ((type !== 'rsa' && type !== 'ed25519') || (tags?.k && String(tags.k.value).toLowerCase() !== type)) return { ok: false, code: 'EINVALIDTYPE' };
  return type === 'rsa' ? { ok: true, key, type, bits: key.asymmetricKeyDetails?.modulusLength } : { ok: true, key, type };
}

/** The key published in `rr` (a DKIM key record, white space removed), parsed at most once while kept. */
export function dkimKey(rr: string): ParsedKey {
  let k = keys.get(rr);
  if (k) {
    keys.delete(rr); // most recently used last: the oldest goes first when full
    keys.set(rr, k);
    return k;
  }
  k = parse(rr);
  if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value as string);
  keys.set(rr, k);
  return k;
}
