import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { onAbuse, startAutoDeny, autoDenyNetwork, type AutoDenyDeps } from './auto-deny.js';
import { AbuseEvents, type AbuseEvent } from './abuse.js';
import { AccessList } from '../state/access-list.js';
import { EmbeddedStore } from '../state/embedded-store.js';
import { validateConfig, type Snapshot } from '../config/load.js';
import { embeddedDefault } from '../config/embedded-default.js';
import { createLogger } from '../log/logger.js';

const HOUR = 3_600_000;

class Clock {
  t = 1_700_000_000_000;
  now = () => this.t;
}

function setup(autoDeny: Record<string, unknown> = {}, relay: Record<string, unknown> = {}) {
  const clock = new Clock();
  const store = new EmbeddedStore(':memory:', clock.now);
  const access = new AccessList(store, clock.now);
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger('info', new Writable({ write: (c, _e, cb) => (c.toString().split('\n').filter(Boolean).forEach((l: string) => lines.push(JSON.parse(l))), cb()) }));
  const config: Snapshot = validateConfig({ ...embeddedDefault(), relay: { lanNetworks: ['192.0.2.0/24'], ...relay }, access: { autoDeny } }, 'test', '/tmp');
  const d: AutoDenyDeps = { abuse: new AbuseEvents(), access, store, config: () => config, log };
  return { clock, store, access, d, lines, config };
}

const ev = (ip: string, over: Partial<AbuseEvent> = {}): AbuseEvent => ({ ip, kind: 'failed-commands', feature: 'H5', trusted: false, detail: 'test', ...over });

test('H6 defaults: 3 events within 1 hour, deny for 1 hour doubling to at most 1 week, at most 10000 entries', () => {
  const c = validateConfig(embeddedDefault(), 'test', '/tmp').access.autoDeny;
  assert.deepEqual(
    { enabled: c.enabled, threshold: c.threshold, windowMs: c.windowMs, expiresMs: c.expiresMs, maxExpiresMs: c.maxExpiresMs, maxEntries: c.maxEntries, v6: c.ipv6PrefixLength },
    { enabled: true, threshold: 3, windowMs: HOUR, expiresMs: HOUR, maxExpiresMs: 7 * 24 * HOUR, maxEntries: 10000, v6: 64 },
  );
});

test('H6 the threshold-th event within the window denies the address, with reason and expiry', async () => {
  const { d, access, clock, store, lines } = setup();
  try {
    await access.load();
    assert.equal(await onAbuse(ev('203.0.113.5'), d), undefined);
    assert.equal(await onAbuse(ev('203.0.113.5', { kind: 'bad-auth', feature: 'R4' }), d), undefined);
    assert.equal(access.denied('203.0.113.5'), undefined);
    assert.equal(await onAbuse(ev('203.0.113.5', { kind: 'large-message', feature: 'S4' }), d), '203.0.113.5/32');
    const e = access.denied('203.0.113.5')!;
    assert.equal(e.source, 'auto');
    assert.equal(e.expiresAt, clock.t + HOUR);
    assert.match(e.reason, /^H6 automatic: S4 large-message/);
    const logged = lines.find((l) => l.event === 'auto-deny')!;
    assert.equal(logged.feature, 'H6');
    assert.equal(logged.network, '203.0.113.5/32');
  } finally {
    await store.close();
  }
});

test('H6 events outside the window do not add up', async () => {
  const { d, access, clock, store } = setup({ threshold: 2, windowMs: 60_000 });
  try {
    await access.load();
    await onAbuse(ev('203.0.113.6'), d);
    clock.t += 60_001;
    assert.equal(await onAbuse(ev('203.0.113.6'), d), undefined);
    assert.equal(await onAbuse(ev('203.0.113.6'), d), '203.0.113.6/32');
  } finally {
    await store.close();
  }
});

test('H6 repeat offenders: expiry doubles each time, capped at maxExpiresMs', async () => {
  const { d, access, clock, store } = setup({ threshold: 1, expiresMs: HOUR, maxExpiresMs: 5 * HOUR });
  try {
    await access.load();
    const ttls: number[] = [];
    for (let i = 0; i < 5; i++) {
      assert.equal(await onAbuse(ev('198.51.100.9'), d), '198.51.100.9/32');
      const e = access.denied('198.51.100.9')!;
      ttls.push(e.expiresAt! - clock.t);
      clock.t = e.expiresAt! + 1; // the deny ran out; the client comes back and misbehaves again
    }
    assert.deepEqual(ttls, [HOUR, 2 * HOUR, 4 * HOUR, 5 * HOUR, 5 * HOUR]);
  } finally {
    await store.close();
  }
});

test('H6 trusted (authenticated / LAN) and allow-listed clients are never denied; disabled does nothing', async () => {
  const { d, access, store } = setup({ threshold: 1 });
  try {
    await access.load();
    await access.add('allow', '198.51.100.0/24', { reason: 'partner' });
    assert.equal(await onAbuse(ev('203.0.113.7', { trusted: true }), d), undefined);
    assert.equal(await onAbuse(ev('192.0.2.44'), d), undefined, 'LAN');
    assert.equal(await onAbuse(ev('198.51.100.20'), d), undefined, 'allow list');
    assert.equal(access.size('deny'), 0);
  } finally {
    await store.close();
  }
  const off = setup({ threshold: 1, enabled: false });
  try {
    await off.access.load();
    assert.equal(await onAbuse(ev('203.0.113.8'), off.d), undefined);
  } finally {
    await off.store.close();
  }
});

test('H6 IPv6 clients are counted and denied per /64', async () => {
  const { d, access, store, config } = setup({ threshold: 2 });
  try {
    await access.load();
    assert.equal(autoDenyNetwork('2001:db8:1:2:aaaa::1', config), '2001:db8:1:2::/64');
    assert.equal(autoDenyNetwork('::ffff:203.0.113.1', config), '203.0.113.1/32');
    await onAbuse(ev('2001:db8:1:2::1'), d);
    assert.equal(await onAbuse(ev('2001:db8:1:2::ffff'), d), '2001:db8:1:2::/64');
    assert.ok(access.denied('2001:db8:1:2:1234::9'));
    assert.equal(access.denied('2001:db8:1:3::1'), undefined);
  } finally {
    await store.close();
  }
});

test('H6 the list is bounded: past maxEntries the oldest automatic entries go, manual ones stay', async () => {
  const { d, access, clock, store } = setup({ threshold: 1, maxEntries: 3 });
  try {
    await access.load();
    await access.add('deny', '198.51.100.1', { reason: 'manual, old' });
    for (let i = 1; i <= 5; i++) {
      clock.t += 1000;
      await onAbuse(ev(`203.0.113.${i}`), d);
    }
    const list = await access.list('deny');
    assert.deepEqual(list.map((e) => `${e.network} ${e.source}`), ['198.51.100.1/32 manual', '203.0.113.3/32 auto', '203.0.113.4/32 auto', '203.0.113.5/32 auto']);
  } finally {
    await store.close();
  }
});

test('H6 startAutoDeny subscribes to the abuse events; a failing store is logged, never thrown', async () => {
  const { d, access, store, lines } = setup({ threshold: 1 });
  await access.load();
  startAutoDeny(d);
  d.abuse.report(ev('203.0.113.77'));
  for (let i = 0; i < 100 && !access.denied('203.0.113.77'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(access.denied('203.0.113.77'));
  await store.close();
  d.abuse.report(ev('203.0.113.78'));
  for (let i = 0; i < 100 && !lines.some((l) => l.event === 'auto-deny' && l.err); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(lines.some((l) => l.event === 'auto-deny' && l.err), 'failure logged');
});
