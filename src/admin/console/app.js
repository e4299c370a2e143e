// The web console: login with an admin token, then one view at a time, chosen by
// the location hash (#overview, #stream, #why, #queue, #access, #directory).
// Every view reads and acts through the admin API (api.js).

import { api, getToken, setToken } from './api.js';
import { access } from './access.js';
import { stream, why } from './decisions.js';
import { directory } from './directory.js';
import { overview } from './overview.js';
import { queue } from './queue.js';
import { h, notice } from './ui.js';

const VIEWS = {
  overview: ['Overview', overview],
  stream: ['Live decisions', stream],
  why: ['Why refused?', why],
  queue: ['Queue', queue],
  access: ['Access lists', access],
  directory: ['Domains & mailboxes', directory],
};

const app = document.getElementById('app');
let cleanup = () => {};
/** True once a view is shown: a 401 then means the token stopped working. */
let inside = false;

function showLogin(message) {
  cleanup();
  cleanup = () => {};
  inside = false;
  const status = h('div');
  const input = h('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'off', required: true, size: 50 });
  const f = h('form', { class: 'login' }, h('label', { for: 'token' }, 'Admin token'), input, h('button', { type: 'submit' }, 'Log in'));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    setToken(input.value.trim());
    try {
      await api('GET', '');
      show();
    } catch (e) {
      setToken(null);
      notice(status, e.status === 401 ? 'That token was not accepted. Create one with "rampart admin token create --name NAME".' : e.message, 'error');
    }
  });
  app.replaceChildren(h('h1', {}, 'Rampart'), h('p', {}, 'Log in with an admin API token. It is kept in this browser tab only.'), f, status);
  if (message) notice(status, message, 'error');
  input.focus();
}

function show() {
  if (!getToken()) return showLogin();
  const name = Object.hasOwn(VIEWS, location.hash.slice(1)) ? location.hash.slice(1) : 'overview';
  cleanup();
  inside = true;
  const nav = h('nav', {}, Object.entries(VIEWS).map(([k, [label]]) => h('a', { href: `#${k}`, class: k === name ? 'current' : undefined }, label)),
    h('button', { type: 'button', class: 'logout', onclick: () => { setToken(null); showLogin(); } }, 'Log out'));
  const main = h('main', { id: `view-${name}` });
  app.replaceChildren(h('header', {}, h('h1', {}, 'Rampart'), nav), main);
  cleanup = VIEWS[name][1](main) ?? (() => {});
}

// A token that stops working (revoked, or the server's tokens changed) sends the user back to the login.
window.addEventListener('rampart:unauthorized', () => {
  if (!inside) return;
  setToken(null);
  showLogin('Your token is no longer accepted; log in again.');
});
window.addEventListener('hashchange', show);
show();
