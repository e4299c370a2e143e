// Loading and validating the YAML configuration into an immutable snapshot.

import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigSchema, type Config, type ListenerConfig } from './schema.js';
import { embeddedDefault } from './embedded-default.js';
import { resolveChannels, type Channel } from './channels-schema.js';
import { checkListProblems } from '../policy/registry.js';

export class ConfigError extends Error {
  constructor(public readonly source: string, public readonly problems: string[]) {
    super(`${source}: invalid configuration\n` + problems.map((p) => `  - ${p}`).join('\n'));
  }
}

/** A listener with every optional setting resolved. */
export interface Listener extends ListenerConfig {
  requireAuth: boolean;
  pregreetWaitMs: number;
  implicitTls: boolean;
}

/** The validated, resolved configuration. Frozen: reload swaps a whole new snapshot. */
export interface Snapshot extends Omit<Config, 'listeners' | 'channels'> {
  hostname: string;
  dataDir: string;
  listeners: Listener[];
  /** Q3: every channel, built-ins (local, smtp) included, defaults filled in. */
  channels: Record<string, Channel>;
  directoryPath: string;
  /** Where it came from, for logs: a file path or "embedded default". */
  source: string;
}

/** Validates a plain object (already parsed from YAML) into a snapshot. */
export function validateConfig(raw: unknown, source: string, baseDir: string): Snapshot {
  const result = ConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.flatMap((i) =>
      // Name the unknown key itself ("smtp.bogus"), not only the object holding it.
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => `${[...i.path, k].join('.')}: unknown key`)
        : [`${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`],
    );
    throw new ConfigError(source, problems);
  }
  // Every list of check names is checked against the registry (policy/registry.ts).
  const unknown = checkListProblems('policy.warn', result.data.policy.warn, { warn: true });
  if (unknown.length) throw new ConfigError(source, unknown);
  return resolveSnapshot(result.data, source, baseDir);
}

function resolveSnapshot(cfg: Config, source: string, baseDir: string): Snapshot {
  const dataDir = resolve(baseDir, cfg.dataDir);
  const listeners: Listener[] = cfg.listeners.map((l) => ({
    ...l,
    requireAuth: l.requireAuth ?? l.kind !== 'mx',
    pregreetWaitMs: l.pregreetWaitMs ?? (l.kind === 'mx' ? 300 : 0),
    implicitTls: l.kind === 'submissions',
  }));
  const snap: Snapshot = {
    ...cfg,
    hostname: cfg.hostname ?? osHostname(),
    dataDir,
    listeners,
    channels: resolveChannels(cfg.channels, cfg.delivery),
    directoryPath: cfg.directory.path ? resolve(baseDir, cfg.directory.path) : resolve(dataDir, 'directory.sqlite'),
    tls: {
      cert: cfg.tls.cert ? resolve(baseDir, cfg.tls.cert) : undefined,
      key: cfg.tls.key ? resolve(baseDir, cfg.tls.key) : undefined,
    },
    source,
  };
  return deepFreeze(snap);
}

/** Reads and validates a YAML file; YAML syntax errors name the line. */
export function loadConfigFile(path: string): Snapshot {
  return loadConfigWithInput(path).snap;
}

/** The snapshot and the configuration as written (the parsed file, or the embedded default): `config check --all` shows both. */
export function loadConfigWithInput(path: string | undefined, cwd = process.cwd()): { snap: Snapshot; input: unknown; fromFile: boolean } {
  if (!path) {
    const input = embeddedDefault();
    return { snap: validateConfig(input, 'embedded default', cwd), input, fromFile: false };
  }
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigError(abs, [`cannot read file: ${(e as Error).message}`]);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) throw new ConfigError(abs, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  const input = doc.toJS();
  return { snap: validateConfig(input, abs, dirname(abs)), input, fromFile: true };
}

/** The config file if given, else the embedded default (high ports, ./var, demo domain). */
export function loadConfig(path: string | undefined, cwd = process.cwd()): Snapshot {
  if (path) return loadConfigFile(path);
  return validateConfig(embeddedDefault(), 'embedded default', cwd);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
