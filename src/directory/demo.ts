// First-start convenience: when the directory is empty, create the configured demo
// domain and mailbox with a random password, so `npm start` gives a working server.

import { generatePassword } from './password.js';
import type { Directory } from './store.js';

/** Creates the demo domain and mailbox if the directory is empty; returns the new credentials, else undefined. */
export async function ensureDemo(
  dir: Directory,
  demo: { domain: string; mailbox: string },
): Promise<{ address: string; password: string } | undefined> {
  if (!dir.isEmpty()) return undefined;
  const domain = demo.domain.toLowerCase();
  const address = `${demo.mailbox}@${domain}`.toLowerCase();
  const password = generatePassword();
  dir.addDomain(domain);
  await dir.addMailbox(address, password);
  // RFC 5321 4.5.1: every domain needs a postmaster.
  if (address !== `postmaster@${domain}`) dir.addAlias(`postmaster@${domain}`, [address]);
  return { address, password };
}
