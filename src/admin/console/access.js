// R2 deny and allow lists: entries with reason, expiry and hit count, page by
// page; add an entry, remove one, or unban an address (every deny entry that
// covers it goes).

import { api, qs } from './api.js';
import { act, form, h, notice, table, time } from './ui.js';

function list(kind, status, onChange) {
  const box = h('div', { class: `access ${kind}` });
  const pages = [undefined];
  const load = async () => {
    const cursor = pages[pages.length - 1];
    const r = await act(status, () => api('GET', `/access/${kind}${qs({ limit: 50, cursor })}`));
    if (!r) return;
    const rows = table(['network', 'reason', 'source', 'added', 'expires', 'hits', ''], r.items, (e) => [
      e.network,
      e.reason,
      e.source,
      time(e.createdAt),
      e.expiresAt ? time(e.expiresAt) : 'never',
      String(e.hits),
      h('button', { type: 'button', class: 'remove', onclick: () => remove(e.network) }, 'remove'),
    ], `the ${kind} list is empty`);
    const nav = h('p', { class: 'pager' },
      pages.length > 1 ? h('button', { type: 'button', onclick: () => { pages.pop(); load(); } }, 'previous page') : '',
      r.nextCursor ? h('button', { type: 'button', onclick: () => { pages.push(r.nextCursor); load(); } }, 'next page') : '');
    box.replaceChildren(rows, nav);
  };
  const remove = async (network) => {
    if (await act(status, () => api('DELETE', `/access/${kind}/${encodeURIComponent(network)}`), `${network} removed from the ${kind} list`)) onChange();
  };
  const add = form(
    [
      { name: 'network', placeholder: 'IP or CIDR', required: true },
      { name: 'reason', placeholder: 'reason' },
      { name: 'expires', placeholder: 'expires (1h, 2d…)', size: 12 },
    ],
    `Add to ${kind} list`,
    async (v, el) => {
      const body = { network: v.network };
      if (v.reason) body.reason = v.reason;
      if (v.expires) body.expires = v.expires;
      if (await act(status, () => api('POST', `/access/${kind}`, body), (e) => `${e.network} added to the ${kind} list`)) {
        el.reset();
        onChange();
      }
    },
  );
  add.classList.add(`add-${kind}`);
  return { el: h('section', {}, h('h3', {}, kind === 'deny' ? 'Deny list' : 'Allow list'), add, box), load };
}

export function access(root) {
  const status = h('div');
  const reload = () => {
    deny.load();
    allow.load();
  };
  const deny = list('deny', status, reload);
  const allow = list('allow', status, reload);
  const unban = form([{ name: 'ip', placeholder: 'IP address', required: true }], 'Unban', async (v, el) => {
    const r = await act(status, () => api('POST', '/access/unban', { ip: v.ip }), (x) => `${x.ip} unbanned: ${x.removed.map((e) => e.network).join(', ')} removed`);
    if (r) {
      el.reset();
      reload();
    }
  });
  unban.classList.add('unban');
  root.replaceChildren(h('h2', {}, 'Access lists'), h('p', {}, 'Unban removes every deny entry that covers the address, manual or automatic.'), unban, status, deny.el, allow.el);
  notice(status, '');
  reload();
  return () => {};
}
