// The README stays short (what Rampart is, the two commands, a tour, a map of
// docs/), every page of docs/ is on that map, every relative link in the README and
// docs/ leads to a file that exists (and to a heading that exists, when it names
// one), and the docs never link outside the repository.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { anchorsOf, linksOf, proseOf } from './markdown.js';

const ROOT = resolve('.');
const README = join(ROOT, 'README.md');
const DOCS = join(ROOT, 'docs');
const README_BUDGET = 8 * 1024;

const pages = readdirSync(DOCS)
  .filter((f) => f.endsWith('.md'))
  .map((f) => join(DOCS, f));
const files = [README, ...pages];
const read = (f: string) => readFileSync(f, 'utf8');

test(`README.md stays under ${README_BUDGET} bytes and keeps the two commands`, () => {
  const text = read(README);
  assert.ok(Buffer.byteLength(text) <= README_BUDGET, `README.md is ${Buffer.byteLength(text)} bytes; move sections to docs/`);
  assert.ok(text.includes('npm install && npm start    # start the server on the embedded default\n'));
  assert.ok(text.includes('npm install && npm test     # run the whole test suite\n'));
  assert.deepEqual(
    [...text.matchAll(/^## (.*)$/gm)].map((m) => m[1]),
    ['Two commands', 'A five-minute tour', 'Map of the docs'],
  );
});

test('every docs/ page is on the README map, one line each', () => {
  const map = read(README).split('## Map of the docs')[1] ?? '';
  const linked = linksOf(map).map((l) => l.target);
  const want = pages.map((p) => relative(ROOT, p));
  assert.deepEqual(want.filter((p) => !linked.includes(p)), [], 'pages missing from the map');
  assert.deepEqual(linked.filter((l, i) => linked.indexOf(l) !== i), [], 'pages listed twice');
});

test('every relative link resolves to a file, and to a heading when it names one', () => {
  const broken: string[] = [];
  for (const f of files) {
    for (const { target, line } of linksOf(read(f))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // the next test refuses these
      const [path, anchor] = target.split('#', 2);
      const file = path === '' ? f : resolve(dirname(f), decodeURIComponent(path));
      const where = `${relative(ROOT, f)}:${line} ${target}`;
      if (!file.startsWith(ROOT + '/') && file !== ROOT) broken.push(`${where}: outside the repository`);
      else if (!existsSync(file)) broken.push(`${where}: no such file`);
      else if (anchor !== undefined && file.endsWith('.md') && statSync(file).isFile() && !anchorsOf(read(file)).has(anchor)) broken.push(`${where}: no heading #${anchor}`);
    }
  }
  assert.deepEqual(broken, []);
});

test('the docs never link outside the repository (addresses only inside code)', () => {
  const outside: string[] = [];
  for (const f of files) {
    for (const { target, line } of linksOf(read(f))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) outside.push(`${relative(ROOT, f)}:${line} ${target}`);
    }
    proseOf(read(f))
      .split('\n')
      .forEach((text, i) => {
        if (/\b(https?|ftp):\/\/|\bwww\./i.test(text)) outside.push(`${relative(ROOT, f)}:${i + 1} a web address outside code: ${text.trim()}`);
      });
  }
  assert.deepEqual(outside, []);
});
