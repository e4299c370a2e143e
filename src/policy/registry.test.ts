// The check registry (policy/registry.ts): every check and guard has a config
// key that exists in the schema, a SPEC feature, and at least one test naming
// it; the runner's checks are registered in the same order; every decision name
// written in src/ is registered; lists of check names in config are validated.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allChecks, checkListProblems, checkListText, findCheck, registerCheck, STAGE_ORDER } from './registry.js';
import { builtinChecks } from './checks.js';
import { ConfigSchema } from '../config/schema.js';
import { validateConfig, ConfigError } from '../config/load.js';
import { embeddedDefault } from '../config/embedded-default.js';
import type { Stage } from './types.js';
import { filesUnder } from '../../test/helpers/files.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

interface ZodLike {
  _zod: { def: { type: string; innerType?: ZodLike; element?: ZodLike; valueType?: ZodLike; shape?: Record<string, ZodLike>; in?: ZodLike } };
}

/** The schema at a config key path ("listeners[].pregreetWaitMs", "channels{}.blockLimit" for a record's values), or undefined when there is no such key. */
function schemaAt(path: string): ZodLike | undefined {
  let s: ZodLike | undefined = ConfigSchema as unknown as ZodLike;
  const unwrap = (x: ZodLike): ZodLike => {
    let cur = x;
    for (;;) {
      const d = cur._zod.def;
      if (d.innerType) cur = d.innerType;
      else if (d.type === 'pipe' && d.in) cur = d.in;
      else return cur;
    }
  };
  for (const seg of path.split('.')) {
    const name = seg.replace(/(\[\]|\{\})$/, '');
    s = unwrap(s!);
    const shape = s._zod.def.shape;
    s = shape?.[name];
    if (!s) return undefined;
    if (seg.endsWith('[]')) {
      s = unwrap(s);
      s = s._zod.def.element;
      if (!s) return undefined;
    }
    if (seg.endsWith('{}')) {
      s = unwrap(s);
      s = s._zod.def.valueType;
      if (!s) return undefined;
    }
  }
  return s;
}

test('the key resolver finds real keys and misses made-up ones (the registry test can fail)', () => {
  assert.ok(schemaAt('limits.maxConnections'));
  assert.ok(schemaAt('listeners[].pregreetWaitMs'));
  assert.ok(schemaAt('channels{}.alternateChannel'));
  assert.equal(schemaAt('channels{}.bogus'), undefined);
  assert.equal(schemaAt('limits.bogus'), undefined);
  assert.equal(schemaAt('listeners[].bogus'), undefined);
});

/** Feature IDs of a catalogue ("- H2 ..." lines). */
function featureIds(text: string): Set<string> {
  return new Set([...text.matchAll(/^- ([A-Z]\d+b?) /gm)].map((m) => m[1]));
}

test('the feature list beyond the seeds (docs/features.md) names A1-A9 and nothing the shared catalogue has', () => {
  const ours = featureIds(readFileSync(join(ROOT, 'docs', 'features.md'), 'utf8'));
  assert.deepEqual([...ours], ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9']);
  const specPath = resolve(ROOT, '../shared/SPEC.md');
  if (existsSync(specPath)) for (const id of featureIds(readFileSync(specPath, 'utf8'))) assert.ok(!ours.has(id), `${id} is in SPEC.md already`);
});

test('registry: every check has a config key that exists, a feature in a catalogue and a test that names it', () => {
  const specPath = resolve(ROOT, '../shared/SPEC.md');
  const spec = existsSync(specPath) ? readFileSync(specPath, 'utf8') : undefined;
  // Rampart's own features beyond the seeds (A1-A9): docs/features.md, in the catalogue's form.
  const ours = featureIds(readFileSync(join(ROOT, 'docs', 'features.md'), 'utf8'));
  const checks = allChecks();
  // A file that names most checks (the --checks listing, the simulator's catalogue) says nothing
  // about any one of them: only files naming a few checks count as a test of those.
  const tests = [...filesUnder(join(ROOT, 'src'), (p) => p.endsWith('.test.ts')), ...filesUnder(join(ROOT, 'test'), (p) => p.endsWith('.ts'))]
    .filter((p) => !p.endsWith('registry.test.ts'))
    .map((p) => readFileSync(p, 'utf8'))
    .filter((t) => checks.filter((c) => t.includes(c.name)).length <= checks.length / 4);
  const problems: string[] = [];
  for (const c of checks) {
    if (c.config.length === 0) problems.push(`${c.name}: no config key`);
    for (const key of c.config) if (!schemaAt(key)) problems.push(`${c.name}: config key ${key} is not in the schema`);
    if (/^A\d+$/.test(c.feature)) {
      if (!ours.has(c.feature)) problems.push(`${c.name}: feature ${c.feature} is not in docs/features.md`);
    } else if (!/^[PSRHQC]\d+b?$/.test(c.feature)) problems.push(`${c.name}: feature "${c.feature}" is not a SPEC ID or a tag of docs/features.md`);
    else if (spec && !new RegExp(`^- ${c.feature} `, 'm').test(spec)) problems.push(`${c.name}: feature ${c.feature} is not in SPEC.md`);
    if (!c.name.startsWith(`${c.stage}.`)) problems.push(`${c.name}: not named after its stage ${c.stage}`);
    if (!tests.some((t) => t.includes(c.name))) problems.push(`${c.name}: no test file names it`);
  }
  assert.deepEqual(problems, []);
});

test('registry: the runner\'s checks are registered, as checks, in the runner\'s order', () => {
  for (const stage of Object.keys(builtinChecks) as Stage[]) {
    const inRunner = builtinChecks[stage].map((c) => c.name);
    const registered = allChecks().filter((c) => c.stage === stage && inRunner.includes(c.name)).map((c) => c.name);
    assert.deepEqual(registered, inRunner, `stage ${stage}`);
    for (const c of builtinChecks[stage]) {
      assert.equal(findCheck(c.name)?.kind, 'check', c.name);
      assert.equal(findCheck(c.name)?.feature, c.feature, `${c.name} feature`);
    }
  }
});

test('registry: every decision name written in src/ is registered', () => {
  const name = /'((?:connect|helo|auth|mail|rcpt|data|eod|session)\.[a-zA-Z]+)'/g;
  const unknown = new Set<string>();
  const skip = (f: string) => f.endsWith('.test.ts') || f.includes('test-') || f.endsWith('registry.ts') || f.includes('/config/'); // the registry and config name keys, not decisions
  for (const p of filesUnder(join(ROOT, 'src'), (f) => f.endsWith('.ts') && !skip(f))) {
    for (const m of readFileSync(p, 'utf8').matchAll(name)) if (!findCheck(m[1])) unknown.add(`${m[1]} (${p.slice(ROOT.length + 1)})`);
  }
  assert.deepEqual([...unknown], []);
});

test('policy.warn: an unknown name is a config error naming the key and the name', () => {
  const raw = { ...embeddedDefault(), policy: { warn: ['rcpt.localRecipient', 'bogus'] } };
  assert.throws(
    () => validateConfig(raw, 'test', '/tmp'),
    (e: unknown) => e instanceof ConfigError && e.problems.length === 1 && /^policy\.warn\.1: unknown check "bogus" \(known: connect\.proxyProtocol, /.test(e.problems[0]),
  );
  assert.match(checkListProblems('policy.warn', ['rcpt.locaRecipient'])[0], /^policy\.warn\.0: unknown check "rcpt\.locaRecipient" \(known: .*rcpt\.localRecipient/);
});

test('policy.warn: a check that cannot run in warn mode is refused by name', () => {
  assert.deepEqual(checkListProblems('policy.warn', ['rcpt.relay', 'connect.proxyProtocol', 'eod.spool'], { warn: true }), [
    'policy.warn.0: rcpt.relay cannot run in warn mode (it would make an open relay)',
    'policy.warn.1: connect.proxyProtocol cannot run in warn mode (a connection without a valid PROXY header cannot be served)',
    'policy.warn.2: eod.spool cannot run in warn mode (a message that cannot be stored cannot be accepted)',
  ]);
});

test('checkListText lists every stage in order, each check with its feature and config keys', () => {
  const text = checkListText();
  const stages = [...text.matchAll(/^([a-z]+):$/gm)].map((m) => m[1]);
  assert.deepEqual(stages, STAGE_ORDER.filter((s) => allChecks().some((c) => c.stage === s)));
  for (const c of allChecks()) assert.ok(text.includes(c.name), c.name);
  assert.match(text, /rcpt\.relay +R1 +check .*\n +config: relay\.lanNetworks, relay\.domainLiterals; no warn mode/);
  assert.ok(text.indexOf('rcpt.relay') < text.indexOf('rcpt.maxRecipients'));
});

test('registerCheck (plugin API): names must follow "<stage>.<setting>" and be new', () => {
  assert.throws(() => registerCheck({ name: 'bad', stage: 'eod', feature: 'S5', config: ['limits.maxHeaderLines'], kind: 'check', summary: '' }), /must be "<stage>\.<settingName>"/);
  assert.throws(() => registerCheck({ name: 'rcpt.relay', stage: 'rcpt', feature: 'R1', config: ['relay.lanNetworks'], kind: 'check', summary: '' }), /already registered/);
  registerCheck({ name: 'eod.pluginScore', stage: 'eod', feature: 'H2', config: ['policy.ptrMarkScore'], kind: 'check', summary: 'a plugin' });
  assert.equal(findCheck('eod.pluginScore')?.stage, 'eod');
  assert.deepEqual(checkListProblems('policy.warn', ['eod.pluginScore']), []);
});
