// Small DOM helpers. Text from the server is only ever set as text (never as
// HTML), so a crafted sender or reason cannot inject markup.

/** h('td', { class: 'x', onclick: fn }, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** A table with a header row; `row` turns an item into its cells (strings or nodes). */
export function table(columns, items, row, empty = 'nothing to show') {
  if (!items.length) return h('p', { class: 'empty' }, empty);
  return h('table', {}, h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c)))), h('tbody', {}, items.map((it) => h('tr', {}, row(it).map((c) => h('td', {}, c))))));
}

/** The status line of a view: what happened, or the server's error message. */
export function notice(el, text, kind = 'ok') {
  el.replaceChildren(text ? h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text) : '');
}

/** Runs an async action, showing its error (the server's message) in `status`. */
export async function act(status, fn, done) {
  try {
    const r = await fn();
    if (done) notice(status, typeof done === 'function' ? done(r) : done);
    return r;
  } catch (e) {
    notice(status, e.message, 'error');
    return undefined;
  }
}

/** A form whose fields are named inputs; `submit` gets their values. */
export function form(fields, label, submit) {
  const inputs = fields.map((f) => h('input', { name: f.name, placeholder: f.placeholder ?? f.name, 'aria-label': f.label ?? f.name, required: f.required, type: f.type ?? 'text', size: f.size }));
  const el = h('form', { class: 'inline' }, inputs, h('button', { type: 'submit' }, label));
  el.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const values = {};
    for (const i of inputs) values[i.name] = i.value.trim();
    submit(values, el);
  });
  return el;
}

export function time(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString();
}

export function reply(d) {
  return d.code ? `${d.code} ${d.enhanced ?? ''}`.trim() : '';
}
