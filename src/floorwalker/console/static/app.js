// The console's entry: log in (or accept an invitation), then the shell and its pages.
import {
  api, clear, currentRoute, errorText, h, isAdmin, routes, socket, state, toast, whenLoggedOut,
} from './core.js';
import './visitors.js';
import './chats.js';
import './history.js';
import './reports.js';
import './notify.js';
import './admin.js';

const root = document.getElementById('app');
let cleanup = null;

function loggedIn(doc) {
  state.me = doc.account;
  state.workspace = doc.workspace;
  state.csrf = doc.csrf_token;
}

function loginView(message) {
  const status = h('p', { class: 'form-error', role: 'alert' }, message || '');
  const form = h('form', { class: 'card login', 'aria-label': 'Log in' },
    h('h1', {}, 'Floorwalker'),
    h('label', {}, 'Workspace', h('input', { name: 'workspace', required: true, autocomplete: 'organization' })),
    h('label', {}, 'E-mail', h('input', { name: 'email', type: 'email', required: true, autocomplete: 'username' })),
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' })),
    h('button', { type: 'submit', class: 'primary' }, 'Log in'),
    status);
  const remembered = localStorage.getItem('fw.workspace');
  if (remembered) form.workspace.value = remembered;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.textContent = '';
    try {
      const doc = await api('POST', '/api/auth/login', {
        workspace: form.workspace.value.trim(), email: form.email.value.trim(),
        password: form.password.value,
      });
      localStorage.setItem('fw.workspace', form.workspace.value.trim());
      loggedIn(doc);
      shell();
    } catch (err) {
      status.textContent = errorText(err);
    }
  });
  clear(root, h('main', { class: 'center' }, form));
}

function acceptView(token) {
  const status = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { class: 'card login', 'aria-label': 'Choose your password' },
    h('h1', {}, 'Welcome to Floorwalker'),
    h('p', {}, 'Choose a password (at least 10 characters) to finish your account.'),
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password', required: true, minlength: 10, autocomplete: 'new-password' })),
    h('button', { type: 'submit', class: 'primary' }, 'Set password and log in'),
    status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      loggedIn(await api('POST', '/api/auth/accept', { token, password: form.password.value }));
      history.replaceState(null, '', '/console/');
      shell();
    } catch (err) {
      status.textContent = errorText(err);
    }
  });
  clear(root, h('main', { class: 'center' }, form));
}

function passwordDialog() {
  const status = h('p', { class: 'form-error', role: 'alert' });
  const dialog = h('dialog', { class: 'card' });
  const form = h('form', { method: 'dialog', 'aria-label': 'Change password' },
    h('h2', {}, 'Change password'),
    h('label', {}, 'Current password', h('input', { name: 'current', type: 'password', required: true, autocomplete: 'current-password' })),
    h('label', {}, 'New password', h('input', { name: 'next', type: 'password', required: true, minlength: 10, autocomplete: 'new-password' })),
    h('div', { class: 'row' },
      h('button', { type: 'submit', class: 'primary' }, 'Change'),
      h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel')),
    status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', '/api/auth/password', { current: form.current.value, new: form.next.value });
      dialog.close();
      toast('Password changed.');
    } catch (err) {
      status.textContent = errorText(err);
    }
  });
  dialog.append(form);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

function statusSelect() {
  if (!state.me.agent_id) return null;
  const select = h('select', { 'aria-label': 'My status', 'data-test': 'my-status' },
    h('option', { value: 'online' }, 'Online'), h('option', { value: 'away' }, 'Away'));
  select.value = localStorage.getItem('fw.status') || 'online';
  select.addEventListener('change', async () => {
    localStorage.setItem('fw.status', select.value);
    try {
      await api('PUT', '/api/me/status', { status: select.value });
    } catch (err) {
      toast(errorText(err), 'error');
    }
  });
  socket.onConnect(() => {
    if (select.value !== 'online') socket.send({ type: 'status', status: select.value });
  });
  return select;
}

function nav() {
  const links = [];
  for (const def of routes.values()) {
    if (!def.nav || (def.admin && !isAdmin())) continue;
    links.push(h('a', { href: '#/' + def.name, 'data-route': def.name, class: def.admin ? 'admin' : '' }, def.title));
  }
  return h('nav', { 'aria-label': 'Console' }, links);
}

function shell() {
  const view = h('main', { id: 'view', tabindex: '-1' });
  const header = h('header', { class: 'top' },
    h('a', { class: 'brand', href: '#/visitors' }, 'Floorwalker'),
    h('button', { class: 'menu-toggle', 'aria-label': 'Menu', onclick: () => document.body.classList.toggle('menu-open') }, '☰'),
    nav(),
    h('div', { class: 'me' },
      h('span', { class: 'conn', title: 'Live connection', 'aria-hidden': 'true' }),
      statusSelect(),
      h('span', { class: 'who', 'data-test': 'whoami' }, state.me.name + ' · ' + state.workspace.slug + ' · ' + state.me.role),
      h('button', { onclick: passwordDialog }, 'Password'),
      h('button', { 'data-test': 'logout', onclick: logout }, 'Log out')));
  clear(root, header, view);
  whenLoggedOut(() => { socket.stop(); loginView('Your session ended; log in again.'); });
  socket.start();
  window.addEventListener('hashchange', show);
  show();
}

async function logout() {
  try { await api('POST', '/api/auth/logout'); } catch (_e) { /* gone already */ }
  socket.stop();
  window.removeEventListener('hashchange', show);
  state.me = null;
  loginView();
}

function show() {
  const view = document.getElementById('view');
  if (!view) return;
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
  document.body.classList.remove('menu-open');
  let { name, params } = currentRoute();
  let def = routes.get(name);
  if (!def || (def.admin && !isAdmin())) def = routes.get('visitors');
  for (const link of document.querySelectorAll('nav a')) {
    link.toggleAttribute('aria-current', link.dataset.route === def.name);
  }
  document.title = def.title + ' · Floorwalker';
  clear(view);
  try {
    cleanup = def.render(view, params) || null;
  } catch (err) {
    clear(view, h('p', { class: 'form-error' }, errorText(err)));
  }
}

async function boot() {
  const url = new URL(location.href);
  if (url.pathname.startsWith('/console/accept')) {
    acceptView(url.searchParams.get('token') || '');
    return;
  }
  try {
    // 200 either way: a console opened before logging in logs no failed request.
    const state = await api('GET', '/api/auth/session');
    if (!state.logged_in) { loginView(); return; }
    loggedIn(state);
    shell();
  } catch (err) {
    if (err.status === 401) loginView();
    else clear(root, h('p', { class: 'form-error' }, errorText(err)));
  }
}

boot();
