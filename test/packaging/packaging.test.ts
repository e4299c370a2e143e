// contrib/rampart.service passes `systemd-analyze verify` and keeps its hardening;
// the container's configuration is valid and agrees with the Dockerfile. (No
// container engine runs here: the Dockerfile's steps were run by hand, see
// docs/OPERATIONS.md.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { loadConfigFile } from '../../src/config/load.js';

const ROOT = resolve('.');
const UNIT = join(ROOT, 'contrib', 'rampart.service');

test('systemd unit: systemd-analyze verify is clean; hardening and capability in place', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-unit-'));
  try {
    copyFileSync(UNIT, join(dir, 'rampart.service'));
    // Throws (and fails the test) on a non-zero exit; stderr carries every warning.
    const out = execFileSync('systemd-analyze', ['verify', join(dir, 'rampart.service')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(out, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const unit = readFileSync(UNIT, 'utf8');
  for (const line of ['Type=simple', 'User=rampart', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/rampart', 'NoNewPrivileges=yes', 'AmbientCapabilities=CAP_NET_BIND_SERVICE', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE', 'ExecReload=/bin/kill -HUP $MAINPID']) {
    assert.match(unit, new RegExp(`^${line.replace(/[$.]/g, '\\$&')}$`, 'm'), line);
  }
  assert.doesNotMatch(unit, /^Type=notify/m, 'Rampart does not speak sd_notify');
});

test('systemd-analyze verify does catch a broken unit (the check above can fail)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-unit-'));
  try {
    const bad = readFileSync(UNIT, 'utf8').replace('/usr/bin/node', '/usr/bin/no-such-node');
    const file = join(dir, 'rampart.service');
    writeFileSync(file, bad);
    assert.throws(() => execFileSync('systemd-analyze', ['verify', file], { stdio: 'pipe' }), /no-such-node/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Dockerfile: node:20-slim, production dependencies only, non-root, dataDir in a volume; its configuration is valid', () => {
  const df = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  assert.equal([...df.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]).join(' '), 'node:20-slim node:20-slim node:20-slim');
  assert.match(df, /npm ci --omit=dev/);
  assert.match(df, /tsc -p tsconfig\.build\.json/);
  assert.match(df, /^USER rampart$/m);
  assert.match(df, /^VOLUME \["\/var\/lib\/rampart"\]$/m);
  const snap = loadConfigFile(join(ROOT, 'contrib', 'docker', 'rampart.yaml'));
  assert.equal(snap.dataDir, '/var/lib/rampart', 'dataDir is the volume');
  assert.deepEqual(snap.listeners.map((l) => l.port), [25, 587, 465]);
  assert.equal(snap.admin?.port, 2580);
  assert.match(df, /EXPOSE 25 587 465 2580/);
  assert.match(readFileSync(join(ROOT, 'contrib', 'docker', 'rampart'), 'utf8'), /\/opt\/rampart\/dist\/src\/cli\/rampart\.js/);
  assert.match(df, /COPY --from=build \/build\/dist\/src \.\/dist\/src/);
});

test('the production build (tsconfig.build.json, src/ alone in the image) imports nothing outside src/', () => {
  const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[]; exclude: string[] };
  assert.deepEqual(build.include, ['src/**/*.ts']);
  assert.deepEqual(build.exclude, ['src/**/*.test.ts', 'src/**/test-support.ts'], 'tests and their helpers stay out of the image');
  const src = join(ROOT, 'src');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('/test-support.ts')) files.push(p);
    }
  };
  walk(src);
  const outside: string[] = [];
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^;]*?from\s+'(\.[^']+)'/gms)) {
      if (relative(src, resolve(dirname(file), m[1])).startsWith('..')) outside.push(`${relative(ROOT, file)} -> ${m[1]}`);
    }
  }
  assert.ok(files.length > 100);
  assert.deepEqual(outside, [], 'the Dockerfile copies only src/: these imports would not compile there');
});
