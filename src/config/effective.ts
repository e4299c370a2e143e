// `rampart config check --all`: every configuration key (in schema order, the same
// list docs/CONFIG.md is generated from) with its effective value and where that
// value came from: the file, the embedded default (no -c), or the built-in default
// (the key is absent, so the schema's default or the value derived from others
// applies). Secrets are redacted as in GET /api/v1/config.

import { configKeys } from './reference.js';
import type { Snapshot } from './load.js';
import { redactConfig } from '../ops/config.js';

export type ValueSource = 'file' | 'embedded default' | 'default';

export interface EffectiveValue {
  /** Concrete path: "listeners[0].port", "channels.smtp.relayHost". */
  key: string;
  /** undefined: not set, and no default. */
  value: unknown;
  source: ValueSource;
}

type Tree = Record<string, unknown>;

function isObject(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Path segments of a key doc: "listeners[].port" -> ["listeners", "[]", "port"]; "<name>" stays. */
function segments(path: string): string[] {
  return path.split('.').flatMap((s) => (s.endsWith('[]') ? [s.slice(0, -2), '[]'] : [s]));
}

interface Found {
  key: string;
  value: unknown;
  raw: unknown;
}

/** Every concrete place a key doc's path names in `value` (and the same place in `raw`, the input as written). */
function expand(segs: string[], value: unknown, raw: unknown, key: string): Found[] {
  if (!segs.length) return [{ key, value, raw }];
  const [s, ...rest] = segs;
  if (s === '[]') {
    const list = Array.isArray(value) ? value : [];
    return list.flatMap((v, i) => expand(rest, v, Array.isArray(raw) ? raw[i] : undefined, `${key}[${i}]`));
  }
  if (s === '<name>') {
    const map = isObject(value) ? value : {};
    return Object.keys(map).flatMap((k) => expand(rest, map[k], isObject(raw) ? raw[k] : undefined, `${key}.${k}`));
  }
  return expand(rest, isObject(value) ? value[s] : undefined, isObject(raw) ? raw[s] : undefined, key ? `${key}.${s}` : s);
}

/** Leaf keys only: a section ("limits") is shown through its keys. */
function leafPaths(): string[] {
  const paths = configKeys().map((k) => k.path);
  const all = new Set(paths);
  const isParent = (p: string) => paths.some((q) => q !== p && (q.startsWith(`${p}.`) || q.startsWith(`${p}[]`)));
  return [...all].filter((p) => !isParent(p));
}

/**
 * Every key's effective value. `raw` is the configuration as written (the parsed
 * file, or the embedded default object); `fromFile` says which of the two it is.
 */
export function effectiveValues(snap: Snapshot, raw: unknown, fromFile: boolean): EffectiveValue[] {
  const shown = redactConfig(snap);
  const out: EffectiveValue[] = [];
  const push = (f: Found) => out.push({ key: f.key, value: f.value, source: f.raw !== undefined ? (fromFile ? 'file' : 'embedded default') : 'default' });
  const leaves = leafPaths().map(segments);
  const done = new Set<string>();
  for (const segs of leaves) {
    // Keys of a list item or a map entry are shown item by item: listeners[0].*, then listeners[1].*.
    const at = segs.findIndex((s) => s === '[]' || s === '<name>');
    if (at < 0) {
      expand(segs, shown, raw, '').forEach(push);
      continue;
    }
    const prefix = segs.slice(0, at + 1).join('.');
    if (done.has(prefix)) continue;
    done.add(prefix);
    const group = leaves.filter((l) => l.slice(0, at + 1).join('.') === prefix).map((l) => l.slice(at + 1));
    for (const c of expand(segs.slice(0, at), shown, raw, '')) {
      const items: Array<[string, unknown, unknown]> =
        segs[at] === '[]'
          ? (Array.isArray(c.value) ? c.value : []).map((v, i) => [`${c.key}[${i}]`, v, Array.isArray(c.raw) ? c.raw[i] : undefined])
          : Object.entries(isObject(c.value) ? c.value : {}).map(([k, v]) => [`${c.key}.${k}`, v, isObject(c.raw) ? c.raw[k] : undefined]);
      for (const [key, value, r] of items) for (const rest of group) expand(rest, value, r, key).forEach(push);
    }
  }
  return out;
}

/** "key = value  (source)", one per line; an unset key says so. */
export function effectiveText(values: EffectiveValue[]): string {
  const width = Math.min(48, Math.max(...values.map((v) => v.key.length)));
  return values.map((v) => `${v.key.padEnd(width)} = ${v.value === undefined ? '(not set)' : JSON.stringify(v.value)}  (${v.source})`).join('\n') + '\n';
}
