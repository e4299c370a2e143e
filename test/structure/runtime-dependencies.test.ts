// Every package that src/ loads at run time is in package.json "dependencies":
// the Docker image and a production install (`npm ci --omit=dev`) have nothing
// else. Type-only imports vanish at compile time and do not count; neither do the
// test-support modules under src/, which only tests import.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { filesUnder } from '../helpers/files.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const SRC = join(ROOT, 'src');

/** Files of src/ that run in production: tests, declarations and test-support modules aside. */
const runtimeFiles = (dir: string): string[] => filesUnder(dir, (p) => p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts') && !p.endsWith('test-support.ts'));

/** "@scope/name/x.js" -> "@scope/name", "mailauth/lib/x.js" -> "mailauth"; undefined for relative and node: imports. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('node:')) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Packages each file loads at run time (value imports, re-exports and dynamic import()). */
function runtimePackages(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) out.push(n.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier) && !n.isTypeOnly) out.push(n.moduleSpecifier.text);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) out.push(n.arguments[0].text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out.map(packageOf).filter((p): p is string => p !== undefined);
}

test('every package src/ loads at run time is a production dependency', () => {
  const deps = new Set(Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies ?? {}));
  const missing: string[] = [];
  for (const file of runtimeFiles(SRC)) for (const pkg of runtimePackages(file)) if (!deps.has(pkg)) missing.push(`${relative(ROOT, file)}: ${pkg}`);
  assert.deepEqual(missing, []);
});

test('the package name of an import specifier (the dependency test can fail)', () => {
  assert.equal(packageOf('@zone-eu/mailsplit'), '@zone-eu/mailsplit');
  assert.equal(packageOf('mailauth/lib/dkim/dkim-verifier.js'), 'mailauth');
  assert.equal(packageOf('./x.js'), undefined);
  assert.equal(packageOf('node:fs'), undefined);
  assert.ok(runtimePackages(join(SRC, 'dns', 'wire-query.ts')).includes('dns-packet'), 'a value import is found');
  assert.ok(!runtimePackages(join(SRC, 'smtp', 'session.ts')).some((p) => p === 'smtp-server'));
});
