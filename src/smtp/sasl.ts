// SASL PLAIN (RFC 4616) and LOGIN decoding for AUTH (RFC 4954). The exchange
// itself runs in the session; this file only decodes what the client sent.

export type Credentials = { user: string; password: string; authzid?: string };

/** Strict base64 (RFC 4648) decode; undefined when the text is not base64. */
export function decodeBase64(s: string): Buffer | undefined {
  if (s === '=') return Buffer.alloc(0); // RFC 4954: "=" is an empty initial response
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

/** PLAIN message: [authzid] NUL authcid NUL passwd. */
export function parsePlain(b: Buffer): Credentials | undefined {
  const parts = b.toString('utf8').split('\0');
  if (parts.length !== 3 || parts[1] === '' || parts[2] === '') return undefined;
  return { authzid: parts[0] || undefined, user: parts[1], password: parts[2] };
}
