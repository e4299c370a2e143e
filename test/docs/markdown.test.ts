// The Markdown reader of the docs tests finds what it should, so the docs tests
// cannot pass by reading nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anchorsOf, linksOf, proseOf, slug } from './markdown.js';

test('links outside code are found; links in code blocks and code spans are not', () => {
  const md = ['See [a](docs/a.md#x) and <https://example.com>.', '`[b](b.md)`', '```', '[c](c.md) http://example.com', '```', '![img](../i.png "t")'].join('\n');
  assert.deepEqual(
    linksOf(md).map((l) => `${l.line} ${l.target}`),
    ['1 docs/a.md#x', '1 https://example.com', '6 ../i.png'],
  );
  assert.doesNotMatch(proseOf(md), /http:\/\/example\.com/);
});

test('anchors follow the GitHub rule, repeated headings numbered', () => {
  assert.equal(slug('Recovering from an open relay (R10)'), 'recovering-from-an-open-relay-r10');
  assert.equal(slug('Size, block and line limits (S1–S4)'), 'size-block-and-line-limits-s1s4');
  const a = anchorsOf('# Title\n## Log lines\n```\n# not a heading\n```\n## Log lines\n### `queue list` output\n');
  assert.deepEqual([...a], ['title', 'log-lines', 'log-lines-1', 'queue-list-output']);
});
