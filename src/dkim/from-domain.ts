// The domain a DKIM signature is made for: the domain of the RFC 5322 From address
// (DMARC aligns on it). Quoted display names and comments are skipped, so a name
// such as "a@b, c" <x@example.org> gives example.org.

/** The domain of the first address of a From field value, lower case; undefined when there is none. */
export function fromDomain(value: string): string | undefined {
  let v = value.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  let prev;
  do {
    prev = v;
    v = v.replace(/\((?:[^()\\]|\\.)*\)/g, ' ');
  } while (v !== prev);
  const first = v.split(',')[0];
  const angle = /<([^<>]*)>/.exec(first);
  const address = (angle ? angle[1] : first.replace(/^[^:<]*:/, '')).trim(); // a group's name ("team: a@b;") is not an address
  const at = address.lastIndexOf('@');
  if (at < 1) return undefined;
  const domain = address.slice(at + 1).replace(/;$/, '').trim().toLowerCase().replace(/\.$/, '');
  return /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/.test(domain) && domain.includes('.') ? domain : undefined;
}
