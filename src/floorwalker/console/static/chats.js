// Chats: the agent's conversation lists (mine, queue, all) and the chat itself: messages
// over the socket with acks, typing and read state, canned replies, internal notes, the
// context that started it, claim, transfer and close (docs/console.md).
import {
  api, clear, errorText, h, route, socket, state, toast, when,
} from './core.js';
import { catalog, chip, label, myIds, newId, segmentMap, store } from './live-common.js';

let tab = 'mine';

route('chats', {
  title: 'Chats',
  nav: true,
  render(view, params) {
    const page = new ChatsPage(view, params);
    return () => page.stop();
  },
});

const TABS = [['mine', 'Mine'], ['queue', 'Queue'], ['all', 'All']];
const AUTHOR = { visitor: 'Visitor', agent: 'Agent', system: 'System' };

function visitorName(c) {
  const v = c.visitor || {};
  return v.name || v.email || (v.id || c.visitor_id ? 'Visitor ' + (v.id || c.visitor_id).slice(-6) : 'Visitor');
}

class ChatsPage {
  constructor(view, params) {
    this.view = view;
    this.openId = null;
    this.messages = []; // sorted by seq
    this.outbox = new Map(); // client_id -> {conversation_id, text, internal}
    this.segments = new Map();
    this.canned = null;
    this.typingSentAt = 0;
    this.listTimer = null;
    this.offs = [
      store.subscribe((change) => this.onStore(change)),
      socket.on('message', (f) => this.onMessage(f)),
      socket.on('ack', (f) => this.onAck(f)),
      socket.on('error', (f) => this.onError(f)),
      socket.on('typing', (f) => this.onTyping(f)),
      socket.onConnect(() => this.onReconnect()),
    ];
    this.onVisible = () => this.markRead();
    document.addEventListener('visibilitychange', this.onVisible);
    window.addEventListener('focus', this.onVisible);
    this.build();
    segmentMap().then((m) => { this.segments = m; this.renderLists(); });
    this.renderLists();
    if (params.c) this.open(params.c);
  }

  stop() {
    for (const off of this.offs) off();
    document.removeEventListener('visibilitychange', this.onVisible);
    window.removeEventListener('focus', this.onVisible);
    clearTimeout(this.listTimer);
    clearTimeout(this.typingTimer);
    clearTimeout(this.theirTypingTimer);
    this.stopTyping();
    store.openId = null;
  }

  // --- layout ----------------------------------------------------------------------
  build() {
    this.tabButtons = new Map();
    const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Conversation lists' },
      TABS.map(([key, title]) => {
        const b = h('button', {
          type: 'button', role: 'tab', 'data-test': 'tab-' + key, 'aria-selected': String(tab === key),
          onclick: () => { tab = key; this.renderLists(); },
        }, title, ' ', h('span', { class: 'count' }), h('span', { class: 'badge', hidden: true }));
        this.tabButtons.set(key, b);
        return b;
      }));
    this.list = h('ul', { class: 'conv-list', 'data-test': 'conv-list', role: 'tabpanel' });
    this.listPane = h('section', { class: 'conv-pane', 'aria-label': 'Conversations' },
      h('h1', {}, 'Chats'), tabs, this.list);
    this.chatPane = h('section', { class: 'chat-pane', 'aria-label': 'Conversation', 'data-test': 'chat' },
      h('p', { class: 'muted empty' }, 'Pick a conversation.'));
    this.layout = h('div', { class: 'chats' }, this.listPane, this.chatPane);
    clear(this.view, this.layout);
  }

  scheduleLists() {
    if (this.listTimer) return;
    this.listTimer = setTimeout(() => { this.listTimer = null; this.renderLists(); }, 100);
  }

  renderLists() {
    for (const [key, button] of this.tabButtons) {
      const items = store.list(key);
      button.setAttribute('aria-selected', String(tab === key));
      button.querySelector('.count').textContent = '(' + items.length + ')';
      const unread = key === 'all' ? 0 : items.reduce((n, c) => n + (c.unread || 0), 0);
      const badge = button.querySelector('.badge');
      badge.hidden = !unread;
      badge.textContent = String(unread);
    }
    const items = store.list(tab);
    if (!store.loaded && !items.length) {
      clear(this.list, h('li', { class: 'loading' }, 'Loading…'));
      return;
    }
    clear(this.list, items.length ? items.map((c) => this.itemView(c))
      : h('li', { class: 'muted', 'data-test': 'no-conversations' },
        tab === 'mine' ? 'No open chat is assigned to you.' : tab === 'queue' ? 'Nobody is waiting.' : 'No conversations yet.'));
  }

  itemView(c) {
    const last = c.last_message;
    return h('li', {},
      h('button', {
        type: 'button', class: 'conv-item' + (c.id === this.openId ? ' current' : '') + (c.unread ? ' unread' : ''),
        'data-test': 'conv-item', 'data-conversation': c.id, 'data-status': c.status,
        'aria-current': c.id === this.openId ? 'true' : null,
        onclick: () => this.open(c.id),
      },
      h('span', { class: 'conv-top' },
        h('strong', { 'data-test': 'conv-visitor' }, visitorName(c)),
        c.unread ? h('span', { class: 'badge', 'data-test': 'unread', 'aria-label': c.unread + ' unread' }, String(c.unread)) : null),
      h('span', { class: 'conv-meta muted' },
        h('span', { class: 'pill status-' + c.status, 'data-test': 'conv-status' }, c.status),
        c.department ? ' ' + c.department : '',
        c.assigned_agent_name ? ' · ' + c.assigned_agent_name : '',
        c.queue_position ? ' · #' + c.queue_position + ' in queue' : '',
        ' · ' + when(c.updated_at || c.started_at)),
      last ? h('span', { class: 'conv-last' }, (last.internal ? 'Note: ' : last.author === 'agent' ? 'Agent: ' : '') + last.text) : null,
      (c.segments || []).length ? h('span', {}, c.segments.slice(0, 3).map((k) => chip(k, this.segments))) : null));
  }

  onStore(change) {
    this.scheduleLists();
    if (!this.openId) return;
    if (change.kind === 'reset' || (change.id === this.openId && change.kind !== 'message')) {
      const c = store.convs.get(this.openId);
      if (c) { this.summary = Object.assign(this.summary || {}, c); this.renderHeader(); this.renderStates(); }
    }
  }

  // --- one conversation --------------------------------------------------------------
  async open(id) {
    if (this.openId && this.openId !== id) this.stopTyping();
    this.openId = id;
    store.openId = id;
    this.messages = [];
    this.summary = store.convs.get(id) || null;
    history.replaceState(null, '', '#/chats?c=' + encodeURIComponent(id));
    this.layout.classList.add('show-chat');
    this.scheduleLists();
    this.buildChat();
    await this.load(id);
    if (this.box && this.openId === id) this.box.focus();
  }

  closePane() {
    this.stopTyping();
    const id = this.openId;
    this.openId = null;
    store.openId = null;
    history.replaceState(null, '', '#/chats');
    this.layout.classList.remove('show-chat');
    clear(this.chatPane, h('p', { class: 'muted empty' }, 'Pick a conversation.'));
    this.renderLists();
    const item = id && this.list.querySelector(`[data-conversation="${CSS.escape(id)}"]`);
    if (item) item.focus();
  }

  async load(id) {
    try {
      const doc = await api('GET', '/api/conversations/' + encodeURIComponent(id));
      if (this.openId !== id) return;
      this.summary = Object.assign(this.summary || {}, doc.conversation);
      if (store.convs.has(id)) Object.assign(store.convs.get(id), doc.conversation);
      const msgs = doc.messages || [];
      msgs.forEach((m, i) => this.addMessage(m, m.seq || i + 1));
      this.renderHeader();
      this.renderContext();
      this.renderMessages();
      this.markRead();
    } catch (err) {
      if (this.openId === id) clear(this.log, h('li', { class: 'form-error', 'data-test': 'chat-error' }, errorText(err)));
    }
  }

  lastSeq() {
    const seen = this.messages.reduce((n, m) => Math.max(n, m.seq || 0), 0);
    return Math.max(seen, 0);
  }

  onReconnect() {
    if (!this.openId) return;
    // Missed messages of the open conversation, then whatever was not acknowledged.
    socket.send({ type: 'resume', conversations: { [this.openId]: this.lastSeq() } });
    for (const [clientId, item] of this.outbox) {
      socket.send({ type: 'message', client_id: clientId, conversation_id: item.conversation_id, text: item.text, internal: item.internal });
    }
    this.load(this.openId);
  }

  buildChat() {
    this.header = h('div', { class: 'chat-head' });
    this.context = h('div', { class: 'chat-context', 'data-test': 'chat-context' });
    this.log = h('ol', { class: 'chat-log', 'data-test': 'chat-log', 'aria-live': 'polite', 'aria-label': 'Messages' },
      h('li', { class: 'loading' }, 'Loading…'));
    this.typingLine = h('p', { class: 'typing muted', 'data-test': 'visitor-typing', hidden: true, 'aria-live': 'polite' });
    this.box = h('textarea', {
      name: 'text', rows: 3, 'data-test': 'compose', maxlength: 5000,
      placeholder: 'Write a reply… (Enter sends, Shift+Enter for a new line, /shortcut for a canned reply)',
    });
    this.internal = h('input', { type: 'checkbox', name: 'internal', 'data-test': 'internal' });
    this.suggest = h('ul', { class: 'canned-suggest', 'data-test': 'canned-suggest', hidden: true, role: 'listbox' });
    this.cannedPanel = h('div', { class: 'canned-panel card', hidden: true, 'data-test': 'canned-panel' });
    const cannedButton = h('button', { type: 'button', 'data-test': 'canned-open', 'aria-expanded': 'false', onclick: () => this.toggleCanned(cannedButton) }, 'Canned replies');
    this.compose = h('form', { class: 'compose', 'aria-label': 'Reply' },
      h('label', { class: 'sr-only', for: 'chat-box' }, 'Reply'),
      this.box, this.suggest,
      h('div', { class: 'row' },
        h('label', { class: 'inline' }, this.internal, ' Internal note (only agents see it)'),
        cannedButton,
        h('button', { type: 'submit', class: 'primary', 'data-test': 'send' }, 'Send')),
      this.cannedPanel);
    this.box.id = 'chat-box';
    this.internal.addEventListener('change', () => this.compose.classList.toggle('internal', this.internal.checked));
    this.compose.addEventListener('submit', (e) => { e.preventDefault(); this.send(); });
    this.box.addEventListener('keydown', (e) => this.onKey(e));
    this.box.addEventListener('input', () => { this.typing(); this.showSuggestions(); });
    clear(this.chatPane, this.header, this.context, this.log, this.typingLine, this.compose);
    this.renderHeader();
    this.cannedReplies(); // loaded now so a /shortcut works at the first keystroke
  }

  renderHeader() {
    if (!this.header) return;
    const c = this.summary || { id: this.openId };
    const mine = c.assigned_agent_id && myIds().includes(c.assigned_agent_id);
    const visitorId = (c.visitor && c.visitor.id) || c.visitor_id;
    clear(this.header,
      h('button', { type: 'button', class: 'back', 'data-test': 'chat-back', onclick: () => this.closePane() }, '← Back'),
      h('div', { class: 'chat-title' },
        h('h2', { 'data-test': 'chat-visitor' }, visitorName(c)),
        h('p', { class: 'muted', 'data-test': 'chat-status' },
          h('span', { class: 'pill status-' + c.status }, c.status || '…'),
          c.department ? ' · ' + c.department : '',
          c.assigned_agent_name ? ' · with ' + c.assigned_agent_name : (c.status === 'queued' ? ' · waiting for an agent' : ''),
          c.rating ? ' · rated ' + c.rating + '/5' : ''),
        (c.segments || []).length ? h('p', {}, c.segments.map((k) => chip(k, this.segments))) : null),
      h('div', { class: 'row actions' },
        visitorId ? h('a', { href: '#/visitors?v=' + encodeURIComponent(visitorId), class: 'button-like' }, 'Visitor card') : null,
        !mine && state.me.agent_id && c.status !== 'closed' ? h('button', { type: 'button', 'data-test': 'claim', onclick: () => this.action('claim') }, 'Claim') : null,
        c.status !== 'closed' ? h('button', { type: 'button', 'data-test': 'transfer', onclick: () => this.transferDialog() }, 'Transfer') : null,
        c.status !== 'closed' ? h('button', { type: 'button', class: 'danger', 'data-test': 'close-chat', onclick: () => this.action('close') }, 'Close') : null));
  }

  async renderContext() {
    const c = this.summary || {};
    const ctx = c.context || {};
    let scenarioName = c.scenario;
    if (c.scenario) {
      try {
        const found = (await catalog('scenarios')).find((s) => s.key === c.scenario);
        if (found && found.name) scenarioName = found.name;
      } catch (_e) { /* the key will do */ }
    }
    const props = (ctx.event && ctx.event.properties) || {};
    const bits = [
      ['Scenario', scenarioName], ['Trigger', ctx.trigger],
      ['Search term', props.search_term || props.query || props.q],
      ['Coupon', ctx.coupon || props.coupon], ['Payment method', props.payment_method],
      ['FAQ', props.question || props.faq_title || props.title], ['Title', ctx.title],
      ['Invitation', ctx.text],
    ].filter(([, v]) => v);
    const labels = { name: 'Name', email: 'E-mail', phone: 'Phone', question: 'Question' };
    for (const [key, value] of Object.entries(ctx.prechat || {})) {
      if (value) bits.push([labels[key] || key.replace(/_/g, ' '), value]);
    }
    if (!bits.length) {
      clear(this.context, h('p', { class: 'muted' }, 'Started by the visitor.'));
      return;
    }
    clear(this.context, h('dl', { class: 'facts' }, bits.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
  }

  addMessage(m, seq) {
    const known = this.messages.find((x) => (m.id && x.id === m.id) || (m.client_id && x.client_id === m.client_id && x.author === m.author));
    if (known) {
      Object.assign(known, m, { seq: seq || known.seq, pending: false });
      return known;
    }
    const item = { ...m, seq };
    this.messages.push(item);
    this.messages.sort((a, b) => (a.seq || Infinity) - (b.seq || Infinity));
    return item;
  }

  renderMessages() {
    clear(this.log, this.messages.length ? this.messages.map((m) => this.messageView(m))
      : h('li', { class: 'muted' }, 'No messages yet.'));
    this.log.scrollTop = this.log.scrollHeight;
  }

  messageView(m) {
    const kind = m.internal ? 'internal' : m.author;
    return h('li', {
      class: 'msg msg-' + kind, 'data-test': 'message', 'data-author': m.author,
      'data-internal': m.internal ? 'true' : null, 'data-state': this.stateOf(m), 'data-id': m.id || m.client_id,
      'data-channel': m.channel || 'chat',
    },
    h('span', { class: 'msg-who' }, m.internal ? 'Internal note · ' : '', m.name || AUTHOR[m.author] || m.author,
      m.channel === 'email' ? h('span', { class: 'msg-channel', 'data-test': 'msg-channel', title: 'Came as a reply by e-mail' }, 'e-mail') : null),
    h('span', { class: 'msg-text' }, m.text),
    h('span', { class: 'msg-meta muted' }, when(m.created_at), m.author === 'agent' && !m.internal ? ' ' + this.stateLabel(m) : ''));
  }

  stateOf(m) {
    if (m.failed) return 'failed';
    if (m.pending) return 'sending';
    if (m.author !== 'agent' || m.internal) return null;
    const read = (this.summary && this.summary.visitor_read_seq) || 0;
    return m.seq && read >= m.seq ? 'read' : 'sent';
  }

  stateLabel(m) {
    return { sending: '· sending…', sent: '· ✓ sent', read: '· ✓✓ read', failed: '· not sent' }[this.stateOf(m)] || '';
  }

  renderStates() {
    if (!this.log) return;
    for (const li of this.log.querySelectorAll('li.msg')) {
      const m = this.messages.find((x) => (x.id || x.client_id) === li.dataset.id);
      if (!m) continue;
      const s = this.stateOf(m);
      if (s) li.dataset.state = s;
      const meta = li.querySelector('.msg-meta');
      if (meta && m.author === 'agent' && !m.internal) meta.textContent = when(m.created_at) + ' ' + this.stateLabel(m);
    }
  }

  // Tell everyone the agent has seen the messages on screen.
  markRead() {
    if (!this.openId || document.visibilityState !== 'visible' || !this.summary) return;
    const seq = this.lastSeq();
    // Opening a chat given to me joins it (the visitor is told who joined), even when a
    // colleague had read it all before a transfer.
    const joining = this.summary.status === 'open' && !this.summary.joined_agent_id &&
      myIds().includes(this.summary.assigned_agent_id);
    if (seq > (this.summary.agent_read_seq || 0) || (joining && seq > 0 && this.joinSent !== this.openId)) {
      if (joining) this.joinSent = this.openId;
      if (socket.send({ type: 'read', conversation_id: this.openId, seq })) {
        this.summary.agent_read_seq = seq;
        const c = store.convs.get(this.openId);
        if (c) { c.agent_read_seq = seq; c.unread = 0; this.scheduleLists(); }
      }
    }
  }

  onMessage(f) {
    if (f.conversation_id !== this.openId) return;
    this.addMessage(f.message, f.seq);
    if (this.summary) this.summary.last_seq = Math.max(this.summary.last_seq || 0, f.seq || 0);
    if (f.message.author === 'visitor') this.typingLine.hidden = true;
    this.renderMessages();
    this.markRead();
  }

  onAck(f) {
    const item = this.outbox.get(f.client_id);
    this.outbox.delete(f.client_id);
    if (f.conversation_id !== this.openId) return;
    const m = this.messages.find((x) => x.client_id === f.client_id && x.author === 'agent');
    if (m) {
      Object.assign(m, { id: f.message_id, seq: f.seq, pending: false });
      this.messages.sort((a, b) => (a.seq || Infinity) - (b.seq || Infinity));
      this.renderMessages();
    } else if (item) {
      this.load(this.openId);
    }
  }

  onError(f) {
    if (!f.client_id || !this.outbox.has(f.client_id)) return;
    this.outbox.delete(f.client_id);
    const m = this.messages.find((x) => x.client_id === f.client_id);
    if (m) { m.failed = true; m.pending = false; this.renderMessages(); }
    toast('Not sent: ' + (f.message || f.code), 'error');
  }

  onTyping(f) {
    if (f.conversation_id !== this.openId || f.who === 'agent') return;
    clearTimeout(this.theirTypingTimer);
    this.typingLine.hidden = !f.on;
    this.typingLine.textContent = (f.name || 'The visitor') + ' is typing…';
    if (f.on) this.theirTypingTimer = setTimeout(() => { this.typingLine.hidden = true; }, 8000);
  }

  typing() {
    if (!this.openId) return;
    const now = Date.now();
    if (now - this.typingSentAt > 3000) {
      this.typingSentAt = now;
      this.typingFor = this.openId;
      socket.send({ type: 'typing', conversation_id: this.openId, on: true });
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopTyping(), 3000);
  }

  stopTyping() {
    clearTimeout(this.typingTimer);
    if (this.typingSentAt && this.typingFor) {
      socket.send({ type: 'typing', conversation_id: this.typingFor, on: false });
    }
    this.typingSentAt = 0;
    this.typingFor = null;
  }

  send() {
    const text = this.box.value.trim();
    if (!text || !this.openId) return;
    const clientId = newId();
    const internal = this.internal.checked;
    const frame = { type: 'message', client_id: clientId, conversation_id: this.openId, text, internal };
    this.outbox.set(clientId, { conversation_id: this.openId, text, internal });
    this.addMessage({
      client_id: clientId, author: 'agent', text, internal, name: state.me.name,
      created_at: Date.now() / 1000, pending: true,
    }, null);
    this.stopTyping();
    socket.send(frame); // when offline, the outbox is sent again after reconnecting
    this.box.value = '';
    this.internal.checked = false;
    this.compose.classList.remove('internal');
    this.suggest.hidden = true;
    this.renderMessages();
  }

  // --- canned replies -----------------------------------------------------------
  async cannedReplies() {
    if (!this.canned) {
      try {
        const doc = await api('GET', '/api/canned-replies');
        this.canned = Array.isArray(doc) ? doc : doc.canned_replies || doc.items || [];
      } catch (err) {
        toast(errorText(err), 'error');
        return [];
      }
    }
    return this.cannedFor();
  }

  cannedFor() {
    const dept = this.summary && this.summary.department;
    return (this.canned || []).filter((r) => !r.department || !dept || r.department === dept);
  }

  async toggleCanned(button) {
    const show = this.cannedPanel.hidden;
    button.setAttribute('aria-expanded', String(show));
    if (!show) { this.cannedPanel.hidden = true; return; }
    const replies = await this.cannedReplies();
    const search = h('input', { type: 'search', 'data-test': 'canned-search', placeholder: 'Filter' });
    const list = h('ul', { class: 'canned-list' });
    const fill = () => {
      const q = search.value.toLowerCase();
      clear(list, replies.filter((r) => !q || (r.title + ' ' + r.shortcut + ' ' + r.text).toLowerCase().includes(q))
        .map((r) => h('li', {}, h('button', {
          type: 'button', 'data-test': 'canned-item', 'data-shortcut': r.shortcut,
          onclick: async () => {
            this.cannedPanel.hidden = true;
            button.setAttribute('aria-expanded', 'false');
            await this.insertCanned(r, null);
          },
        }, h('strong', {}, r.title || r.shortcut), ' ', h('span', { class: 'muted' }, '/' + r.shortcut)))));
      if (!list.children.length) list.append(h('li', { class: 'muted' }, 'No canned reply.'));
    };
    search.addEventListener('input', fill);
    search.addEventListener('keydown', (e) => { if (e.key === 'Escape') { this.cannedPanel.hidden = true; button.focus(); } });
    fill();
    clear(this.cannedPanel, label('Canned replies', search), list);
    this.cannedPanel.hidden = false;
    search.focus();
  }

  // Render a canned reply for this conversation and put it where the cursor is (or in
  // place of the /shortcut just typed).
  async insertCanned(reply, range) {
    let text = reply.text;
    try {
      text = (await api('POST', '/api/canned-replies/' + encodeURIComponent(reply.id) + '/render',
        { conversation_id: this.openId })).text;
    } catch (err) {
      toast(errorText(err), 'error');
      return;
    }
    const box = this.box;
    const [start, end] = range || [box.selectionStart, box.selectionEnd];
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
    this.suggest.hidden = true;
  }

  shortcutAtCursor() {
    const box = this.box;
    const before = box.value.slice(0, box.selectionStart);
    const match = /(^|\s)\/([\w-]*)$/.exec(before);
    if (!match) return null;
    return { word: match[2], range: [before.length - match[2].length - 1, box.selectionStart] };
  }

  async showSuggestions() {
    const at = this.shortcutAtCursor();
    if (!at) { this.suggest.hidden = true; return; }
    const replies = (await this.cannedReplies()).filter((r) => r.shortcut.toLowerCase().startsWith(at.word.toLowerCase()));
    clear(this.suggest, replies.slice(0, 6).map((r) => h('li', { role: 'option' }, h('button', {
      type: 'button', 'data-shortcut': r.shortcut,
      onclick: () => this.insertCanned(r, (this.shortcutAtCursor() || at).range),
    }, '/' + r.shortcut, ' ', h('span', { class: 'muted' }, r.title || '')))));
    this.suggest.hidden = !replies.length;
  }

  // Enter sends (Shift+Enter: a new line); Enter or Tab right after a /shortcut puts its
  // canned reply in instead. Decided synchronously, so the key's default can be stopped.
  onKey(e) {
    if (e.isComposing) return;
    if (e.key === 'Escape') { this.suggest.hidden = true; return; }
    if (!((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab')) return;
    const at = this.shortcutAtCursor();
    if (at && at.word && this.canned) {
      const word = at.word.toLowerCase();
      const replies = this.cannedFor();
      const match = replies.find((r) => r.shortcut.toLowerCase() === word)
        || (e.key === 'Tab' ? replies.find((r) => r.shortcut.toLowerCase().startsWith(word)) : null);
      if (match) {
        e.preventDefault();
        this.insertCanned(match, at.range);
        return;
      }
    }
    if (e.key === 'Enter') {
      e.preventDefault();
      this.send();
    }
  }

  // --- claim, transfer, close ---------------------------------------------------
  async action(kind) {
    const id = this.openId;
    try {
      const doc = await api('POST', `/api/conversations/${encodeURIComponent(id)}/${kind}`);
      const c = doc && (doc.conversation || (doc.id ? doc : null));
      if (c && this.openId === id) {
        this.summary = Object.assign(this.summary || {}, c);
        if (store.convs.has(id)) Object.assign(store.convs.get(id), c);
        else store.convs.set(id, { ...c });
        store.emit({ kind: 'conversation', id });
      }
      toast(kind === 'claim' ? 'The chat is yours.' : 'Conversation closed.');
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  async transferDialog() {
    const id = this.openId;
    const status = h('p', { class: 'form-error', role: 'alert' });
    const agentSelect = h('select', { name: 'agent', 'data-test': 'transfer-agent' }, h('option', { value: '' }, '— nobody in particular —'));
    const deptSelect = h('select', { name: 'department', 'data-test': 'transfer-department' }, h('option', { value: '' }, '— no department —'));
    const note = h('textarea', { name: 'note', rows: 3, 'data-test': 'transfer-note', placeholder: 'What the colleague should know' });
    const dialog = h('dialog', { class: 'card' });
    const form = h('form', { 'aria-label': 'Transfer the conversation' },
      h('h2', {}, 'Transfer'),
      h('p', { class: 'muted' }, 'Pick an agent, or a department (its least busy available member gets it, or it waits in its queue).'),
      label('To an agent', agentSelect), label('To a department', deptSelect), label('Note for the colleague (internal)', note),
      h('div', { class: 'row' },
        h('button', { type: 'submit', class: 'primary', 'data-test': 'transfer-submit' }, 'Transfer'),
        h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel')),
      status);
    try {
      const [agents, departments, presence] = await Promise.all([
        api('GET', '/api/agents'), catalog('departments'), api('GET', '/api/presence')]);
      const live = new Map((presence.agents || []).map((a) => [a.id, a]));
      for (const a of agents) {
        if (myIds().includes(a.id)) continue;
        const p = live.get(a.id) || {};
        const st = p.status || 'offline';
        agentSelect.append(h('option', { value: a.id, disabled: st === 'offline' },
          `${a.name || a.email} — ${st}${p.active_chats !== undefined ? ', ' + p.active_chats + ' chats' : ''}`));
      }
      for (const d of departments) deptSelect.append(h('option', { value: d.key }, d.name || d.key));
    } catch (err) {
      status.textContent = errorText(err);
    }
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!agentSelect.value && !deptSelect.value) {
        status.textContent = 'Pick an agent or a department.';
        return;
      }
      try {
        await api('POST', `/api/conversations/${encodeURIComponent(id)}/transfer`, {
          agent_id: agentSelect.value || null, department: deptSelect.value || null,
          note: note.value.trim(),  // optional: an empty note, never null (the API wants text)
        });
        dialog.close();
        toast('Conversation transferred.');
        if (this.openId === id) this.load(id);
      } catch (err) {
        status.textContent = err.code === 'agent_offline' ? 'That agent is offline; pick someone else or a department.' : errorText(err);
      }
    });
    dialog.append(form);
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
  }
}
