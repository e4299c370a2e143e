// Every admin API route, over real HTTP on loopback: 401 without a token (and with a
// wrong one), 403 for a read-only token on writes, 400 with the zod message on bad
// input, 404 on unknown names. The cases are keyed by route, and the test fails when
// a route of the table has none, so a new route cannot skip them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAdminTestServer, type AdminTestServer } from '../helpers/admin.js';
import { routes, API_PREFIX } from '../../src/admin/routes.js';

interface Req {
  path: string;
  body?: unknown;
}

interface Cases {
  /** A request (path with the parameters filled in) that would otherwise be valid. */
  sample: Req;
  bad: Req & { message: RegExp };
  /** null: the route names nothing that could be missing (it creates or lists). */
  missing: (Req & { message: RegExp }) | null;
}

const CASES: Record<string, Cases> = {
  'GET /domains': { sample: { path: '/domains' }, bad: { path: '/domains?limit=0', message: /^limit: Too small: expected number to be >=1$/ }, missing: null },
  'POST /domains': { sample: { path: '/domains', body: { name: 'x.example' } }, bad: { path: '/domains', body: { name: 'bad_!' }, message: /^name: "bad_!" is not a valid domain name\.$/ }, missing: { path: '/domains', body: { name: 'y.example', postoffice: 'ghost' }, message: /postoffice ghost does not exist/ } },
  'GET /domains/:name': { sample: { path: '/domains/example.test' }, bad: { path: '/domains/bad_!', message: /^name: "bad_!" is not a valid domain name\.$/ }, missing: { path: '/domains/nope.example', message: /^Domain nope\.example does not exist\.$/ } },
  'DELETE /domains/:name': { sample: { path: '/domains/example.test' }, bad: { path: '/domains/bad_!', message: /^name: "bad_!" is not/ }, missing: { path: '/domains/nope.example', message: /^Domain nope\.example does not exist\.$/ } },

  'DELETE /domains/:domain/postoffice': { sample: { path: '/domains/example.test/postoffice' }, bad: { path: '/domains/bad_!/postoffice', message: /^domain: "bad_!" is not/ }, missing: { path: '/domains/example.test/postoffice', message: /^Domain example\.test is not in a postoffice\.$/ } },

  'GET /mailboxes': { sample: { path: '/mailboxes' }, bad: { path: '/mailboxes?cursor=%21%21', message: /^cursor: not a nextCursor from this API$/ }, missing: { path: '/mailboxes?domain=nope.example', message: /^Domain nope\.example does not exist\.$/ } },
  'POST /mailboxes': { sample: { path: '/mailboxes', body: { address: 'new@example.test' } }, bad: { path: '/mailboxes', body: { address: 'nope' }, message: /^address: "nope" is not a valid address \(expected local@domain\)\.$/ }, missing: { path: '/mailboxes', body: { address: 'x@nope.example' }, message: /^Domain nope\.example is not a local domain/ } },
  'GET /mailboxes/:address': { sample: { path: '/mailboxes/alice@example.test' }, bad: { path: '/mailboxes/nope', message: /^address: "nope" is not a valid address/ }, missing: { path: '/mailboxes/ghost@example.test', message: /^Mailbox ghost@example\.test does not exist\.$/ } },
  'DELETE /mailboxes/:address': { sample: { path: '/mailboxes/alice@example.test' }, bad: { path: '/mailboxes/nope', message: /^address: "nope" is not a valid address/ }, missing: { path: '/mailboxes/ghost@example.test', message: /^Mailbox ghost@example\.test does not exist\.$/ } },
  'PUT /mailboxes/:address/password': { sample: { path: '/mailboxes/alice@example.test/password', body: {} }, bad: { path: '/mailboxes/alice@example.test/password', body: { password: '' }, message: /^password: the password must not be empty\.$/ }, missing: { path: '/mailboxes/ghost@example.test/password', body: {}, message: /^Mailbox ghost@example\.test does not exist\.$/ } },

  'GET /aliases': { sample: { path: '/aliases' }, bad: { path: '/aliases?limit=1001', message: /^limit: Too big: expected number to be <=1000$/ }, missing: null },
  'POST /aliases': { sample: { path: '/aliases', body: { address: 'a@example.test', targets: ['b@remote.example'] } }, bad: { path: '/aliases', body: { address: 'a@example.test', targets: [] }, message: /^targets: an alias needs at least one target$/ }, missing: { path: '/aliases', body: { address: 'a@nope.example', targets: ['b@remote.example'] }, message: /^Domain nope\.example is not a local domain/ } },
  'GET /aliases/:address': { sample: { path: '/aliases/team@example.test' }, bad: { path: '/aliases/nope', message: /^address: "nope" is not a valid address/ }, missing: { path: '/aliases/ghost@example.test', message: /^Alias ghost@example\.test does not exist\.$/ } },
  'DELETE /aliases/:address': { sample: { path: '/aliases/team@example.test' }, bad: { path: '/aliases/nope', message: /^address: "nope" is not a valid address/ }, missing: { path: '/aliases/ghost@example.test', message: /^Alias ghost@example\.test does not exist\.$/ } },

  'GET /catchalls': { sample: { path: '/catchalls' }, bad: { path: '/catchalls?limit=many', message: /^limit: Invalid input: expected number, received NaN$/ }, missing: null },
  'GET /catchalls/:domain': { sample: { path: '/catchalls/example.test' }, bad: { path: '/catchalls/bad_!', message: /^domain: "bad_!" is not a valid domain name\.$/ }, missing: { path: '/catchalls/example.test', message: /^Domain example\.test has no catchall\.$/ } },
  'PUT /catchalls/:domain': { sample: { path: '/catchalls/example.test', body: { target: 'alice@example.test' } }, bad: { path: '/catchalls/example.test', body: { target: 'nope' }, message: /^target: "nope" is not a valid address/ }, missing: { path: '/catchalls/nope.example', body: { target: 'alice@example.test' }, message: /^Domain nope\.example is not a local domain/ } },
  'DELETE /catchalls/:domain': { sample: { path: '/catchalls/example.test' }, bad: { path: '/catchalls/bad_!', message: /^domain: "bad_!" is not/ }, missing: { path: '/catchalls/example.test', message: /^Domain example\.test has no catchall\.$/ } },

  'GET /postoffices': { sample: { path: '/postoffices' }, bad: { path: '/postoffices?limit=0', message: /^limit: Too small/ }, missing: null },
  'POST /postoffices': { sample: { path: '/postoffices', body: { name: 'acme' } }, bad: { path: '/postoffices', body: { name: 'no spaces' }, message: /^name: "no spaces" is not a valid postoffice name/ }, missing: null },
  'GET /postoffices/:name': { sample: { path: '/postoffices/acme' }, bad: { path: '/postoffices/no%20spaces', message: /^name: "no spaces" is not a valid postoffice name/ }, missing: { path: '/postoffices/ghost', message: /^Postoffice ghost does not exist\.$/ } },
  'DELETE /postoffices/:name': { sample: { path: '/postoffices/acme' }, bad: { path: '/postoffices/no%20spaces', message: /^name: "no spaces" is not a valid postoffice name/ }, missing: { path: '/postoffices/ghost', message: /^Postoffice ghost does not exist\.$/ } },
  'PUT /postoffices/:name/domains/:domain': { sample: { path: '/postoffices/acme/domains/example.test' }, bad: { path: '/postoffices/acme/domains/bad_!', message: /^domain: "bad_!" is not a valid domain name\.$/ }, missing: { path: '/postoffices/ghost/domains/example.test', message: /^Postoffice ghost does not exist\.$/ } },
  'DELETE /postoffices/:name/domains/:domain': { sample: { path: '/postoffices/acme/domains/example.test' }, bad: { path: '/postoffices/acme/domains/bad_!', message: /^domain: "bad_!" is not/ }, missing: { path: '/postoffices/ghost/domains/example.test', message: /^Domain example\.test is not in postoffice ghost\.$/ } },

  'GET /limits': { sample: { path: '/limits' }, bad: { path: '/limits?limit=0', message: /^limit: Too small/ }, missing: null },
  'GET /limits/:subject': { sample: { path: '/limits/example.test' }, bad: { path: '/limits/bad_!', message: /^subject: "bad_!" is not a valid domain name\.$/ }, missing: { path: '/limits/example.test', message: /^example\.test has no limits of its own\.$/ } },
  'PATCH /limits/:subject': { sample: { path: '/limits/example.test', body: { maxRecipients: 5 } }, bad: { path: '/limits/example.test', body: { maxRecipients: 0 }, message: /^maxRecipients: Too small: expected number to be >0 \(known keys: maxMessageSize, / }, missing: null },
  'DELETE /limits/:subject': { sample: { path: '/limits/example.test' }, bad: { path: '/limits/example.test?keys=bogus', message: /^unknown limit bogus \(known keys: / }, missing: { path: '/limits/other.example', message: /^other\.example has no limits of its own\.$/ } },

  'POST /access/unban': { sample: { path: '/access/unban', body: { ip: '192.0.2.1' } }, bad: { path: '/access/unban', body: { ip: 'not-an-ip' }, message: /^ip: expected an IPv4 or IPv6 address$/ }, missing: { path: '/access/unban', body: { ip: '192.0.2.77' }, message: /^192\.0\.2\.77 is not on the deny list$/ } },

  'GET /queue': { sample: { path: '/queue' }, bad: { path: '/queue?clientIp=10.0.0.0%2F33', message: /^clientIp: "10\.0\.0\.0\/33" is not an IP address or CIDR block\.$/ }, missing: null },
  'GET /queue/:id': { sample: { path: '/queue/0000000000000ABCDEF' }, bad: { path: '/queue/nonsense', message: /^id: "nonsense" is not a queue id\.$/ }, missing: { path: '/queue/0000000000000ABCDEF', message: /^no message 0000000000000ABCDEF in the queue \(nor in failed\/ or purged\/\)\.$/ } },
  'POST /queue/hold': { sample: { path: '/queue/hold', body: { ids: ['0000000000000ABCDEF'] } }, bad: { path: '/queue/hold', body: { ids: [] }, message: /^ids: give at least one queue id\.$/ }, missing: { path: '/queue/hold', body: { ids: ['0000000000000ABCDEF'] }, message: /^not in the queue: 0000000000000ABCDEF$/ } },
  'POST /queue/release': { sample: { path: '/queue/release', body: { ids: ['0000000000000ABCDEF'] } }, bad: { path: '/queue/release', body: { ids: ['nonsense'] }, message: /^ids\.0: "nonsense" is not a queue id\.$/ }, missing: { path: '/queue/release', body: { ids: ['0000000000000ABCDEF'] }, message: /^not in the queue: 0000000000000ABCDEF$/ } },
  'POST /queue/retry': { sample: { path: '/queue/retry', body: { all: true } }, bad: { path: '/queue/retry', body: {}, message: /^ids: give ids, or all: true \(not both\)$/ }, missing: { path: '/queue/retry', body: { ids: ['0000000000000ABCDEF'], wait: 0 }, message: /^not in the queue: 0000000000000ABCDEF$/ } },
  'POST /queue/bounce': { sample: { path: '/queue/bounce', body: { ids: ['0000000000000ABCDEF'] } }, bad: { path: '/queue/bounce', body: { ids: ['0000000000000ABCDEF'], wait: 99 }, message: /^wait: Too big: expected number to be <=20$/ }, missing: { path: '/queue/bounce', body: { ids: ['0000000000000ABCDEF'], wait: 0 }, message: /^not in the queue: 0000000000000ABCDEF$/ } },
  'POST /queue/delete': { sample: { path: '/queue/delete', body: { ids: ['0000000000000ABCDEF'] } }, bad: { path: '/queue/delete', body: { ids: '0000000000000ABCDEF' }, message: /^ids: Invalid input: expected array, received string$/ }, missing: { path: '/queue/delete', body: { ids: ['0000000000000ABCDEF'] }, message: /^not in the queue: 0000000000000ABCDEF$/ } },

  'GET /config': { sample: { path: '/config' }, bad: { path: '/config?verbose=1', message: /^verbose: unknown field$/ }, missing: null },
  'GET /decisions': { sample: { path: '/decisions' }, bad: { path: '/decisions?ip=nope', message: /^ip: "nope" is not an IP address or CIDR block\.$/ }, missing: null },
  'GET /decisions/per-minute': { sample: { path: '/decisions/per-minute' }, bad: { path: '/decisions/per-minute?x=1', message: /^x: unknown field$/ }, missing: null },
  'POST /config/reload': { sample: { path: '/config/reload' }, bad: { path: '/config/reload', body: { now: true }, message: /^now: unknown field$/ }, missing: null },
};

for (const kind of ['deny', 'allow']) {
  Object.assign(CASES, {
    [`GET /access/${kind}`]: { sample: { path: `/access/${kind}` }, bad: { path: `/access/${kind}?source=robot`, message: /^source: Invalid option: expected one of "manual"\|"auto"$/ }, missing: null },
    [`POST /access/${kind}`]: { sample: { path: `/access/${kind}`, body: { network: '192.0.2.1' } }, bad: { path: `/access/${kind}`, body: { network: '0.0.0.0/0', expires: 'soon' }, message: /^network: 0\.0\.0\.0\/0 is too wide \(IPv4 prefixes must be \/8 or longer, IPv6 \/16 or longer\); expires: "soon" is not a duration/ }, missing: null },
    [`GET /access/${kind}/:network`]: { sample: { path: `/access/${kind}/192.0.2.1` }, bad: { path: `/access/${kind}/not-an-ip`, message: /^network: "not-an-ip" is not an IP address or CIDR network$/ }, missing: { path: `/access/${kind}/192.0.2.0%2F24`, message: new RegExp(`^192\\.0\\.2\\.0/24 is not on the ${kind} list$`) } },
    [`DELETE /access/${kind}/:network`]: { sample: { path: `/access/${kind}/192.0.2.1` }, bad: { path: `/access/${kind}/not-an-ip`, message: /^network: "not-an-ip" is not an IP address/ }, missing: { path: `/access/${kind}/2001:db8::%2F48`, message: new RegExp(`^2001:db8::/48 is not on the ${kind} list$`) } },
  });
}

let ts: AdminTestServer;
before(async () => {
  ts = await startAdminTestServer();
});
after(async () => {
  await ts.stop();
});

function key(method: string, url: string): string {
  return `${method} ${url}`;
}

test('every route of the table has its error cases here', () => {
  const keys = routes.map((r) => key(r.method, r.url));
  assert.deepEqual(keys.filter((k) => !CASES[k]), [], 'routes without cases');
  assert.deepEqual(Object.keys(CASES).filter((k) => !keys.includes(k)), [], 'cases without a route');
});

test('401 without a token, with a malformed header and with an unknown token, on every route and the index', async () => {
  const requests = routes.map((r) => ({ method: r.method, ...CASES[key(r.method, r.url)].sample })).concat([{ method: 'GET', path: '' }]);
  for (const r of requests) {
    for (const token of [null, 'rmp_not-a-real-token', `${ts.token}x`]) {
      const res = await ts.call(r.method, API_PREFIX + r.path, 'body' in r ? r.body : undefined, token);
      assert.equal(res.status, 401, `${r.method} ${r.path} with ${token === null ? 'no token' : 'a bad token'}`);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="rampart"');
      assert.equal(res.body.error, 'unauthorized');
    }
  }
  const basic = await fetch(`${ts.base}${API_PREFIX}/domains`, { headers: { authorization: `Basic ${Buffer.from('rw:x').toString('base64')}` } });
  assert.equal(basic.status, 401, 'only bearer tokens');
  assert.equal((await ts.call('GET', '/api/v1/nowhere', undefined, null)).status, 401, 'unknown paths do not reveal themselves before authentication');
  assert.equal((await ts.call('GET', '/api/v1/nowhere')).status, 404);
});

test('403 for the read-only token on every write; its reads pass', async () => {
  for (const r of routes) {
    const c = CASES[key(r.method, r.url)].sample;
    const res = await ts.call(r.method, API_PREFIX + c.path, c.body, ts.readOnly);
    if (r.op.write) {
      assert.equal(res.status, 403, `${r.method} ${r.url}`);
      assert.deepEqual(res.body, { error: 'forbidden', message: 'token ro is read-only' });
    } else assert.notEqual(res.status, 403, `${r.method} ${r.url}`);
  }
  assert.equal((await ts.call('GET', `${API_PREFIX}/domains`, undefined, ts.readOnly)).status, 200);
  // Nothing was changed by the refused writes.
  assert.equal((await ts.call('GET', `${API_PREFIX}/domains/x.example`)).status, 404);
  assert.equal((await ts.call('GET', `${API_PREFIX}/mailboxes/alice@example.test`)).status, 200);
});

test('400 with the zod message naming the field, on every route', async () => {
  await ts.call('POST', `${API_PREFIX}/postoffices`, { name: 'acme' });
  for (const r of routes) {
    const c = CASES[key(r.method, r.url)].bad;
    const res = await ts.call(r.method, API_PREFIX + c.path, c.body);
    assert.equal(res.status, 400, `${r.method} ${c.path}: ${res.text}`);
    assert.equal(res.body.error, 'invalid');
    assert.match(res.body.message, c.message, `${r.method} ${c.path}`);
  }
});

test('400 for a body that is not a JSON object, or not JSON', async () => {
  const arr = await ts.call('POST', `${API_PREFIX}/domains`, ['x.example']);
  assert.equal(arr.status, 400);
  assert.equal(arr.body.message, 'the request body must be a JSON object');
  const broken = await fetch(`${ts.base}${API_PREFIX}/domains`, { method: 'POST', headers: { authorization: `Bearer ${ts.token}`, 'content-type': 'application/json' }, body: '{"name": ' });
  assert.equal(broken.status, 400);
  assert.equal(((await broken.json()) as { error: string }).error, 'invalid');
});

test('404 on unknown names, on every route that names something', async () => {
  for (const r of routes) {
    const c = CASES[key(r.method, r.url)].missing;
    if (!c) continue;
    const res = await ts.call(r.method, API_PREFIX + c.path, c.body);
    assert.equal(res.status, 404, `${r.method} ${c.path}: ${res.text}`);
    assert.equal(res.body.error, 'notFound');
    assert.match(res.body.message, c.message, `${r.method} ${c.path}`);
  }
});

test('every write is logged with the token name, refused ones too', async () => {
  const before = ts.logs.length;
  await ts.call('POST', `${API_PREFIX}/domains`, { name: 'logged.example' });
  await ts.call('DELETE', `${API_PREFIX}/domains/logged.example`, undefined, ts.readOnly);
  await ts.call('DELETE', `${API_PREFIX}/domains/logged.example`, undefined, null);
  const lines = ts.logs.slice(before).filter((l) => l.event === 'admin');
  assert.deepEqual(
    lines.map((l) => [l.token, l.method, l.url, l.op, l.status]),
    [
      ['rw', 'POST', '/api/v1/domains', 'domains.add', 201],
      ['ro', 'DELETE', '/api/v1/domains/logged.example', 'domains.remove', 403],
      [undefined, 'DELETE', '/api/v1/domains/logged.example', 'domains.remove', 401],
    ],
  );
});
