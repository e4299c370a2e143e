// The directory: domains, mailboxes and aliases (list, add, remove). A mailbox
// added without a password gets a generated one, shown here once.

import { api, qs } from './api.js';
import { act, form, h, table } from './ui.js';

/** One resource: a list with a remove button per row and an add form. */
function section(title, opts, status) {
  const box = h('div', { class: `list ${opts.path.slice(1)}` });
  const load = async () => {
    const r = await act(status, () => api('GET', `${opts.path}${qs({ limit: 1000 })}`));
    if (!r) return;
    box.replaceChildren(
      table([...opts.columns, ''], r.items, (it) => [...opts.cells(it), h('button', { type: 'button', class: 'remove', onclick: () => remove(it[opts.key]) }, 'remove')], `no ${title.toLowerCase()}`),
      r.nextCursor ? h('p', {}, 'Only the first 1000 are shown; use the CLI or the API to page further.') : '',
    );
  };
  const remove = async (key) => {
    if (!window.confirm(`Remove ${key}?`)) return;
    if (await act(status, () => api('DELETE', `${opts.path}/${encodeURIComponent(key)}`), `${key} removed`)) load();
  };
  const add = form(opts.fields, 'Add', async (v, el) => {
    const r = await act(status, () => api('POST', opts.path, opts.body(v)), opts.added);
    if (r) {
      el.reset();
      load();
    }
  });
  add.classList.add(`add-${opts.path.slice(1)}`);
  return { el: h('section', {}, h('h3', {}, title), add, box), load };
}

export function directory(root) {
  const status = h('div');
  const parts = [
    section('Domains', { path: '/domains', key: 'name', columns: ['domain', 'postoffice', 'catchall'], cells: (d) => [d.name, d.postoffice ?? '', d.catchall ?? ''], fields: [{ name: 'name', placeholder: 'domain', required: true }], body: (v) => ({ name: v.name }), added: (d) => `domain ${d.name} added` }, status),
    section('Mailboxes', {
      path: '/mailboxes',
      key: 'address',
      columns: ['address', 'can log in'],
      cells: (m) => [m.address, m.hasPassword ? 'yes' : 'no'],
      fields: [{ name: 'address', placeholder: 'local@domain', required: true }, { name: 'password', placeholder: 'password (empty: generate)', type: 'password' }],
      body: (v) => (v.password ? { address: v.address, password: v.password } : { address: v.address }),
      added: (m) => (m.password ? `mailbox ${m.address} added; its generated password (shown once): ${m.password}` : `mailbox ${m.address} added`),
    }, status),
    section('Aliases', {
      path: '/aliases',
      key: 'address',
      columns: ['address', 'targets'],
      cells: (a) => [a.address, a.targets.join(', ')],
      fields: [{ name: 'address', placeholder: 'alias@domain', required: true }, { name: 'targets', placeholder: 'targets, comma separated', required: true, size: 40 }],
      body: (v) => ({ address: v.address, targets: v.targets.split(',').map((t) => t.trim()).filter(Boolean) }),
      added: (a) => `alias ${a.address} added`,
    }, status),
  ];
  root.replaceChildren(h('h2', {}, 'Domains, mailboxes, aliases'), status, ...parts.map((p) => p.el));
  for (const p of parts) p.load();
  return () => {};
}
