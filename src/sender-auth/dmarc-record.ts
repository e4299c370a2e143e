// A3 DMARC policy records (RFC 7489 6.3, with DMARCbis' t= testing flag), parsed
// strictly: v=DMARC1 must come first; a missing or invalid p= is "none" (RFC 7489
// 6.6.3 applies it when rua= is present; DMARCbis always), an invalid sp= falls back
// to p=, an invalid pct= or adkim/aspf= to its default. Unknown tags are ignored.

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

export interface DmarcRecord {
  p: DmarcPolicy;
  /** Policy for subdomains; undefined = p. */
  sp?: DmarcPolicy;
  adkim: 'r' | 's';
  aspf: 'r' | 's';
  /** RFC 7489 sampling percentage (DMARCbis drops it for t=). */
  pct: number;
  /** DMARCbis t=y: the domain is testing; apply one step less. */
  testing: boolean;
  /** The record as published. */
  text: string;
}

const POLICIES: readonly string[] = ['none', 'quarantine', 'reject'];

/** True when the TXT string claims to be a DMARC record (RFC 7489 6.6.3 step 3 filter). */
export function isDmarcRecord(txt: string): boolean {
  return /^v\s*=\s*DMARC1\s*(;|$)/i.test(txt.trim());
}

/** The record's tags; undefined when it is not a DMARC record. */
export function parseDmarcRecord(txt: string): DmarcRecord | undefined {
  if (!isDmarcRecord(txt)) return undefined;
  const tags = new Map<string, string>();
  for (const part of txt.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    if (!tags.has(key)) tags.set(key, part.slice(eq + 1).trim());
  }
  const policy = (v: string | undefined): DmarcPolicy | undefined => {
    const p = v?.toLowerCase();
    return p && POLICIES.includes(p) ? (p as DmarcPolicy) : undefined;
  };
  const mode = (v: string | undefined): 'r' | 's' => (v?.toLowerCase() === 's' ? 's' : 'r');
  const pctText = tags.get('pct');
  const pct = pctText !== undefined && /^\d{1,3}$/.test(pctText) && Number(pctText) <= 100 ? Number(pctText) : 100;
  const rec: DmarcRecord = {
    p: policy(tags.get('p')) ?? 'none',
    adkim: mode(tags.get('adkim')),
    aspf: mode(tags.get('aspf')),
    pct,
    testing: tags.get('t')?.toLowerCase() === 'y',
    text: txt.trim(),
  };
  const sp = policy(tags.get('sp'));
  if (sp) rec.sp = sp;
  return rec;
}

/** One step less strict: reject -> quarantine -> none (RFC 7489 6.6.4, DMARCbis t=y). */
export function weaker(p: DmarcPolicy): DmarcPolicy {
  return p === 'reject' ? 'quarantine' : 'none';
}
