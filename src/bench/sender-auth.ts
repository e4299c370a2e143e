// `npm run bench -- --sender-auth on|off`: issue 11's comparison. Both runs play a
// client outside the LAN sending DKIM-signed mail, with a DNS server on loopback that
// the benchmark starts in its own process (H1 finds the sender domain there); "on"
// checks SPF, DKIM, DMARC and two DNSBL zones, "off" runs the same without them. The bench
// sender's domain publishes SPF (the client address passes), a DKIM key and
// DMARC p=reject; every message carries one DKIM-Signature made once at start over
// the fields all messages share (From, To, Date, MIME header fields) and the common
// body, so each message costs the server a real RSA-2048 verification and the load
// generator nothing. H1 finds the domain's MX there too. Two DNSBL zones: one lists the client with weight 1 (no
// threshold: the score and its headers are written), one does not list it. The
// client (127.0.0.1) is taken out of the LAN, and the connection rate limit is off
// (one client opening many connections is what the benchmark does).

import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';
import { startDns, type TestDns } from './loopback-dns.js';
import { dnsblQueryName } from '../dnsbl/lookup.js';
import { SENDER } from './load.js';
import type { MessageFactory } from './message.js';

export const SENDER_DOMAIN = SENDER.slice(SENDER.indexOf('@') + 1);
const SELECTOR = 'bench';
/** Fields of the bench messages that are the same in every message (the ones signed). */
const SIGNED = ['From', 'To', 'Date', 'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding'];
export const DNSBL_ZONES = ['zen.bench-dnsbl.test*1', 'bl.bench-dnsbl.test*1'];

export interface SenderAuthBench {
  dns: TestDns;
  /** The DKIM-Signature field (CRLF-terminated) every message starts with. */
  signature: string;
  /** Config YAML lines for the server (top-level keys). */
  yaml: string[];
  stop(): Promise<void>;
}

export async function startSenderAuthBench(factory: MessageFactory, clientIp: string, checks: boolean): Promise<SenderAuthBench> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const dns = await startDns({
    records: {
      // MX for H1 (sender domain resolvable, on by default) and SPF.
      [SENDER_DOMAIN]: [
        { type: 'TXT', data: `v=spf1 ip4:${clientIp} -all` },
        { type: 'MX', data: { preference: 10, exchange: `mx.${SENDER_DOMAIN}` } },
      ],
      [`_dmarc.${SENDER_DOMAIN}`]: [{ type: 'TXT', data: 'v=DMARC1; p=reject' }],
      [`${SELECTOR}._domainkey.${SENDER_DOMAIN}`]: [{ type: 'TXT', data: `v=DKIM1; k=rsa; p=${p}`.match(/.{1,255}/g)! }],
      [dnsblQueryName(clientIp, 'zen.bench-dnsbl.test')]: [{ type: 'A', data: '127.0.0.2', ttl: 3600 }],
    },
  });
  const [head, body] = factory.wire(0);
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const sig = { signingDomain: SENDER_DOMAIN, selector: SELECTOR, privateKey: pem };
  // Only the fields every message shares are given to the signer (mailauth signs the fields
  // present), and the body as stored (dot-unstuffed, without the end marker).
  const shared = head.toString('latin1').split(/(?<=\r\n)/).filter((l) => l === '\r\n' || SIGNED.some((f) => l.toLowerCase().startsWith(`${f.toLowerCase()}:`)));
  const unstuffed = shared.join('') + body.toString('latin1').replace(/\r\n\.\r\n$/, '\r\n').replace(/(^|\r\n)\.\./g, '$1.');
  const r = await dkimSign(unstuffed, { canonicalization: 'relaxed/relaxed', signatureData: [sig] } as unknown as Parameters<typeof dkimSign>[1]);
  if (r.errors?.length || !r.signatures) {
    await dns.stop();
    throw new Error(`bench: cannot sign the message: ${JSON.stringify(r.errors)}`);
  }
  const yaml = [
    `relay:`,
    `  lanNetworks: ["192.0.2.0/24"]`,
    `dns:`,
    `  servers: ["${dns.server}"]`,
    `  timeoutMs: 2000`,
    `  tries: 1`,
    `senderAuth:`,
    ...(checks
      ? [`  spf: { mode: mark, helo: true }`, `  dkim: { verify: true }`, `  dmarc: { enabled: true }`, `dnsbl:`, `  zones: ${JSON.stringify(DNSBL_ZONES)}`]
      : [`  spf: { mode: "off" }`, `  dkim: { verify: false }`, `  dmarc: { enabled: false }`]),
  ];
  return { dns, signature: r.signatures, yaml, stop: () => dns.stop() };
}
