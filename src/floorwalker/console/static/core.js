// The console's core: API calls, DOM building, the page router and the live socket.
// Page modules import from here only; app.js wires them together and boots.

export const state = { me: null, workspace: null, csrf: null, prefs: null };

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Call the API as the logged-in account: JSON in, JSON out; errors become ApiError.
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (state.csrf && method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = state.csrf;
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Blob) {
      payload = body;
      headers['Content-Type'] = opts.type || 'text/plain';
    } else {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
  }
  const response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (opts.raw) return response;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_e) { data = text; }
  if (!response.ok) {
    const err = (data && data.error) || {};
    const e = new ApiError(response.status, err.code || 'http_' + response.status,
      err.message || response.statusText);
    e.details = err;
    if (response.status === 401 && err.code === 'login_required' && onLoggedOut) onLoggedOut();
    throw e;
  }
  return data;
}

let onLoggedOut = null;
export function whenLoggedOut(fn) { onLoggedOut = fn; }

// h('button', {class: 'x', onclick: fn, 'data-x': 1}, 'text', child...)
// A link target the console may use: http(s), or a relative link of its own ('#/chats').
// A visitor's page URL is their text: `javascript:` there must never become a link.
export function safeHref(value) {
  try {
    const url = new URL(String(value), location.origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? String(value) : null;
  } catch (e) {
    return null;
  }
}

export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'href' && safeHref(value) === null) continue; // a second guard for every link
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else if (key === 'style' && typeof value === 'object') Object.assign(node.style, value);
    else if (key === 'value' && 'value' in node) node.value = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

// Pages: route('visitors', {title: 'Visitors', nav: true, admin: false, render(view, params)}).
// render may return a cleanup function, called when another page is shown.
export const routes = new Map();
export function route(name, def) { routes.set(name, { name, ...def }); }

export function navigate(name, params = {}) {
  const query = new URLSearchParams(params).toString();
  location.hash = '#/' + name + (query ? '?' + query : '');
}

export function currentRoute() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [name, query] = raw.split('?');
  return { name: name || 'visitors', params: Object.fromEntries(new URLSearchParams(query || '')) };
}

export function isAdmin() { return !!state.me && state.me.role === 'admin'; }

// A short message at the bottom of the screen.
export function toast(text, kind = 'info') {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const item = h('div', { class: 'toast toast-' + kind }, text);
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

// Render an ApiError next to a form (its problems when the server listed them).
export function errorText(err) {
  if (!(err instanceof ApiError)) return String(err && err.message || err);
  const problems = err.details && (err.details.details || err.details.problems);
  if (Array.isArray(problems) && problems.length) {
    return err.message + ' ' + problems.map((p) => (p.path ? p.path + ': ' : '') + (p.problem || p.message || p)).join('; ');
  }
  return err.message + ' (' + err.code + ')';
}

// Formatting.
export function duration(seconds) {
  seconds = Math.max(0, Math.round(seconds || 0));
  if (seconds < 60) return seconds + ' s';
  if (seconds < 3600) return Math.floor(seconds / 60) + ' min ' + (seconds % 60) + ' s';
  return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
}

export function when(epoch) {
  if (!epoch) return '';
  const d = new Date(epoch * 1000);
  const today = new Date();
  return d.toDateString() === today.toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

export function money(value, currency) {
  if (value === null || value === undefined) return '';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency || 'EUR' }).format(value);
  } catch (_e) {
    return value.toFixed(2) + ' ' + (currency || '');
  }
}

export function flag(country) {
  if (!country || country.length !== 2) return '';
  return String.fromCodePoint(...[...country.toUpperCase()].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

// The live connection (/ws/agent with the session cookie). Pages subscribe to frame
// types with on(); onConnect() callbacks run after every (re)connect so a page reloads
// what it shows: the state after a reconnect equals a fresh load.
export const socket = {
  ws: null,
  handlers: new Map(),
  connectHandlers: new Set(),
  attempts: 0,
  connected: false,
  stopped: false,
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
    return () => this.handlers.get(type).delete(fn);
  },
  onConnect(fn) {
    this.connectHandlers.add(fn);
    return () => this.connectHandlers.delete(fn);
  },
  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  },
  start() {
    this.stopped = false;
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/agent?v=1';
    const ws = new WebSocket(url);
    this.ws = ws;
    let ping = null;
    ws.onopen = () => {
      this.attempts = 0;
      this.connected = true;
      document.body.classList.remove('offline');
    };
    ws.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (_e) { return; }
      if (frame.type === 'welcome') {
        clearInterval(ping);
        ping = setInterval(() => this.send({ type: 'ping' }), (frame.heartbeat || 25) * 1000);
        for (const fn of this.connectHandlers) fn(frame);
      }
      for (const fn of this.handlers.get(frame.type) || []) fn(frame);
      for (const fn of this.handlers.get('*') || []) fn(frame);
    };
    ws.onclose = (event) => {
      clearInterval(ping);
      this.connected = false;
      if (this.ws !== ws || this.stopped) return;
      // 4401: the session ended (logout, account disabled, password changed): log in again.
      if (event.code === 4401 && onLoggedOut) {
        this.stopped = true;
        onLoggedOut();
        return;
      }
      document.body.classList.add('offline');
      const delay = Math.min(10000, 500 * 2 ** this.attempts++) * (0.5 + Math.random() / 2);
      setTimeout(() => { if (!this.stopped) this.start(); }, delay);
    };
  },
  stop() {
    this.stopped = true;
    if (this.ws) this.ws.close();
    this.ws = null;
  },
  // For tests and the reconnect check: drop the connection as a network would.
  drop() { if (this.ws) this.ws.close(); },
};
