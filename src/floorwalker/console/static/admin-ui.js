// Shared parts of the admin pages: tabs, forms whose fields show the server's problems
// next to them, tables that stack on a phone, copy buttons, confirmations.
import { ApiError, api, clear, errorText, h, navigate, route, state, toast } from './core.js';

export const TABS = [
  ['admin/scenarios', 'Scenarios'],
  ['admin/segments', 'Segments'],
  ['admin/departments', 'Departments'],
  ['admin/agents', 'Agents'],
  ['admin/canned', 'Canned replies'],
  ['admin/sites', 'Sites and keys'],
  ['admin/lookups', 'Lookup tables'],
  ['admin/settings', 'Settings'],
];

// An admin page: registered admin-only, drawn under the admin tabs.
export function adminPage(name, title, render) {
  route(name, {
    title, nav: false, admin: true,
    render(view, params) {
      localStorage.setItem('fw.admin.tab', name);
      for (const link of document.querySelectorAll('nav a[data-route="admin"]')) {
        link.setAttribute('aria-current', 'page');
      }
      const body = h('div', { class: 'admin-body' });
      const bar = tabs(name);
      clear(view, h('div', { class: 'admin' }, bar, h('h1', {}, title), body));
      const current = bar.querySelector('[aria-current]');
      if (current) bar.scrollLeft = Math.max(0, current.offsetLeft - bar.offsetLeft - 24);
      return render(body, params);
    },
  });
}

function tabs(current) {
  return h('nav', { class: 'admin-tabs', 'aria-label': 'Admin pages' },
    TABS.map(([name, title]) => h('a', {
      href: '#/' + name, 'data-tab': name, 'aria-current': name === current ? 'page' : null,
    }, title)));
}

// The problems of an ApiError ({path, problem} items), or [].
export function problemsOf(err) {
  if (!(err instanceof ApiError)) return [];
  const body = err.details || {};
  const list = body.details || body.problems || [];
  return Array.isArray(list) ? list.filter((p) => p && typeof p === 'object') : [];
}

// A form whose fields are registered under the JSON path the server names in its problems.
export class Form {
  constructor(attrs = {}) {
    this.fields = new Map(); // json path -> {input, slot}
    this.sinks = []; // [{prefix, show(problems), clear()}] for nested editors
    this.status = h('div', { class: 'form-problems', role: 'alert', 'data-test': 'form-problems' });
    this.el = h('form', { class: 'admin-form card', novalidate: true, ...attrs });
  }

  // <label>Text <input></label> plus a slot for its problems; `path` like "$.name".
  field(labelText, input, path, hint) {
    const slot = h('span', { class: 'field-problem', 'data-problem-for': path || '' });
    if (path) this.fields.set(path, { input, slot });
    const id = input.id || 'f' + Math.random().toString(36).slice(2, 9);
    input.id = id;
    const hintEl = hint ? h('span', { class: 'hint', id: id + '-hint' }, hint) : null;
    if (hintEl) input.setAttribute('aria-describedby', id + '-hint');
    return h('div', { class: 'field' }, h('label', { for: id }, labelText), input, hintEl, slot);
  }

  // Any element (a group of inputs) with its own problem slot.
  register(path, input, slot) { this.fields.set(path, { input, slot }); return slot; }

  // A nested editor (the condition builder) takes the problems under `prefix`.
  sink(prefix, editor) { this.sinks.push({ prefix, editor }); }

  clearProblems() {
    this.status.replaceChildren();
    for (const { input, slot } of this.fields.values()) {
      slot.textContent = '';
      input.removeAttribute('aria-invalid');
    }
    for (const { editor } of this.sinks) editor.clearProblems();
  }

  // Show each problem next to the field with the longest matching path.
  showProblems(problems, fallbackMessage) {
    this.clearProblems();
    const loose = [];
    const bySink = new Map();
    for (const p of problems) {
      // FastAPI's own validation names the body ("$.body.retention_days").
      const path = (p.path || '$').replace(/^\$\.body(?=[.[]|$)/, '$');
      const sink = this.sinks.find((s) => underPath(path, s.prefix));
      if (sink) {
        if (!bySink.has(sink)) bySink.set(sink, []);
        bySink.get(sink).push(p);
        continue;
      }
      const target = longestField(this.fields, path);
      if (target) {
        const f = this.fields.get(target);
        f.input.setAttribute('aria-invalid', 'true');
        f.slot.append(h('span', { class: 'problem' }, problemText({ ...p, path }, target)));
      } else {
        loose.push(p);
      }
    }
    for (const [sink, list] of bySink) sink.editor.showProblems(list, sink.prefix);
    const count = problems.length;
    this.status.append(h('p', { class: 'form-error' },
      fallbackMessage || (count === 1 ? 'One problem; nothing was saved.'
        : count + ' problems; nothing was saved.')));
    if (loose.length) {
      this.status.append(h('ul', {}, loose.map((p) => h('li', {}, (p.path ? p.path + ': ' : '') + (p.problem || p.message)))));
    }
  }

  // Show an API error: its problems inline, or its message.
  showError(err) {
    const problems = problemsOf(err);
    if (problems.length) this.showProblems(problems);
    else {
      this.clearProblems();
      this.status.append(h('p', { class: 'form-error' }, errorText(err)));
    }
  }

  ok(text) {
    this.clearProblems();
    this.status.append(h('p', { class: 'form-ok' }, text));
  }
}

export function underPath(path, prefix) {
  if (!path.startsWith(prefix)) return false;
  const next = path.charAt(prefix.length);
  return next === '' || next === '.' || next === '[';
}

function longestField(fields, path) {
  let best = null;
  for (const key of fields.keys()) {
    if (underPath(path, key) && (!best || key.length > best.length)) best = key;
  }
  return best;
}

function problemText(p, fieldPath) {
  const rest = (p.path || '').slice(fieldPath.length);
  return (rest ? rest.replace(/^\./, '') + ': ' : '') + (p.problem || p.message || '');
}

// <select> with its value set after the options exist.
export function select(options, value, attrs = {}) {
  const node = h('select', attrs, options.map((o) => {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    return h('option', { value: v }, text);
  }));
  if (value !== undefined && value !== null) node.value = String(value);
  return node;
}

export function input(value, attrs = {}) {
  const node = h('input', { type: 'text', ...attrs });
  if (value !== undefined && value !== null) node.value = String(value);
  return node;
}

export function textarea(value, attrs = {}) {
  const node = h('textarea', { rows: 3, ...attrs });
  node.value = value === undefined || value === null ? '' : String(value);
  return node;
}

export function numberOrNull(text) {
  const t = String(text).trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : t; // the server names what is wrong with a non-number
}

export function splitList(text) {
  return String(text).split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}

// A table that scrolls sideways, and stacks into labelled cards on a phone.
export function table(columns, rows, attrs = {}) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'stack', ...attrs },
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows)));
}

export function cell(label, ...children) {
  return h('td', { 'data-label': label }, ...children);
}

// A read-only text with a Copy button.
export function copyBox(labelText, text, attrs = {}) {
  const multi = text.length > 80 || text.includes('\n');
  const box = multi ? textarea(text, { readonly: true, rows: 4, ...attrs })
    : input(text, { readonly: true, ...attrs });
  const id = 'c' + Math.random().toString(36).slice(2, 9);
  box.id = id;
  box.addEventListener('focus', () => box.select());
  const button = h('button', { type: 'button', class: 'copy', 'aria-label': 'Copy ' + labelText.toLowerCase() },
    'Copy');
  button.addEventListener('click', () => copy(box, button));
  return h('div', { class: 'copy-box' }, h('label', { for: id }, labelText), h('div', { class: 'copy-row' }, box, button));
}

async function copy(box, button) {
  try {
    await navigator.clipboard.writeText(box.value);
  } catch (_e) {
    box.select();
    document.execCommand('copy');
  }
  button.textContent = 'Copied';
  toast('Copied to the clipboard.');
  setTimeout(() => { button.textContent = 'Copy'; }, 2000);
}

// A yes/no question in a modal dialog (keyboard: Enter confirms, Escape cancels).
export function confirmDialog(text, yes = 'Delete') {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'card', 'aria-label': 'Confirm' });
    const ok = h('button', { type: 'button', class: 'primary danger-fill', 'data-test': 'confirm' }, yes);
    const cancel = h('button', { type: 'button' }, 'Cancel');
    dialog.append(h('p', {}, text), h('div', { class: 'row' }, ok, cancel));
    let answered = false;
    const done = (value) => {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    ok.addEventListener('click', () => done(true));
    cancel.addEventListener('click', () => done(false));
    dialog.addEventListener('close', () => done(false));
    document.body.append(dialog);
    dialog.showModal();
    ok.focus();
  });
}

// Run an API call from a button: disabled while it runs; errors become a toast.
export async function act(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (err) {
    toast(errorText(err), 'error');
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// Load and draw: a "loading" line, then the content or the error.
export async function loading(body, fn) {
  clear(body, h('p', { class: 'loading' }, 'Loading…'));
  try {
    await fn();
  } catch (err) {
    clear(body, h('p', { class: 'form-error', role: 'alert' }, errorText(err)));
  }
}

// A definition as the API returned it, without the id it adds (PUT refuses unknown fields).
export function withoutId(doc) {
  const { id: _id, ...rest } = doc;
  return rest;
}

export { api, clear, errorText, h, navigate, state, toast };
