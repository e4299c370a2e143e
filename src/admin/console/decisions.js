// The live decision stream with filters, and "why was this refused?": a search
// over the server's recent decisions by IP, sender, recipient or queue id.

import { api, openStream, qs } from './api.js';
import { act, form, h, notice, reply, table, time } from './ui.js';

const MAX_ROWS = 200;
const COLUMNS = ['time', 'client', 'stage', 'check', 'action', 'reply', 'from', 'rcpt', 'queue id', 'reason'];

function cells(d) {
  return [time(d.time), d.client, d.stage, d.check, h('span', { class: `action ${d.action}${d.warn ? ' warn' : ''}` }, d.warn ? `${d.action} (warn)` : d.action), reply(d), d.from ?? '', d.rcpt ?? '', d.queueId ?? '', d.reason ?? ''];
}

function row(d) {
  return h('tr', { class: 'decision', 'data-seq': d.seq }, cells(d).map((c) => h('td', {}, c)));
}

export function stream(root) {
  const status = h('div');
  const body = h('tbody');
  const tbl = h('table', { class: 'stream' }, h('thead', {}, h('tr', {}, COLUMNS.map((c) => h('th', {}, c)))), body);
  let stop = () => {};
  const start = (filter) => {
    stop();
    body.replaceChildren();
    notice(status, 'connecting…');
    stop = openStream(
      { ...filter, backlog: 50 },
      (d) => {
        body.prepend(row(d));
        while (body.children.length > MAX_ROWS) body.lastChild.remove();
      },
      (state, message) => notice(status, state === 'open' ? 'live' : message, state === 'open' ? 'ok' : 'error'),
    );
  };
  const filters = form(
    [
      { name: 'check', placeholder: 'check (e.g. rcpt.*)' },
      { name: 'ip', placeholder: 'client IP or CIDR' },
      { name: 'sender', placeholder: 'sender (globs)' },
      { name: 'action', placeholder: 'action (refused, reject…)' },
    ],
    'Filter',
    (v) => start(v),
  );
  root.replaceChildren(h('h2', {}, 'Live decisions'), filters, status, tbl);
  start({});
  return () => stop();
}

export function why(root) {
  const status = h('div');
  const results = h('div');
  const search = async (v) => {
    const r = await act(status, () => api('GET', `/decisions${qs({ ...v, limit: 200 })}`));
    if (!r) return;
    notice(status, r.items.length ? `${r.items.length} decision(s), newest first` : 'no recent decision matches (the server keeps recent decisions only, in memory)');
    results.replaceChildren(table(COLUMNS, r.items, cells, ''));
  };
  const f = form(
    [
      { name: 'ip', placeholder: 'client IP or CIDR' },
      { name: 'sender', placeholder: 'sender' },
      { name: 'rcpt', placeholder: 'recipient' },
      { name: 'queueId', placeholder: 'queue id' },
      { name: 'action', placeholder: 'action (default: refused)' },
    ],
    'Search',
    (v) => search({ ...v, action: v.action || 'refused' }),
  );
  root.replaceChildren(h('h2', {}, 'Why was this refused?'), h('p', {}, 'Searches the decisions the server made recently (newest first). Leave the action empty for refusals only, or type "accept", "warn", …'), f, status, results);
  return () => {};
}
