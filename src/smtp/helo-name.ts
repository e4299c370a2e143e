// The EHLO/HELO argument (RFC 5321 4.1.1.1: a domain or an address literal).
// RFC 5321 wants the domain in ASCII, and RFC 6531 3.7.1 says even an SMTPUTF8
// client MUST send only LDH labels or A-labels in EHLO (it cannot know yet
// whether the server speaks SMTPUTF8). A client that sends a U-label anyway
// (some MUAs send the machine's Unicode host name) is not refused: the name is
// converted to its A-label (punycode, node:url domainToASCII) and used in that
// form everywhere - the Received header, logs, the HELO blocklist (H3) - so
// trace fields stay ASCII as RFC 6531 3.7.3 requires for mail sent without
// SMTPUTF8. A name that does not convert is refused as bad syntax (501 5.5.4).

import { domainToASCII } from 'node:url';
import { isDomain, parseAddressLiteral } from '../core/address.js';

/** The name to record, in ASCII; undefined when the argument is not a valid domain or address literal. */
export function heloName(arg: string): string | undefined {
  if (arg === '' || /\s/.test(arg)) return undefined;
  if (arg.startsWith('[')) return typeof parseAddressLiteral(arg) === 'string' ? undefined : arg;
  if (isDomain(arg, false)) return arg;
  if (!isDomain(arg, true)) return undefined;
  const ascii = domainToASCII(arg);
  return ascii && isDomain(ascii, false) ? ascii : undefined;
}
