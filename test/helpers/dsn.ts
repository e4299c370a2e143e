// Parses a delivery status notification with an independent MIME parser
// (mailsplit + libmime), so tests check what a mail client would see: the
// multipart/report structure (RFC 6522), the message/delivery-status fields
// (RFC 3464: per-message group, then one group per recipient) and the returned
// message or header section.

import { Splitter } from '@zone-eu/mailsplit';
import libmime from 'libmime';

interface Node {
  contentType: string | false;
  encoding: string | false;
  multipart: string | false;
  parentNode: Node | false;
  root: boolean;
  headers: { get(key: string): string[]; getFirst(key: string): string; build(): Buffer };
}

export interface Part {
  type: string;
  params: Record<string, string>;
  encoding: string;
  description: string;
  /** Raw (undecoded) body octets (a message/rfc822 part is not parsed further). */
  body: Buffer;
}

export interface ParsedDsn {
  /** Top-level header fields (first occurrence, unfolded, lower-case names). */
  header: Record<string, string>;
  type: string;
  params: Record<string, string>;
  parts: Part[];
  human: string;
  perMessage: Record<string, string>;
  perRecipient: Array<Record<string, string>>;
}

function unfold(v: string): string {
  return v.replace(/\r?\n[ \t]+/g, ' ').trim();
}

/** "Name: value" groups separated by empty lines; a repeated field in one group is an error. */
export function fieldGroups(text: string): Array<Record<string, string>> {
  const groups: Array<Record<string, string>> = [];
  for (const block of text.replace(/\r\n/g, '\n').split(/\n\s*\n/)) {
    if (!block.trim()) continue;
    const g: Record<string, string> = {};
    for (const line of block.replace(/\n[ \t]+/g, ' ').split('\n')) {
      if (!line.trim()) continue;
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (!m) throw new Error(`not a field line: ${JSON.stringify(line)}`);
      const k = m[1].toLowerCase();
      if (k in g) throw new Error(`field ${m[1]} twice in one group`);
      g[k] = m[2].trim();
    }
    groups.push(g);
  }
  return groups;
}

/** Every node of the message with its raw body, in order (mailsplit). */
function split(msg: Buffer): Promise<Array<{ node: Node; body: Buffer }>> {
  return new Promise((resolve, reject) => {
    const out: Array<{ node: Node; chunks: Buffer[] }> = [];
    const s = new Splitter({ ignoreEmbedded: true });
    s.on('data', (chunk) => {
      const d = chunk as unknown as { type: string; value?: Buffer; node?: Node } & Node;
      if (d.type === 'node') out.push({ node: d, chunks: [] });
      else if (d.type === 'body') out.find((o) => o.node === d.node)?.chunks.push(d.value!);
    });
    const e = s as unknown as NodeJS.EventEmitter;
    e.on('end', () => resolve(out.map((o) => ({ node: o.node, body: Buffer.concat(o.chunks) }))));
    e.on('error', reject);
    s.end(msg);
  });
}

function header(node: Node, name: string): string {
  const line = node.headers.getFirst(name);
  return line ? unfold(line) : '';
}

export async function parseDsn(msg: Buffer | string): Promise<ParsedDsn> {
  const buf = typeof msg === 'string' ? Buffer.from(msg, 'latin1') : msg;
  const all = await split(buf);
  const root = all[0].node;
  const ct = libmime.parseHeaderValue(header(root, 'content-type'));
  const children = all.filter((x) => x.node.parentNode === root);
  const parts: Part[] = children.map((x) => {
    const p = libmime.parseHeaderValue(header(x.node, 'content-type'));
    const type = p.value.toLowerCase();
    return {
      type,
      params: p.params,
      encoding: header(x.node, 'content-transfer-encoding').toLowerCase() || '7bit',
      description: header(x.node, 'content-description'),
      body: x.body,
    };
  });
  const head: Record<string, string> = {};
  const raw = root.headers.build().toString('latin1');
  for (const g of fieldGroups(raw.replace(/\r\n$/, ''))) for (const [k, v] of Object.entries(g)) head[k] ??= v;
  const status = parts.find((p) => p.type.endsWith('delivery-status'));
  const groups = status ? fieldGroups(status.body.toString('utf8')) : [];
  return {
    header: head,
    type: ct.value.toLowerCase(),
    params: ct.params,
    parts,
    human: parts[0]?.body.toString('utf8') ?? '',
    perMessage: groups[0] ?? {},
    perRecipient: groups.slice(1),
  };
}

/** The DSN inside a Maildir file (Return-Path and Delivered-To added by local delivery come first). */
export function dsnOfMaildirFile(file: string): { returnPath: string; dsn: Buffer } {
  const m = /^Return-Path: <([^>]*)>\r\nDelivered-To: [^\r\n]+\r\n/.exec(file);
  if (!m) throw new Error(`not a delivered file: ${file.slice(0, 200)}`);
  return { returnPath: m[1], dsn: Buffer.from(file.slice(m[0].length), 'latin1') };
}
