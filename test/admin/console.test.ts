// The web console in a real headless Chromium (Debian's chromium, driven by
// playwright-core; scripts/test-prereqs.sh installs it): a wrong token is refused
// with a message, then with a real token the user sees a message the test sends
// over SMTP appear in the live decision stream, finds it with "why was this
// refused?", unbans an IP, and holds and releases a queued message (delivery.hold
// keeps it queued), manages domains, mailboxes and aliases; a read-only token is refused changes, a revoked one is logged out. The stream carries
// policy decisions: the test's messages have a bare LF, which the bare-line-ending
// check, in warn mode here, reports while letting the message in. Each step checks the
// result through the API too, so the page cannot claim what did not happen.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startAdminTestServer, type AdminTestServer } from '../helpers/admin.js';
import { SmtpClient } from '../helpers/smtp-client.js';

const CHROMIUM = '/usr/bin/chromium';
const STEP_MS = 10_000;

let ts: AdminTestServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  ts = await startAdminTestServer({ delivery: { hold: true }, policy: { warn: ['eod.bareLineEndings'] } });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'], timeout: 30_000 });
  page = await browser.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 500) pageErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
});

after(async () => {
  await browser?.close();
  await ts?.stop();
});

/** Starts from the login form (a new tab's state: no token kept) and logs in with `token`. */
async function login(token: string): Promise<void> {
  await page.goto(`${ts.base}/console/`);
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
  await page.fill('#token', token);
  await page.click('form.login button[type=submit]');
}

/** Sends one message (with a bare LF: a warn-mode decision) over real SMTP; returns its queue id. */
async function sendMessage(from: string): Promise<string> {
  const c = await SmtpClient.connect(ts.ports.mx);
  try {
    assert.equal((await c.reply()).code, 220);
    assert.equal((await c.cmd('EHLO client.test')).code, 250);
    assert.equal((await c.cmd(`MAIL FROM:<${from}>`)).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    const r = await c.cmd(`From: <${from}>\r\nTo: <alice@example.test>\r\nSubject: console test\r\n\r\nbare\nline\r\n.`);
    assert.equal(`${r.code} ${r.enhanced}`, '250 2.0.0');
    const id = /queued as (\S+)/.exec(r.text)?.[1] ?? '';
    await c.cmd('QUIT');
    const q = await ts.call('GET', `/api/v1/queue/${id}`);
    assert.equal(q.body.queue.mailFrom, from);
    return id;
  } finally {
    c.close();
  }
}

test('a wrong token gets an error and no console', async () => {
  await login('not-a-real-token');
  const alert = page.locator('[role=alert]');
  await alert.waitFor();
  assert.match(await alert.innerText(), /token was not accepted/);
  assert.equal(await page.locator('nav').count(), 0);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('rampart.token')), null);
});

test('log in: the overview shows counters and the chart; the page is served with a strict CSP', async () => {
  const res = await page.goto(`${ts.base}/console/`);
  assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
  await login(ts.token);
  await page.locator('nav a.current', { hasText: 'Overview' }).waitFor();
  await page.locator('svg.chart').waitFor();
  await page.locator('dd[data-counter="sessions open"]').waitFor();
  assert.equal(await page.evaluate(() => document.cookie), '', 'no cookie: the token goes in a header');
});

test('a message sent over SMTP appears in the live decision stream', async () => {
  await page.goto(`${ts.base}/console/#stream`);
  await page.locator('.notice', { hasText: 'live' }).waitFor();
  const from = `stream-probe-${Date.now()}@client.test`;
  const id = await sendMessage(from);
  const row = page.locator('tr.decision', { hasText: from }).first();
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(`eod\\.bareLineEndings[\\s\\S]*warn[\\s\\S]*${id}`));
  // The filter narrows the stream to one sender: a message from another stays out.
  await page.fill('form.inline input[name=sender]', from);
  await page.click('form.inline button[type=submit]');
  await page.locator('.notice', { hasText: 'live' }).waitFor();
  await page.locator('tr.decision', { hasText: id }).first().waitFor(); // the backlog replays its decisions
  await sendMessage(`other-${Date.now()}@client.test`);
  // Events arrive in order: once a later message of the filtered sender shows, the other one would have.
  const later = await sendMessage(from);
  await page.locator('tr.decision', { hasText: later }).first().waitFor();
  const rows = await page.locator('tr.decision').allInnerTexts();
  assert.ok(rows.length > 0 && rows.every((r) => r.includes(from)), rows.join('\n'));
});

test('"why was this refused?" finds a message\'s decisions by queue id and by sender', async () => {
  const from = `why-probe-${Date.now()}@client.test`;
  const id = await sendMessage(from);
  await page.goto(`${ts.base}/console/#why`);
  await page.fill('form.inline input[name=queueId]', id.toLowerCase());
  await page.fill('form.inline input[name=action]', 'warn');
  await page.click('form.inline button[type=submit]');
  await page.locator('#view-why .notice', { hasText: '1 decision(s)' }).waitFor();
  assert.match(await page.locator('#view-why tbody tr').innerText(), new RegExp(`eod\\.bareLineEndings[\\s\\S]*${from}`));
  // Refusals only (the default): a warn-mode verdict is not one.
  await page.fill('form.inline input[name=queueId]', '');
  await page.fill('form.inline input[name=action]', '');
  await page.fill('form.inline input[name=sender]', from);
  await page.click('form.inline button[type=submit]');
  await page.locator('#view-why .notice', { hasText: 'no recent decision matches' }).waitFor();
});

test('unban an IP from the access lists view', async () => {
  const added = await ts.call('POST', '/api/v1/access/deny', { network: '192.0.2.55', reason: 'console test' });
  assert.equal(added.status, 201);
  await page.goto(`${ts.base}/console/#access`);
  await page.locator('.access.deny td', { hasText: '192.0.2.55/32' }).waitFor();
  await page.fill('form.unban input[name=ip]', '192.0.2.55');
  await page.click('form.unban button[type=submit]');
  await page.locator('.notice', { hasText: '192.0.2.55 unbanned' }).waitFor();
  assert.equal((await ts.call('GET', '/api/v1/access/deny/192.0.2.55')).status, 404);
  await page.locator('.access.deny .empty').waitFor();
  // Unbanning an address that is not listed shows the server's message.
  await page.fill('form.unban input[name=ip]', '192.0.2.55');
  await page.click('form.unban button[type=submit]');
  await page.locator('[role=alert]', { hasText: '192.0.2.55 is not on the deny list' }).waitFor();
});

test('hold and release a queued message from the queue view', async () => {
  const id = await sendMessage(`queue-probe-${Date.now()}@client.test`);
  await page.goto(`${ts.base}/console/#queue`);
  const actions = page.locator(`.actions[data-id="${id}"]`);
  await actions.locator('button.hold').click();
  await page.locator('.notice', { hasText: `held ${id}` }).waitFor();
  await actions.locator('button.release').waitFor();
  assert.equal((await ts.call('GET', `/api/v1/queue/${id}`)).body.queue.held, true);
  await actions.locator('button.release').click();
  await page.locator('.notice', { hasText: `released ${id}` }).waitFor();
  await actions.locator('button.hold').waitFor();
  assert.equal((await ts.call('GET', `/api/v1/queue/${id}`)).body.queue.held, false);
  assert.deepEqual(pageErrors, []);
});

test('domains, mailboxes and aliases: add each from the directory view, mail to the alias is accepted, remove it again', async () => {
  await page.goto(`${ts.base}/console/#directory`);
  await page.fill('form.add-domains input[name=name]', 'console.example');
  await page.click('form.add-domains button[type=submit]');
  await page.locator('.notice', { hasText: 'domain console.example added' }).waitFor();
  await page.locator('.list.domains td', { hasText: 'console.example' }).waitFor();

  await page.fill('form.add-mailboxes input[name=address]', 'carol@console.example');
  await page.click('form.add-mailboxes button[type=submit]');
  const shown = await page.locator('.notice', { hasText: 'mailbox carol@console.example added; its generated password (shown once): ' }).textContent();
  assert.match(shown ?? '', /\(shown once\): \S{12,}/);
  assert.equal((await ts.call('GET', '/api/v1/mailboxes/carol@console.example')).status, 200);

  await page.fill('form.add-aliases input[name=address]', 'info@console.example');
  await page.fill('form.add-aliases input[name=targets]', 'carol@console.example, alice@example.test');
  await page.click('form.add-aliases button[type=submit]');
  await page.locator('.notice', { hasText: 'alias info@console.example added' }).waitFor();
  const alias = await ts.call('GET', '/api/v1/aliases/info@console.example');
  assert.deepEqual([...alias.body.targets].sort(), ['alice@example.test', 'carol@console.example']);
  // What the page added is what the server uses: RCPT to the alias is accepted over SMTP.
  const c = await SmtpClient.connect(ts.ports.mx);
  try {
    await c.reply();
    await c.cmd('EHLO client.test');
    await c.cmd('MAIL FROM:<someone@client.test>');
    const r = await c.cmd('RCPT TO:<info@console.example>');
    assert.equal(`${r.code} ${r.enhanced}`, '250 2.1.5');
  } finally {
    c.close();
  }

  page.once('dialog', (d) => void d.accept());
  await page.locator('.list.aliases tr', { hasText: 'info@console.example' }).locator('button.remove').click();
  await page.locator('.notice', { hasText: 'info@console.example removed' }).waitFor();
  assert.equal((await ts.call('GET', '/api/v1/aliases/info@console.example')).status, 404);
  assert.deepEqual(pageErrors, []);
});

test('a read-only token sees everything and gets the API\'s refusal on a change', async () => {
  await login(ts.readOnly);
  // The overview counts the warn-mode verdicts of the messages sent above, and charts them.
  await page.locator('svg.chart rect.bar.warn').first().waitFor();
  assert.ok(Number(await page.locator('dd[data-counter="warn-mode verdicts"]').innerText()) >= 3);
  await page.click('nav a[href="#access"]');
  await page.fill('form.add-deny input[name=network]', '198.51.100.7');
  await page.click('form.add-deny button[type=submit]');
  await page.locator('[role=alert]', { hasText: 'token ro is read-only' }).waitFor();
  assert.equal((await ts.call('GET', '/api/v1/access/deny/198.51.100.7')).status, 404);
});

test('a token revoked while logged in sends the user back to the login, with a message', async () => {
  const web = ts.server.directory.tokens.create('web').token;
  await login(web);
  await page.locator('nav a.current', { hasText: 'Overview' }).waitFor();
  ts.server.directory.tokens.revoke('web');
  await page.click('nav a[href="#access"]');
  await page.locator('[role=alert]', { hasText: 'no longer accepted' }).waitFor();
  await page.locator('#token').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('rampart.token')), null);
  assert.deepEqual(pageErrors, []);
});
