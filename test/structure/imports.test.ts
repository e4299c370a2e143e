// The import graph of src/: no cycles between files (type-only imports count:
// a type cycle is a design cycle), and the layering the design asks for between
// folders: core/ is the bottom (contracts), smtp/ is protocol only (types from
// policy/, never its code), spool/ and cleanup/ never reach back into smtp/, and
// the queue side (scheduler/, delivery/, bounce/) and the intake side never
// import each other.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { filesUnder } from '../helpers/files.js';

const SRC = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../src');

interface Edge {
  to: string;
  typeOnly: boolean;
}

/** Source files of src/, tests and declarations aside. */
const sourceFiles = (dir: string): string[] => filesUnder(dir, (p) => p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts'));

/** Relative imports of every file (paths relative to src/), each marked type-only or not. */
function importGraph(): Map<string, Edge[]> {
  const files = sourceFiles(SRC);
  const known = new Set(files);
  const graph = new Map<string, Edge[]>();
  for (const file of files) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
    const edges: Edge[] = [];
    const add = (spec: string, typeOnly: boolean) => {
      if (!spec.startsWith('.')) return;
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (known.has(target)) edges.push({ to: relative(SRC, target), typeOnly });
    };
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
        const c = st.importClause;
        const allTypes = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.every((e) => e.isTypeOnly)));
        add(st.moduleSpecifier.text, allTypes);
      } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
        add(st.moduleSpecifier.text, st.isTypeOnly);
      }
    }
    graph.set(relative(SRC, file), edges);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph: Map<string, Edge[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!idx.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(v, Math.min(low.get(v)!, idx.get(to)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const folder = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : path);

test('no import cycle between files of src/ (type-only imports included)', () => {
  const found = cycles(importGraph());
  assert.deepEqual(found, [], `import cycles:\n${found.map((c) => '  ' + c.join(' <-> ')).join('\n')}`);
});

test('the cycle finder finds a cycle (it can fail)', () => {
  const g = new Map<string, Edge[]>([
    ['a/x.ts', [{ to: 'b/y.ts', typeOnly: true }]],
    ['b/y.ts', [{ to: 'a/x.ts', typeOnly: false }]],
    ['c/z.ts', []],
  ]);
  assert.deepEqual(cycles(g), [['a/x.ts', 'b/y.ts']]);
});

// Folder rules: [from, to, what is allowed]. "none": no import at all; "types": type-only imports.
const RULES: Array<[string, string, 'none' | 'types']> = [
  ['core', 'smtp', 'none'],
  ['core', 'policy', 'none'],
  ['core', 'spool', 'none'],
  ['core', 'cleanup', 'none'],
  ['core', 'listener', 'none'],
  ['smtp', 'policy', 'types'],
  ['smtp', 'spool', 'none'],
  ['smtp', 'state', 'none'],
  ['smtp', 'directory', 'none'],
  ['smtp', 'dns', 'none'],
  ['spool', 'smtp', 'none'],
  ['spool', 'policy', 'none'],
  ['cleanup', 'smtp', 'none'],
  ['cleanup', 'spool', 'none'],
  ['policy', 'smtp', 'none'],
  ['policy', 'listener', 'none'],
  // The queue side (scheduler/, delivery/, bounce/) and the intake side (listener/,
  // smtp/, policy/) meet only in spool/ and core/: outbound never reuses the inbound
  // engine, and intake never reaches into delivery. Transports (delivery/) know only
  // their contract (delivery/types.ts), not who calls them; DSNs (bounce/) are queued
  // through the Submitter, not through the scheduler. (bounce/ reads postmasterDomain
  // from policy/ and the date format from cleanup/: plain functions, no cycle.)
  ['scheduler', 'smtp', 'none'],
  ['scheduler', 'listener', 'none'],
  ['scheduler', 'policy', 'none'],
  ['delivery', 'smtp', 'none'],
  ['delivery', 'listener', 'none'],
  ['delivery', 'policy', 'none'],
  ['delivery', 'scheduler', 'none'],
  ['delivery', 'bounce', 'none'],
  ['bounce', 'smtp', 'none'],
  ['bounce', 'listener', 'none'],
  ['bounce', 'scheduler', 'none'],
  ['bounce', 'delivery', 'none'],
  ['smtp', 'scheduler', 'none'],
  ['smtp', 'delivery', 'none'],
  ['smtp', 'bounce', 'none'],
  ['policy', 'scheduler', 'none'],
  ['policy', 'delivery', 'none'],
  ['policy', 'bounce', 'none'],
  ['spool', 'delivery', 'none'],
  ['spool', 'bounce', 'none'],
];

test('folder layering: core is the bottom, smtp/ is protocol only, spool/ and cleanup/ never reach back, queue and intake sides apart', () => {
  const graph = importGraph();
  const problems: string[] = [];
  for (const [file, edges] of graph) {
    for (const e of edges) {
      for (const [from, to, allowed] of RULES) {
        if (folder(file) !== from || folder(e.to) !== to) continue;
        if (allowed === 'none' || !e.typeOnly) problems.push(`${file} imports ${e.to}${e.typeOnly ? ' (types)' : ''}: ${from}/ may ${allowed === 'none' ? 'not import' : 'only import types from'} ${to}/`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
