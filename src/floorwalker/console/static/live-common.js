// Shared by the live pages: the workspace's catalogue (segments, departments, scenarios,
// agents), segment chips, a tiny SVG builder, and the conversation store that chats.js
// shows and notify.js watches.
import { api, h, socket, state } from './core.js';

// --- catalogue -------------------------------------------------------------------------
// One request per kind and login; the lists change rarely (admins edit them elsewhere).
const catalogCache = new Map();
export function catalog(kind) {
  const key = (state.me ? state.me.id : '') + ':' + kind;
  if (!catalogCache.has(key)) {
    const loading = api('GET', '/api/' + kind).then((items) => (Array.isArray(items) ? items : []));
    loading.catch(() => catalogCache.delete(key));
    catalogCache.set(key, loading);
  }
  return catalogCache.get(key);
}

export async function segmentMap() {
  const map = new Map();
  try {
    for (const s of await catalog('segments')) map.set(s.key, s);
  } catch (_e) { /* chips fall back to keys */ }
  return map;
}

// The logged-in agent's departments ([] for admins without an agents row).
export async function myDepartments() {
  if (!state.me || !state.me.agent_id) return [];
  try {
    const agent = (await catalog('agents')).find((a) => a.id === state.me.agent_id);
    return agent ? agent.departments || [] : [];
  } catch (_e) {
    return [];
  }
}

export function myIds() {
  return [state.me && state.me.agent_id, state.me && state.me.id].filter(Boolean);
}

// A colour chip: the segment's colour, its name on hover (title) and for screen readers.
export function chip(seg, segments) {
  const key = typeof seg === 'string' ? seg : seg.key;
  const known = (segments && segments.get(key)) || (typeof seg === 'object' ? seg : {});
  const name = known.name || key;
  return h('span', {
    class: 'chip', title: name, 'data-test': 'segment-chip', 'data-segment': key,
    style: { background: known.color || '#5f6b7a' },
  }, name);
}

// Filters fold away on a phone (open on wider screens) so the list comes first.
export function foldable(title, body) {
  const open = !window.matchMedia || window.matchMedia('(min-width: 701px)').matches;
  return h('details', { class: 'fold', open }, h('summary', {}, title), body);
}

export function label(text, control) {
  return h('label', {}, text, control);
}

// svg('rect', {x: 1, ...}, children...) in the SVG namespace.
export function svg(tag, attrs, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return 'c' + Date.now().toString(36) + Math.random().toString(36).slice(2);
}

// --- conversation store --------------------------------------------------------------
// Every conversation the console knows, kept current by frames. On every (re)connect it is
// rebuilt from the API (frames that arrive meanwhile are applied after), so what the pages
// show after a reconnect equals a fresh load.
export const store = {
  convs: new Map(),
  loaded: false,
  openId: null, // the conversation on screen (chats.js sets it)
  departments: [],
  listeners: new Set(),
  subscribe(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); },
  emit(change) { for (const fn of this.listeners) fn(change); },
  isMine(c) {
    return c.status !== 'closed' && !!c.assigned_agent_id && myIds().includes(c.assigned_agent_id);
  },
  inMyQueue(c) {
    if (c.status !== 'queued') return false;
    if (state.me && state.me.role === 'admin') return true;
    return !c.department || this.departments.includes(c.department);
  },
  list(view) {
    const all = [...this.convs.values()];
    const pick = view === 'mine' ? all.filter((c) => this.isMine(c))
      : view === 'queue' ? all.filter((c) => this.inMyQueue(c)) : all;
    const key = view === 'queue' ? (c) => -(c.started_at || 0) : (c) => c.updated_at || c.started_at || 0;
    return pick.sort((a, b) => key(b) - key(a));
  },
  unreadTotal() {
    let n = 0;
    for (const c of this.convs.values()) if (this.isMine(c) || this.inMyQueue(c)) n += c.unread || 0;
    return n;
  },
};

let pending = null; // frames received while a reload is in flight

async function reload() {
  if (!state.me) return;
  pending = [];
  try {
    store.departments = await myDepartments();
    // Accounts without an agents row (admins) have no "mine".
    const wanted = state.me.agent_id ? ['mine', 'queue', 'all'] : ['queue', 'all'];
    const views = await Promise.all(wanted.map(
      (view) => api('GET', '/api/conversations?view=' + view + '&limit=100')));
    const fresh = new Map();
    for (const doc of views) for (const c of doc.conversations || []) fresh.set(c.id, c);
    store.convs = fresh;
    store.loaded = true;
  } catch (_e) {
    store.loaded = false;
  }
  const queued = pending;
  pending = null;
  for (const frame of queued) apply(frame);
  store.emit({ kind: 'reset' });
}

async function fetchOne(id) {
  try {
    const doc = await api('GET', '/api/conversations/' + encodeURIComponent(id));
    const known = store.convs.get(id);
    const previous = known ? { ...known } : null;
    store.convs.set(id, Object.assign(known || { unread: 0 }, doc.conversation));
    store.emit({ kind: 'conversation', id, fetched: true, isNew: !known, previous });
  } catch (_e) { /* not ours to see */ }
}

function apply(frame) {
  if (pending) { pending.push(frame); return; }
  if (frame.type === 'conversation') {
    const c = frame.conversation;
    const known = store.convs.get(c.id);
    const previous = known ? { ...known } : null;
    // Frames from the chat layer may carry fewer fields than a summary: merge.
    store.convs.set(c.id, Object.assign(known || { unread: 0 }, c));
    store.emit({ kind: 'conversation', id: c.id, isNew: !known, previous });
    if (!known && !c.visitor) fetchOne(c.id);
  } else if (frame.type === 'message') {
    const id = frame.conversation_id;
    const m = frame.message;
    const c = store.convs.get(id);
    if (c) {
      // A summary already counts the messages up to its last_seq: only newer ones add.
      const fresh = (frame.seq || 0) > (c.last_seq || 0);
      c.last_seq = Math.max(c.last_seq || 0, frame.seq || 0);
      c.updated_at = m.created_at || c.updated_at;
      if (fresh && !m.internal && m.author !== 'system') {
        c.last_message = { author: m.author, text: m.text, created_at: m.created_at, name: m.name };
      }
      const viewing = store.openId === id && document.visibilityState === 'visible';
      if (fresh && m.author === 'visitor' && !viewing) c.unread = (c.unread || 0) + 1;
    } else {
      fetchOne(id);
    }
    store.emit({ kind: 'message', id, frame });
  } else if (frame.type === 'read') {
    const c = store.convs.get(frame.conversation_id);
    if (!c) return;
    if (frame.by === 'visitor') c.visitor_read_seq = Math.max(c.visitor_read_seq || 0, frame.seq);
    else {
      c.agent_read_seq = Math.max(c.agent_read_seq || 0, frame.seq);
      if (c.agent_read_seq >= (c.last_seq || 0)) c.unread = 0;
    }
    store.emit({ kind: 'read', id: frame.conversation_id, frame });
  }
}

socket.on('conversation', apply);
socket.on('message', apply);
socket.on('read', apply);
socket.onConnect(() => { reload(); });
export function reloadConversations() { return reload(); }
