// Alerts on every page (a toast, a badge in the nav, a short beep, a desktop notification
// when the tab is hidden) and the Notifications settings page (docs/console.md).
// Every alert raised is also appended to window.fwAlerts ({kind, text, sound, desktop, at}),
// which the browser tests read.
import { api, clear, errorText, h, navigate, route, socket, state, toast, when } from './core.js';
import { catalog, chip, store } from './live-common.js';

export const KINDS = [
  ['watched_segment', 'A visitor of a watched segment comes online'],
  ['scenario_alert', 'A scenario asks for an agent'],
  ['new_chat', 'A new chat for me or my departments'],
  ['new_message', 'A visitor writes in one of my chats'],
];

window.fwAlerts = window.fwAlerts || [];
let unseen = 0;
// Conversation id -> its last seq when a new-chat alert was due: the messages up to there
// came with the new chat and do not alert again as new messages.
const newChatSeq = new Map();
const pendingNew = new Set(); // seen for the first time, waiting for the full summary

function prefs() {
  return state.prefs || { watched_segments: [], muted: [], sound: true, desktop: false };
}

async function loadPrefs() {
  try {
    state.prefs = await api('GET', '/api/me/preferences');
  } catch (_e) { /* keep the last known (or default) preferences */ }
}

// --- sound: a short two-tone beep from an oscillator (no audio files) ----------------
let audio = null;
function audioContext() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  if (!audio) audio = new Ctx();
  return audio;
}
// Browsers start audio only after a user gesture: unlock at the first click or key.
for (const type of ['pointerdown', 'keydown']) {
  window.addEventListener(type, () => {
    const ctx = audioContext();
    if (ctx && ctx.state === 'suspended') ctx.resume();
  }, { capture: true, passive: true });
}

export async function beep() {
  const ctx = audioContext();
  if (!ctx) return false;
  if (ctx.state === 'suspended') {
    try { await ctx.resume(); } catch (_e) { return false; }
  }
  if (ctx.state !== 'running') return false;
  const gain = ctx.createGain();
  gain.connect(ctx.destination);
  const t = ctx.currentTime;
  gain.gain.setValueAtTime(0.0001, t);
  gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.35);
  for (const [freq, start] of [[880, 0], [1320, 0.12]]) {
    const osc = ctx.createOscillator();
    osc.type = 'sine';
    osc.frequency.setValueAtTime(freq, t + start);
    osc.connect(gain);
    osc.start(t + start);
    osc.stop(t + start + 0.2);
  }
  return true;
}

// --- badges in the nav ----------------------------------------------------------------
function navBadge(routeName, count, test) {
  const link = document.querySelector(`nav a[data-route="${routeName}"]`);
  if (!link) return;
  let badge = link.querySelector('.badge');
  if (!badge) {
    badge = h('span', { class: 'badge', 'data-test': test });
    link.append(' ', badge);
  }
  badge.hidden = !count;
  badge.textContent = String(count);
  badge.setAttribute('aria-label', count + (routeName === 'chats' ? ' unread' : ' new alerts'));
}

function updateBadges() {
  navBadge('notifications', unseen, 'alert-badge');
  navBadge('chats', store.unreadTotal(), 'chats-badge');
}

// --- raising an alert -------------------------------------------------------------------
export function raise(kind, text, extra = {}) {
  const p = prefs();
  if ((p.muted || []).includes(kind)) return null;
  const entry = { kind, text, at: Date.now(), sound: false, desktop: false, ...extra };
  window.fwAlerts.push(entry);
  unseen += 1;
  updateBadges();
  toast(text, 'alert');
  if (p.sound !== false) beep().then((played) => { entry.sound = played; });
  if (p.desktop && document.hidden && 'Notification' in window && Notification.permission === 'granted') {
    try {
      const n = new Notification('Floorwalker', { body: text, tag: kind + ':' + (extra.conversation_id || extra.visitor_id || '') });
      n.onclick = () => {
        window.focus();
        if (extra.conversation_id) navigate('chats', { c: extra.conversation_id });
        else if (extra.visitor_id) navigate('visitors', { v: extra.visitor_id });
      };
      entry.desktop = true;
    } catch (_e) { /* some browsers only notify from a service worker */ }
  }
  const list = document.querySelector('[data-test="alert-list"]');
  if (list) list.prepend(alertItem(entry));
  return entry;
}

function nameOf(c) {
  const v = (c && c.visitor) || {};
  return v.name || v.email || 'a visitor';
}

socket.on('alert', (frame) => {
  const a = frame.alert || {};
  const kind = a.kind || 'scenario_alert';
  const visitor = a.visitor || {};
  const who = visitor.name || visitor.email || 'A visitor';
  const text = a.text || (a.segment ? `${who} (${a.segment.name}) is on the site` : `${who} needs attention`);
  raise(kind, text, { visitor_id: visitor.id || visitor.visitor_id || null, conversation_id: a.conversation_id || null,
    segment: a.segment ? a.segment.key : null });
});

store.subscribe((change) => {
  updateBadges();
  if (change.kind === 'conversation') {
    const c = store.convs.get(change.id);
    if (!c) return;
    if (change.isNew) pendingNew.add(c.id);
    // The chat layer's first frame is not a full summary (no visitor, no routing yet):
    // wait for the one the routing publishes (or the store fetches).
    if (!('visitor' in c) || c.status === 'closed') return;
    const forMe = store.isMine(c) || store.inMyQueue(c);
    if (pendingNew.has(c.id)) {
      pendingNew.delete(c.id);
      if (forMe && Date.now() / 1000 - (c.started_at || 0) < 300) {
        newChatSeq.set(c.id, c.last_seq || 0);
        raise('new_chat', `New chat from ${nameOf(c)}`, { conversation_id: c.id });
      }
      return;
    }
    const before = change.previous;
    if (!before || !('visitor' in before)) return;
    if (store.isMine(c) && !store.isMine(before)) {
      newChatSeq.set(c.id, c.last_seq || 0);
      raise('new_chat', `${nameOf(c)}'s chat is now yours`, { conversation_id: c.id });
    } else if (store.inMyQueue(c) && !store.inMyQueue(before)) {
      newChatSeq.set(c.id, c.last_seq || 0);
      raise('new_chat', `${nameOf(c)} is waiting in the ${c.department ? c.department + ' ' : ''}queue`, { conversation_id: c.id });
    }
  } else if (change.kind === 'message') {
    const m = change.frame.message || {};
    if (m.author !== 'visitor' || m.internal) return;
    const c = store.convs.get(change.id);
    // A message of a chat still being routed comes with its new-chat alert.
    if (!c || pendingNew.has(c.id) || !('visitor' in c)) return;
    if (!store.isMine(c) && !store.inMyQueue(c)) return;
    const looking = store.openId === c.id && document.visibilityState === 'visible' && document.hasFocus();
    if (looking || (newChatSeq.get(c.id) || 0) >= (change.frame.seq || 0)) return;
    raise('new_message', `${nameOf(c)}: ${m.text}`.slice(0, 200), { conversation_id: c.id });
  }
});

socket.onConnect(() => { loadPrefs(); });

// --- the settings page ------------------------------------------------------------------
function alertItem(a) {
  return h('li', { 'data-test': 'alert-item', 'data-kind': a.kind },
    h('time', { class: 'muted' }, when(a.at / 1000)), ' ',
    a.conversation_id ? h('a', { href: '#/chats?c=' + encodeURIComponent(a.conversation_id) }, a.text)
      : a.visitor_id ? h('a', { href: '#/visitors?v=' + encodeURIComponent(a.visitor_id) }, a.text) : a.text);
}

route('notifications', {
  title: 'Notifications',
  nav: true,
  render(view) {
    unseen = 0;
    updateBadges();
    const status = h('p', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'card settings', 'aria-label': 'Notification settings', 'data-test': 'prefs-form' },
      h('p', { class: 'loading' }, 'Loading…'));
    const alerts = h('ol', { class: 'alert-list', 'data-test': 'alert-list', reversed: true },
      [...window.fwAlerts].reverse().slice(0, 50).map(alertItem));
    clear(view, h('div', { class: 'notify-page' },
      h('h1', {}, 'Notifications'), form,
      h('section', { class: 'card' }, h('h2', {}, 'Recent alerts'), alerts.children.length ? alerts : [h('p', { class: 'muted' }, 'None yet.'), alerts])));
    (async () => {
      let p;
      let segments;
      try {
        [p, segments] = await Promise.all([api('GET', '/api/me/preferences'), catalog('segments')]);
      } catch (err) {
        clear(form, h('p', { class: 'form-error' }, errorText(err)));
        return;
      }
      state.prefs = p;
      const watched = new Set(p.watched_segments || []);
      const muted = new Set(p.muted || []);
      const segBoxes = segments.map((s) => h('label', { class: 'inline check' },
        h('input', { type: 'checkbox', name: 'segment', value: s.key, checked: watched.has(s.key), 'data-test': 'watch-' + s.key }),
        ' ', chip(s), s.description ? h('span', { class: 'muted small' }, ' ' + s.description) : null));
      const kindBoxes = KINDS.map(([kind, text]) => h('label', { class: 'inline check' },
        h('input', { type: 'checkbox', name: 'kind', value: kind, checked: !muted.has(kind), 'data-test': 'show-' + kind }), ' ', text));
      const sound = h('input', { type: 'checkbox', name: 'sound', checked: p.sound !== false, 'data-test': 'pref-sound' });
      const desktop = h('input', { type: 'checkbox', name: 'desktop', checked: !!p.desktop, 'data-test': 'pref-desktop' });
      const permission = h('span', { class: 'muted small', 'data-test': 'permission' });
      const showPermission = () => {
        permission.textContent = !('Notification' in window) ? ' (this browser has no desktop notifications)'
          : Notification.permission === 'granted' ? ' (allowed)' : Notification.permission === 'denied'
            ? ' (blocked in the browser settings)' : '';
      };
      showPermission();
      desktop.addEventListener('change', async () => {
        if (!desktop.checked || !('Notification' in window)) return;
        if (Notification.permission !== 'granted') {
          const answer = await Notification.requestPermission();
          if (answer !== 'granted') desktop.checked = false;
        }
        showPermission();
      });
      clear(form,
        h('fieldset', {}, h('legend', {}, 'Watched segments'),
          h('p', { class: 'muted' }, 'Get an alert when a visitor of these segments comes online.'),
          segBoxes.length ? segBoxes : h('p', { class: 'muted' }, 'The workspace has no segments.')),
        h('fieldset', {}, h('legend', {}, 'Show these alerts'), kindBoxes),
        h('fieldset', {}, h('legend', {}, 'How'),
          h('label', { class: 'inline check' }, sound, ' Play a sound'),
          h('button', { type: 'button', 'data-test': 'test-sound', onclick: () => beep().then((ok) => { if (!ok) toast('The browser did not play the sound.', 'error'); }) }, 'Try the sound'),
          h('label', { class: 'inline check' }, desktop, ' Desktop notifications when this tab is in the background', permission)),
        h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', 'data-test': 'save-prefs' }, 'Save')),
        status);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        status.textContent = '';
        const body = {
          watched_segments: [...form.querySelectorAll('input[name=segment]:checked')].map((i) => i.value),
          muted: [...form.querySelectorAll('input[name=kind]')].filter((i) => !i.checked).map((i) => i.value),
          sound: sound.checked, desktop: desktop.checked,
        };
        try {
          state.prefs = await api('PUT', '/api/me/preferences', body);
          if (!state.prefs || typeof state.prefs !== 'object' || !('muted' in state.prefs)) state.prefs = body;
          toast('Notification settings saved.');
        } catch (err) {
          status.textContent = errorText(err);
        }
      });
    })();
  },
});
