// The console's only way to the server: the admin API with the token the user
// typed, sent as "Authorization: Bearer" (never a cookie, so a cross-site request
// carries no credential). The token lives in sessionStorage: gone with the tab.

const KEY = 'rampart.token';
export const API = '/api/v1';

export function getToken() {
  return sessionStorage.getItem(KEY);
}

export function setToken(token) {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}

/** An API error: the HTTP status and the server's message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Tells the page (app.js) that the server no longer takes the token. */
function unauthorized() {
  window.dispatchEvent(new Event('rampart:unauthorized'));
}

function headers(extra = {}) {
  return { authorization: `Bearer ${getToken() ?? ''}`, ...extra };
}

async function call(method, url, body) {
  const init = { method, headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }), cache: 'no-store' };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await fetch(url, init);
  const text = await r.text();
  let data = text;
  try {
    data = JSON.parse(text);
  } catch {
    // /metrics answers text
  }
  if (!r.ok) {
    if (r.status === 401) unauthorized();
    throw new ApiError(r.status, data?.message || `HTTP ${r.status}`);
  }
  return data;
}

/** Calls the API (path under /api/v1); resolves to the JSON, rejects with an ApiError carrying the server's message. */
export function api(method, path, body) {
  return call(method, API + path, body);
}

/** The samples of /metrics (Prometheus text): [{ name, labels, value }], labels as written ('kind="deny"'). */
export async function metricSamples() {
  const out = [];
  for (const line of (await call('GET', '/metrics')).split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m) out.push({ name: m[1], labels: m[2] ?? '', value: Number(m[3]) });
  }
  return out;
}

/** "?a=1&b=2" from the non-empty fields of an object. */
export function qs(fields) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * The live decision stream (Server-Sent Events). EventSource cannot send an
 * Authorization header, so this reads the stream with fetch and parses the
 * events itself; after a drop it reconnects with Last-Event-ID, as EventSource
 * would, and the server sends what was missed. Returns a function that stops it.
 */
export function openStream(filter, onEvent, onState) {
  const ctl = new AbortController();
  let lastId;
  let retryMs = 3000;
  let stopped = false;
  const run = async () => {
    while (!stopped) {
      try {
        const h = headers({ accept: 'text/event-stream' });
        if (lastId !== undefined) h['last-event-id'] = lastId;
        const r = await fetch(`${API}/decisions/stream${qs(filter)}`, { headers: h, signal: ctl.signal, cache: 'no-store' });
        if (!r.ok) {
          const body = await r.json().catch(() => ({}));
          if (r.status === 401) unauthorized();
          onState('error', body.message || `HTTP ${r.status}`);
          if (r.status === 400 || r.status === 401 || r.status === 403) return; // retrying would not help
        } else {
          onState('open');
          await readEvents(r.body, (ev) => {
            if (ev.id !== undefined) lastId = ev.id;
            if (ev.retry !== undefined) retryMs = ev.retry;
            if (ev.event === 'decision' && ev.data) onEvent(JSON.parse(ev.data));
          });
          if (!stopped) onState('error', 'the stream ended; reconnecting');
        }
      } catch (e) {
        if (stopped) return;
        onState('error', `${e.message}; reconnecting`);
      }
      await new Promise((r) => setTimeout(r, retryMs));
    }
  };
  run();
  return () => {
    stopped = true;
    ctl.abort();
  };
}

/** Parses an event-stream body: fields per event, events end at a blank line. */
async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let ev = {};
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let nl = buf.search(/\r\n|\r|\n/);
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        onEvent(ev);
        ev = {};
      } else if (!line.startsWith(':')) {
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'data') ev.data = ev.data === undefined ? val : `${ev.data}\n${val}`;
        else if (field === 'id') ev.id = val;
        else if (field === 'event') ev.event = val;
        else if (field === 'retry' && /^\d+$/.test(val)) ev.retry = Number(val);
      }
      nl = buf.search(/\r\n|\r|\n/);
    }
  }
}
