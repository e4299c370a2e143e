// Which local domain a recipient belongs to, if any. One answer for the relay
// check (R1), the local recipient check (R7) and the spool: a bare <postmaster>
// belongs to the host name; a domain literal (R8) belongs to
// relay.domainLiterals.domain when literals are on and the address is our own;
// any other domain only when the directory lists it. (Bare <postmaster> belongs to
// postmasterDomain, by default the host name.) Nothing else is local:
// "%", "!" and quoted "@" in the local part never change the domain.

import { formatAddress, type Address } from '../../core/address.js';
import type { Snapshot } from '../../config/load.js';
import type { Directory } from '../../directory/store.js';
import { isOwnAddress } from '../networks.js';

/** The domain that receives domain literals (R8): relay.domainLiterals.domain, else the host name. */
export function literalDomain(config: Pick<Snapshot, 'relay' | 'hostname'>): string {
  return (config.relay.domainLiterals.domain ?? config.hostname).toLowerCase();
}

/** R8: is this literal recipient ours (literals enabled and the address is one of ours)? */
export function isOwnLiteral(a: Address, config: Pick<Snapshot, 'relay' | 'listeners'>): boolean {
  if (!a.literal || !config.relay.domainLiterals.enabled) return false;
  if (a.literal.kind === 'general') return false;
  return isOwnAddress(a.literal.value, config);
}

/** The domain whose postmaster receives mail to the bare <postmaster> (RFC 5321 4.5.1). */
export function postmasterDomain(config: Pick<Snapshot, 'postmasterDomain' | 'hostname'>): string {
  return (config.postmasterDomain ?? config.hostname).toLowerCase();
}

/** The local domain of `a`, or undefined when `a` is not local (a relay recipient). */
export function localDomainOf(a: Address, config: Snapshot, directory: Pick<Directory, 'isLocalDomain'>): string | undefined {
  if (a.domain === '') return postmasterDomain(config);
  if (a.literal) return isOwnLiteral(a, config) ? literalDomain(config) : undefined;
  return directory.isLocalDomain(a.domain) ? a.domain : undefined;
}

/** The address the spool stores: bare postmaster and domain literals become local@domain. */
export function spoolAddressDomain(a: Address, config: Snapshot): string | undefined {
  if (a.domain === '') return postmasterDomain(config);
  if (a.literal && config.relay.domainLiterals.enabled) return literalDomain(config);
  return undefined;
}

/** The recipient address as the spool and delivery see it ("postmaster@host", "user@literal-domain", else as given). */
export function spoolAddress(a: Address, config: Snapshot): string {
  const d = spoolAddressDomain(a, config);
  return formatAddress(d === undefined ? a : { ...a, domain: d, literal: undefined });
}
