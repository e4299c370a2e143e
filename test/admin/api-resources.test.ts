// The admin API's resources end to end over real HTTP: what the API changes the
// server uses at once (a domain and mailbox receive mail; a deny entry refuses the
// next connection; unban lets it in), pagination walks every list without gaps or
// repeats, the configuration is shown with secrets redacted, and reload works.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { stringify } from 'yaml';
import { startAdminTestServer, type AdminTestServer } from '../helpers/admin.js';
import { startServer } from '../../src/main.js';
import { loadConfigFile } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { API_PREFIX } from '../../src/admin/routes.js';
import { redactConfig } from '../../src/ops/config.js';

let ts: AdminTestServer;
before(async () => {
  ts = await startAdminTestServer();
});
after(async () => {
  await ts.stop();
});

const api = (method: string, path: string, body?: unknown) => ts.call(method, API_PREFIX + path, body);

/** The first reply line of a fresh SMTP connection. */
function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        s.destroy();
        resolve(buf.split('\r\n')[0]);
      }
    });
    s.on('error', reject);
    setTimeout(() => reject(new Error('no greeting')), 5000).unref();
  });
}

test('domains, mailboxes, aliases, catchalls, postoffices, limits: create, show, list, remove', async () => {
  assert.equal((await api('POST', '/postoffices', { name: 'Acme' })).status, 201);
  const d = await api('POST', '/domains', { name: 'Shop.Example', postoffice: 'acme' });
  assert.equal(d.status, 201);
  assert.deepEqual(d.body, { name: 'shop.example', postoffice: 'acme', catchall: null });
  assert.equal((await api('POST', '/domains', { name: 'shop.example' })).status, 409);

  const m = await api('POST', '/mailboxes', { address: 'Sales@shop.example' });
  assert.equal(m.status, 201);
  assert.equal(m.body.address, 'sales@shop.example');
  assert.match(m.body.password, /^[A-Za-z2-9]{16}$/, 'a generated password is returned once');
  assert.ok(await ts.server.directory.verifyPassword('sales@shop.example', m.body.password));
  const given = await api('POST', '/mailboxes', { address: 'ops@shop.example', password: 'ops-pw-1' });
  assert.deepEqual(given.body, { address: 'ops@shop.example' }, 'a given password is never echoed');
  assert.equal((await api('POST', '/mailboxes', { address: 'ops@shop.example' })).status, 409);
  assert.deepEqual((await api('GET', '/mailboxes/ops@shop.example')).body, { address: 'ops@shop.example', hasPassword: true });
  assert.deepEqual((await api('PUT', '/mailboxes/ops@shop.example/password', { password: 'ops-pw-2' })).body, { address: 'ops@shop.example' });
  assert.ok(await ts.server.directory.verifyPassword('ops@shop.example', 'ops-pw-2'));
  assert.deepEqual((await api('GET', '/mailboxes?domain=shop.example')).body.items.map((x: { address: string }) => x.address), ['ops@shop.example', 'sales@shop.example']);

  const a = await api('POST', '/aliases', { address: 'info@shop.example', targets: ['sales@shop.example', 'Boss@Remote.example'] });
  assert.deepEqual([a.status, a.body], [201, { address: 'info@shop.example', targets: ['sales@shop.example', 'boss@remote.example'] }]);
  assert.equal((await api('POST', '/aliases', { address: 'sales@shop.example', targets: ['x@y.example'] })).status, 409, 'a mailbox of that name exists');
  assert.equal((await api('GET', '/aliases/info@shop.example')).body.targets.length, 2);

  const c = await api('PUT', '/catchalls/shop.example', { target: 'sales@shop.example' });
  assert.deepEqual(c.body, { domain: 'shop.example', target: 'sales@shop.example', remote: false, disabled: false });
  assert.deepEqual((await api('GET', '/domains/shop.example')).body, { name: 'shop.example', postoffice: 'acme', catchall: 'sales@shop.example' });
  assert.deepEqual((await api('GET', '/catchalls')).body, { items: [{ domain: 'shop.example', target: 'sales@shop.example' }], nextCursor: null });

  assert.deepEqual((await api('GET', '/postoffices/acme')).body, { name: 'acme', domains: ['shop.example'] });
  const refused = await api('DELETE', '/postoffices/acme');
  assert.equal(refused.status, 409);
  assert.match(refused.body.message, /still owns shop\.example/);
  assert.deepEqual((await api('DELETE', '/postoffices/acme/domains/shop.example')).body, { name: 'acme', domain: 'shop.example' });
  assert.deepEqual((await api('PUT', '/postoffices/acme/domains/shop.example')).body, { name: 'acme', domain: 'shop.example' });
  assert.deepEqual((await api('DELETE', '/postoffices/acme?force=true')).body, { name: 'acme', released: ['shop.example'] });

  assert.deepEqual((await api('PATCH', '/limits/shop.example', { maxRecipients: 5, maxMessageSize: 1000000 })).body, { subject: 'shop.example', limits: { maxRecipients: 5, maxMessageSize: 1000000 } });
  assert.deepEqual((await api('PATCH', '/limits/shop.example', { maxRecipients: 7 })).body.limits, { maxRecipients: 7, maxMessageSize: 1000000 }, 'PATCH merges');
  assert.deepEqual(ts.server.directory.limits.forSender('x@shop.example'), { maxRecipients: 7, maxMessageSize: 1000000 }, 'the server reads what the API wrote');
  assert.deepEqual((await api('DELETE', '/limits/shop.example?keys=maxRecipients')).body, { subject: 'shop.example', limits: { maxMessageSize: 1000000 } });
  assert.deepEqual((await api('GET', '/limits')).body.items, [{ subject: 'shop.example', limits: { maxMessageSize: 1000000 } }]);
  assert.deepEqual((await api('DELETE', '/limits/shop.example')).body, { subject: 'shop.example', limits: {} });

  // Q5 quotas: a domain default and a mailbox's own limit, the mailbox shown with its usage.
  assert.deepEqual((await api('PUT', '/quotas/shop.example', { bytes: '1G', mode: 'return' })).body, { subject: 'shop.example', bytes: 1073741824, mode: 'return' });
  assert.deepEqual((await api('PUT', '/quotas/sales@shop.example', { bytes: 2048, messages: 10 })).body, { subject: 'sales@shop.example', bytes: 2048, messages: 10 });
  assert.deepEqual((await api('GET', '/mailboxes/sales@shop.example/usage')).body, { address: 'sales@shop.example', hasPassword: true, quota: { bytes: 2048, messages: 10, mode: 'return', from: 'mailbox' }, usage: { bytes: 0, messages: 0 } });
  assert.deepEqual(ts.server.directory.quotas.effective('sales@shop.example'), { bytes: 2048, messages: 10, mode: 'return', from: 'mailbox' }, 'the server reads what the API wrote');
  assert.deepEqual((await api('DELETE', '/quotas/sales@shop.example')).body, { subject: 'sales@shop.example' });
  assert.deepEqual((await api('GET', '/quotas/shop.example')).body, { subject: 'shop.example', bytes: 1073741824, mode: 'return' });
  assert.equal((await api('GET', '/mailboxes/sales@shop.example/usage')).body.quota.from, 'domain');

  assert.deepEqual((await api('DELETE', '/catchalls/shop.example')).body, { domain: 'shop.example' });
  assert.deepEqual((await api('DELETE', '/aliases/info@shop.example')).body, { address: 'info@shop.example' });
  assert.deepEqual((await api('DELETE', '/mailboxes/sales@shop.example')).body, { address: 'sales@shop.example' });
  assert.deepEqual((await api('DELETE', '/domains/shop.example')).body, { name: 'shop.example' });
  assert.equal((await api('GET', '/mailboxes/ops@shop.example')).status, 404, 'gone with its domain');
});

test('pagination: walking every list with a small limit sees each item once, in order', async () => {
  for (let i = 0; i < 23; i++) {
    await api('POST', '/domains', { name: `d${String(i).padStart(2, '0')}.page.example` });
    await api('POST', '/mailboxes', { address: `u${i}@d${String(i % 3).padStart(2, '0')}.page.example`, password: 'pw' });
    await api('POST', '/access/deny', { network: `198.51.100.${i}`, reason: `r${i}` });
  }
  await api('POST', '/access/deny', { network: '2001:db8::/48' });
  async function walk(path: string, limit: number): Promise<unknown[]> {
    const out: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const r = await api('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200, r.text);
      assert.ok(r.body.items.length <= limit);
      out.push(...r.body.items);
      cursor = r.body.nextCursor;
      assert.ok(++pages < 100);
    } while (cursor);
    return out;
  }
  const domains = (await walk('/domains', 4)).map((d) => (d as { name: string }).name);
  assert.deepEqual(domains, (await api('GET', '/domains?limit=1000')).body.items.map((d: { name: string }) => d.name));
  assert.equal(domains.filter((d) => d.endsWith('.page.example')).length, 23);
  const mailboxes = (await walk('/mailboxes', 5)).map((m) => (m as { address: string }).address);
  assert.equal(new Set(mailboxes).size, mailboxes.length);
  assert.equal(mailboxes.filter((m) => m.endsWith('.page.example')).length, 23);
  const inOne = (await walk('/mailboxes?domain=d01.page.example', 2)).map((m) => (m as { address: string }).address);
  assert.deepEqual(inOne, ['u1@d01.page.example', 'u10@d01.page.example', 'u13@d01.page.example', 'u16@d01.page.example', 'u19@d01.page.example', 'u22@d01.page.example', 'u4@d01.page.example', 'u7@d01.page.example']);
  const deny = (await walk('/access/deny', 7)).map((e) => (e as { network: string }).network);
  assert.equal(deny.length, 24);
  assert.deepEqual(deny.slice(0, 3), ['198.51.100.0/32', '198.51.100.1/32', '198.51.100.2/32'], 'address order, not text order');
  assert.equal(deny[10], '198.51.100.10/32');
  assert.equal(deny.at(-1), '2001:db8::/48', 'IPv6 after IPv4');
  assert.deepEqual((await api('GET', '/access/deny?source=auto')).body, { items: [], nextCursor: null });
  const last = await api('GET', '/domains?limit=1000');
  assert.equal(last.body.nextCursor, null);
});

test('deny and allow lists: add refuses the client at once, hits are counted, unban lets it in; allow beats deny', async () => {
  const mx = ts.ports.mx;
  assert.match(await greeting(mx), /^220 /);
  const added = await api('POST', '/access/deny', { network: '127.0.0.0/8', reason: 'api test', expires: '2h' });
  assert.equal(added.status, 201);
  assert.equal(added.body.network, '127.0.0.0/8');
  const exp = Date.parse(added.body.expiresAt) - Date.parse(added.body.createdAt);
  assert.equal(exp, 2 * 3600_000);
  assert.match(await greeting(mx), /^554 5\.7\.1 /, 'the server refuses the next connection without waiting for a refresh');
  // finalize() publishes the connect.denyList decision; the metrics' subscription counts the hit against the entry.
  assert.equal((await api('GET', '/access/deny/127.0.0.0%2F8')).body.hits, 1);

  assert.equal((await api('POST', '/access/allow', { network: '127.0.0.1', reason: 'monitoring' })).status, 201);
  assert.match(await greeting(mx), /^220 /, 'allow beats deny');
  assert.deepEqual((await api('DELETE', '/access/allow/127.0.0.1')).body, { kind: 'allow', network: '127.0.0.1/32' });
  assert.match(await greeting(mx), /^554 /);

  await api('POST', '/access/deny', { network: '127.0.0.1', reason: 'narrower' });
  const u = await api('POST', '/access/unban', { ip: '127.0.0.1' });
  assert.equal(u.status, 200);
  assert.deepEqual(u.body.removed.map((e: { network: string }) => e.network), ['127.0.0.1/32', '127.0.0.0/8'], 'every covering entry, longest first');
  assert.equal(u.body.removed[1].hits, 2, 'both refused connections counted, each once');
  assert.match(await greeting(mx), /^220 /, 'unbanned');
  assert.equal((await api('GET', '/access/deny/127.0.0.0%2F8')).status, 404);
  assert.deepEqual((await ts.server.access.list('deny')).filter((e) => e.network.startsWith('127.')), [], 'removed from the shared store, not only from memory');
});

test('config: the running snapshot with secrets redacted', async () => {
  const r = await api('GET', '/config');
  assert.equal(r.status, 200);
  assert.equal(r.body.source, 'test');
  assert.equal(r.body.config.hostname, 'mx.rampart.test');
  assert.equal(r.body.config.admin.port, 0);
  assert.deepEqual(
    redactConfig({ state: { redis: 'redis://app:s3cret@10.0.0.5:6379/2' }, channels: { relay: { auth: { user: 'u', passwordFile: '/etc/rampart/relay.pw', password: 'x' } } }, x: { apiToken: 't', tokens: ['a'] } }),
    { state: { redis: 'redis://app:REDACTED@10.0.0.5:6379/2' }, channels: { relay: { auth: { user: 'u', passwordFile: '/etc/rampart/relay.pw', password: 'REDACTED' } } }, x: { apiToken: 'REDACTED', tokens: ['a'] } },
  );
  assert.deepEqual(redactConfig({ redis: 'rediss://onlysecret@host:6380' }), { redis: 'rediss://REDACTED@host:6380' });
  assert.doesNotMatch(r.text, /s3cret/);
});

test('config reload through the API: applied for new sessions; an invalid file is refused and the running one kept', async () => {
  const { dataDir } = ts;
  const file = join(dataDir, 'reload.yaml');
  const cfg = (maxRecipients: number | string) => ({
    hostname: 'mx.rampart.test',
    dataDir,
    listeners: [{ name: 'mx', kind: 'mx', addresses: ['127.0.0.1'], port: 0, pregreetWaitMs: 0 }],
    policy: { senderDomainResolvable: false },
    limits: { maxRecipients },
    admin: { port: 0 },
  });
  writeFileSync(file, stringify(cfg(10)));
  const server = await startServer(loadConfigFile(file), { configPath: file, log: createLogger('silent') });
  try {
    const token = server.directory.tokens.create('reloader').token;
    const call = async (method: string, path: string) => {
      const res = await fetch(`http://127.0.0.1:${server.adminPort}${API_PREFIX}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as { source?: string; message?: string; config?: { limits: { maxRecipients: number } } } };
    };
    writeFileSync(file, stringify(cfg(42)));
    assert.deepEqual(await call('POST', '/config/reload'), { status: 200, body: { source: file } });
    assert.equal(server.config().limits.maxRecipients, 42);
    assert.equal((await call('GET', '/config')).body.config?.limits.maxRecipients, 42);
    writeFileSync(file, stringify(cfg('many')));
    const bad = await call('POST', '/config/reload');
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.message), /limits\.maxRecipients: Invalid input: expected number/);
    assert.equal(server.config().limits.maxRecipients, 42, 'the running configuration stays');
  } finally {
    await server.stop();
  }
});
