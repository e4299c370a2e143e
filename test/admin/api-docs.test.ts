// docs/ADMIN-API.md lists every route of the table, and nothing that is not one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { routes, API_PREFIX } from '../../src/admin/routes.js';

test('every admin API route is documented in docs/ADMIN-API.md', () => {
  const doc = readFileSync(resolve('docs/ADMIN-API.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE) (\/api\/v1\/\S*)` \|/gm)].map((m) => `${m[1]} ${m[2]}`);
  const actual = routes.map((r) => `${r.method} ${API_PREFIX}${r.url}`);
  assert.deepEqual(actual.filter((r) => !documented.includes(r)), [], 'routes missing from the doc');
  assert.deepEqual(documented.filter((r) => !actual.includes(r)), [], 'documented routes that do not exist');
});
