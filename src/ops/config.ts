// The running configuration (with secrets redacted) and reload. Reload reads the
// configuration file again, as SIGHUP does: new sessions get the new snapshot, no
// connection is dropped; listener addresses and ports need a restart.

import { z } from 'zod';
import { defineOp } from './op.js';
import { OpError } from './errors.js';
import { ConfigError } from '../config/load.js';

/** Keys whose string values are secrets. File paths (passwordFile, tls.key) are not secrets and stay. */
const SECRET_KEY = /(password|secret|token|apikey|credential)s?$/i;

/** A redis:// URL without its password (and without the user name when there is one). */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password && !u.username) return url;
    if (u.password) u.password = 'REDACTED';
    else u.username = 'REDACTED'; // redis://secret@host: the only credential is in the user part
    return u.toString();
  } catch {
    return 'REDACTED';
  }
}

/** A deep copy of the snapshot with every secret replaced by "REDACTED". */
export function redactConfig(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redactConfig(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  }
  if (typeof value === 'string' && SECRET_KEY.test(key)) return 'REDACTED';
  if (typeof value === 'string' && /^rediss?:\/\//.test(value)) return redactUrl(value);
  return value;
}

export const getConfig = defineOp({
  name: 'config.get',
  write: false,
  input: z.object({}).strict(),
  output: z.object({ source: z.string().describe('The file it came from, or "embedded default".'), config: z.record(z.string(), z.unknown()) }).strict(),
  run: (ctx) => {
    const snap = ctx.config();
    return { source: snap.source, config: redactConfig(snap) as Record<string, unknown> };
  },
});

export const reloadConfig = defineOp({
  name: 'config.reload',
  write: true,
  input: z.object({}).strict(),
  output: z.object({ source: z.string() }).strict(),
  run: (ctx) => {
    if (!ctx.reload) throw new OpError('unavailable', 'reload needs a running server');
    try {
      return { source: ctx.reload().source };
    } catch (e) {
      if (e instanceof ConfigError) throw new OpError('invalid', e.message, e.problems.map((p) => ({ path: '', message: p })));
      throw e;
    }
  },
});
