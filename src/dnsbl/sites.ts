// A6 DNSBL/DNSWL sites in Postfix's postscreen_dnsbl_sites syntax:
//   zone[=d.d.d.d][*weight]
// where each d of the reply filter is a number, or a pattern in brackets holding
// ";"-separated numbers and n..m ranges (zen.example=127.0.0.[2..11]*3,
// list.dnswl.example=127.0.[0..255].[1..3]*-5). The weight (default 1) may be
// negative: an allow-list zone lowers the score. Postfix takes integer weights;
// we also take decimals, since scores are shared with the eod marks.

export interface DnsblSite {
  /** The zone queried, lower case, no trailing dot. */
  zone: string;
  /** Per octet of the reply: the values that match; undefined = any reply counts. */
  filter?: Array<ReadonlySet<number> | 'any'>;
  weight: number;
  /** The site as configured (for logs). */
  text: string;
}

const ZONE = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function octetPattern(p: string): ReadonlySet<number> | string {
  const num = (s: string): number | undefined => (/^\d{1,3}$/.test(s) && Number(s) <= 255 ? Number(s) : undefined);
  if (!p.startsWith('[')) {
    const n = num(p);
    return n === undefined ? `"${p}" is not a number 0..255 or a [pattern]` : new Set([n]);
  }
  if (!p.endsWith(']')) return `"${p}" has no closing "]"`;
  const values = new Set<number>();
  for (const item of p.slice(1, -1).split(';')) {
    const range = /^(\d+)\.\.(\d+)$/.exec(item);
    if (range) {
      const [lo, hi] = [num(range[1]), num(range[2])];
      if (lo === undefined || hi === undefined || lo > hi) return `"${item}" is not a range n..m within 0..255`;
      for (let v = lo; v <= hi; v++) values.add(v);
    } else {
      const n = num(item);
      if (n === undefined) return `"${item}" is not a number 0..255 or a range n..m`;
      values.add(n);
    }
  }
  return values;
}

/** Parses one site; a string is the problem, naming what is wrong. */
export function parseDnsblSite(text: string): DnsblSite | string {
  const s = text.trim();
  let rest = s;
  let weight = 1;
  const star = rest.lastIndexOf('*');
  if (star >= 0) {
    const w = rest.slice(star + 1);
    if (!/^-?\d+(\.\d+)?$/.test(w)) return `weight "${w}" is not a number`;
    weight = Number(w);
    rest = rest.slice(0, star);
  }
  const eq = rest.indexOf('=');
  const zone = (eq >= 0 ? rest.slice(0, eq) : rest).toLowerCase().replace(/\.$/, '');
  if (!ZONE.test(zone)) return `"${zone}" is not a DNS zone name`;
  const site: DnsblSite = { zone, weight, text: s };
  if (eq >= 0) {
    const parts = rest.slice(eq + 1).split(/\.(?![^[]*\])/); // dots outside brackets
    if (parts.length !== 4) return `reply filter "${rest.slice(eq + 1)}" must have four parts d.d.d.d`;
    const filter: DnsblSite['filter'] = [];
    for (const p of parts) {
      const set = octetPattern(p);
      if (typeof set === 'string') return `reply filter: ${set}`;
      filter.push(set.size === 256 ? 'any' : set);
    }
    site.filter = filter;
  }
  return site;
}

/** True when an A reply of the zone counts as a listing for this site. */
export function replyMatches(site: DnsblSite, reply: string): boolean {
  const octets = reply.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return false;
  if (site.filter) return site.filter.every((f, i) => f === 'any' || f.has(octets[i]));
  // Without a filter: RFC 5782 replies are in 127.0.0.0/8; 127.255.255.0/24 are the
  // lists' error codes (e.g. "query refused"), and other replies come from a resolver
  // that invents answers. None of them is a listing.
  return octets[0] === 127 && !(octets[1] === 255 && octets[2] === 255);
}

/** True when an unfiltered reply looks like an error code or an invented answer (worth a log line). */
export function isErrorReply(reply: string): boolean {
  return !/^127\./.test(reply) || /^127\.255\.255\./.test(reply);
}
