// R10 / Q6 the queue: messages with their recipients' state, filters, pages, and
// per-message actions (hold, release, retry, bounce, delete, show).

import { api, qs } from './api.js';
import { act, form, h, notice, table } from './ui.js';

function age(ms) {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return s < 172800 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`;
}

function next(m) {
  if (m.held) return 'held';
  if (m.nextAttempt === null) return '';
  return m.nextAttempt <= Date.now() ? 'due' : new Date(m.nextAttempt).toLocaleTimeString();
}

export function queue(root) {
  const status = h('div');
  const summary = h('p', { class: 'queue-summary' });
  const box = h('div');
  const detail = h('pre', { class: 'detail' });
  let filter = {};
  const pages = [undefined];
  const load = async () => {
    const r = await act(status, () => api('GET', `/queue${qs({ ...filter, limit: 50, cursor: pages[pages.length - 1] })}`));
    if (!r) return;
    summary.textContent = `${r.total} message(s) queued${r.hold.held ? '; delivery is held' + (r.hold.config ? ' (delivery.hold in the configuration)' : '') : ''}${r.unreadable.length ? `; ${r.unreadable.length} unreadable` : ''}.`;
    const rows = table(['queue id', 'from', 'recipients', 'age', 'size', 'next attempt', 'actions'], r.items, (m) => [
      h('code', {}, m.id),
      m.mailFrom || '<>',
      h('ul', { class: 'rcpts' }, m.recipients.map((x) => h('li', {}, `${x.address} (${x.channel}) ${x.state}${x.reply ? `: ${x.reply}` : ''}`))),
      age(m.ageMs),
      String(m.size),
      h('span', { class: 'next' }, next(m)),
      h('span', { class: 'actions', 'data-id': m.id },
        m.held ? button('release', m.id) : button('hold', m.id),
        button('retry', m.id),
        button('bounce', m.id),
        button('delete', m.id),
        h('button', { type: 'button', class: 'show', onclick: () => show(m.id) }, 'show')),
    ], 'the queue is empty (or nothing matches the filter)');
    box.replaceChildren(rows, h('p', { class: 'pager' },
      pages.length > 1 ? h('button', { type: 'button', onclick: () => { pages.pop(); load(); } }, 'previous page') : '',
      r.nextCursor ? h('button', { type: 'button', onclick: () => { pages.push(r.nextCursor); load(); } }, 'next page') : ''));
  };
  const DONE = {
    hold: (r) => (r.held.length ? `held ${r.held.join(' ')}` : `already held: ${r.already.join(' ')}`),
    release: (r) => (r.released.length ? `released ${r.released.join(' ')}` : `not held: ${r.notHeld.join(' ')}`),
    retry: (r) => (r.answered ? `retry started for ${r.answer.done.join(' ')}` : 'no running scheduler answered; the request waits for the next start'),
    bounce: (r) => (r.answered ? `bounced ${r.answer.done.join(' ')}` : 'no running scheduler answered; the request waits for the next start'),
    delete: (r) => `deleted ${r.deleted.join(' ')}`,
  };
  const CONFIRM = { bounce: 'Return this message to its sender now?', delete: 'Delete this message without any notice to the sender?' };
  function button(op, id) {
    return h('button', { type: 'button', class: op, onclick: async () => {
      if (CONFIRM[op] && !window.confirm(`${CONFIRM[op]} (${id})`)) return;
      if (await act(status, () => api('POST', `/queue/${op}`, { ids: [id] }), DONE[op])) load();
    } }, op);
  }
  const show = async (id) => {
    const m = await act(status, () => api('GET', `/queue/${encodeURIComponent(id)}`));
    if (m) detail.textContent = `${m.id} (${m.state}, ${m.size} bytes)\n\n${JSON.stringify(m.envelope, null, 2)}\n\n${m.headers}`;
  };
  const filters = form(
    [
      { name: 'sender', placeholder: 'sender (globs)' },
      { name: 'rcptDomain', placeholder: 'recipient domain' },
      { name: 'clientIp', placeholder: 'client IP or CIDR' },
      { name: 'since', placeholder: 'since (30m, 2h, ISO)', size: 14 },
    ],
    'Filter',
    (v) => {
      filter = v;
      pages.length = 1;
      load();
    },
  );
  const refresh = h('button', { type: 'button', class: 'refresh', onclick: () => load() }, 'Refresh');
  root.replaceChildren(h('h2', {}, 'Queue'), filters, refresh, summary, status, box, detail);
  notice(status, '');
  load();
  return () => {};
}
