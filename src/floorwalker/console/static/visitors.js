// Visitors: everyone on the site now, live from `visitors` / `visitors_left` frames, with
// filters, a per-segment chart and the visitor card (docs/console.md).
import {
  api, clear, duration, errorText, flag, h, money, route, safeHref, socket, toast, when,
} from './core.js';
import { catalog, chip, foldable, label, svg } from './live-common.js';

// Filters survive leaving the page and coming back.
const filters = { segment: '', department: '', page: '', sort: 'time_on_site' };

route('visitors', {
  title: 'Visitors',
  nav: true,
  render(view, params) {
    const page = new VisitorsPage(view);
    if (params.v) page.openCard(params.v);
    return () => page.stop();
  },
});

// Columns left out while the card takes half the screen.
const EXTRA = new Set(['Pages', 'Visits', 'Device', 'Lang']);

function matches(row) {
  if (filters.segment && !(row.segments || []).includes(filters.segment)) return false;
  if (filters.department && !(row.departments || []).includes(filters.department)) return false;
  const path = (row.current_page && (row.current_page.path || row.current_page.url)) || '';
  if (filters.page && !path.toLowerCase().includes(filters.page.toLowerCase())) return false;
  return true;
}

function timeOnSite(row) {
  return (row.time_on_site || 0) + (Date.now() - row._at) / 1000;
}

class VisitorsPage {
  constructor(view) {
    this.view = view;
    this.rows = new Map();
    this.total = 0;
    this.segments = new Map(); // key -> {key, name, color, priority}
    this.cardId = null;
    this.cardTimer = null;
    this.renderTimer = null;
    this.offs = [
      socket.on('visitors', (f) => this.upsert(f.visitors || [])),
      socket.on('visitors_left', (f) => this.remove(f.ids || [])),
      socket.onConnect(() => this.load()),
    ];
    this.ticker = setInterval(() => this.tick(), 1000);
    this.build();
    this.load();
  }

  stop() {
    for (const off of this.offs) off();
    clearInterval(this.ticker);
    clearTimeout(this.renderTimer);
    clearTimeout(this.cardTimer);
  }

  build() {
    const segment = h('select', { name: 'segment', 'data-test': 'filter-segment' }, h('option', { value: '' }, 'All segments'));
    const department = h('select', { name: 'department', 'data-test': 'filter-department' }, h('option', { value: '' }, 'All departments'));
    const pageInput = h('input', { name: 'page', type: 'search', placeholder: '/checkout', 'data-test': 'filter-page' });
    const sort = h('select', { name: 'sort', 'data-test': 'sort' },
      h('option', { value: 'time_on_site' }, 'Time on site'),
      h('option', { value: 'cart_value' }, 'Cart value'),
      h('option', { value: 'newest' }, 'Newest'));
    this.form = h('form', { class: 'filters row', role: 'search', 'aria-label': 'Filter visitors' },
      label('Segment', segment), label('Department', department), label('Page contains', pageInput),
      label('Sort by', sort));
    segment.value = filters.segment;
    pageInput.value = filters.page;
    sort.value = filters.sort;
    const changed = () => {
      filters.segment = segment.value;
      filters.department = department.value;
      filters.page = pageInput.value.trim();
      filters.sort = sort.value;
      this.load();
    };
    for (const control of [segment, department, sort]) control.addEventListener('change', changed);
    let typing = null;
    pageInput.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(changed, 300); });
    this.form.addEventListener('submit', (e) => { e.preventDefault(); changed(); });
    this.controls = { segment, department };

    this.summary = h('p', { class: 'muted', 'data-test': 'visitor-count', 'aria-live': 'polite' });
    this.chart = h('figure', { class: 'card seg-chart', 'data-test': 'segment-chart' });
    this.tbody = h('tbody', { 'data-test': 'visitor-rows' });
    this.table = h('div', { class: 'table-wrap' }, h('table', { class: 'visitors stack' },
      h('thead', {}, h('tr', {},
        ['Visitor', 'Page', 'On site', 'Pages', 'Visits', 'Source', 'Location', 'Device', 'Lang', 'Cart', 'Segments']
          .map((t) => h('th', { scope: 'col', class: EXTRA.has(t) ? 'extra' : null }, t)))),
      this.tbody));
    this.listPane = h('section', { class: 'visitor-list', 'aria-label': 'Live visitors' },
      h('h1', {}, 'Visitors on the site'), foldable('Filters and sorting', this.form), this.summary, this.chart, this.table);
    this.cardPane = h('aside', { class: 'visitor-card card', 'aria-label': 'Visitor card', hidden: true, 'data-test': 'visitor-card' });
    this.layout = h('div', { class: 'split' }, this.listPane, this.cardPane);
    clear(this.view, this.layout);
    this.fillSelects();
  }

  async fillSelects() {
    try {
      const [segments, departments] = await Promise.all([catalog('segments'), catalog('departments')]);
      for (const s of [...segments].sort((a, b) => (b.priority || 0) - (a.priority || 0))) {
        if (!this.segments.has(s.key)) this.segments.set(s.key, s);
        this.controls.segment.append(h('option', { value: s.key }, s.name || s.key));
      }
      for (const d of departments) this.controls.department.append(h('option', { value: d.key }, d.name || d.key));
      this.controls.segment.value = filters.segment;
      this.controls.department.value = filters.department;
      this.scheduleRender();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  async load() {
    const q = new URLSearchParams({ limit: '500' });
    for (const key of ['segment', 'department', 'page']) if (filters[key]) q.set(key, filters[key]);
    if (filters.sort !== 'newest') q.set('sort', filters.sort);
    try {
      const doc = await api('GET', '/api/live/visitors?' + q);
      const at = Date.now();
      this.rows = new Map((doc.visitors || []).map((r) => [r.id, { ...r, _at: at }]));
      this.total = doc.count !== undefined ? doc.count : this.rows.size;
      for (const s of doc.segments || []) this.segments.set(s.key, { ...this.segments.get(s.key), ...s });
      this.render();
      if (this.cardId) this.loadCard(this.cardId);
    } catch (err) {
      clear(this.tbody, h('tr', {}, h('td', { colspan: 11, class: 'form-error' }, errorText(err))));
    }
  }

  upsert(rows) {
    const at = Date.now();
    for (const row of rows) {
      const known = this.rows.has(row.id);
      if (matches(row)) {
        if (!known) this.total += 1;
        this.rows.set(row.id, { ...row, _at: at });
      } else if (known) {
        this.rows.delete(row.id);
        this.total = Math.max(0, this.total - 1);
      }
      if (row.id === this.cardId) this.refreshCardSoon();
    }
    this.scheduleRender();
  }

  remove(ids) {
    for (const id of ids) {
      if (this.rows.delete(id)) this.total = Math.max(0, this.total - 1);
    }
    this.scheduleRender();
  }

  scheduleRender() {
    if (this.renderTimer) return;
    this.renderTimer = setTimeout(() => { this.renderTimer = null; this.render(); }, 150);
  }

  sorted() {
    const rows = [...this.rows.values()];
    if (filters.sort === 'cart_value') rows.sort((a, b) => (b.cart_value || 0) - (a.cart_value || 0));
    else if (filters.sort === 'time_on_site') rows.sort((a, b) => timeOnSite(b) - timeOnSite(a));
    else rows.sort((a, b) => (b.last_seen || 0) - (a.last_seen || 0));
    return rows;
  }

  render() {
    const rows = this.sorted();
    this.summary.textContent = rows.length === this.total
      ? `${rows.length} visitor${rows.length === 1 ? '' : 's'} on the site now`
      : `Showing ${rows.length} of ${this.total} visitors on the site now`;
    clear(this.tbody, rows.length ? rows.map((r) => this.rowView(r))
      : h('tr', {}, h('td', { colspan: 11, class: 'muted', 'data-test': 'no-visitors' }, 'Nobody matches right now.')));
    this.renderChart(rows);
  }

  rowView(r) {
    const page = r.current_page || {};
    const src = r.source || {};
    const srcBits = [src.type, src.name].filter(Boolean).join(' · ');
    const extra = [src.keyword && `“${src.keyword}”`, src.campaign && `campaign ${src.campaign}`].filter(Boolean).join(', ');
    const name = r.name || r.email || r.user_id || 'Visitor ' + r.id.slice(-6);
    const open = h('button', { class: 'link', type: 'button', 'data-test': 'open-visitor', onclick: () => this.openCard(r.id) }, name);
    const tr = h('tr', {
      class: 'clickable' + (r.id === this.cardId ? ' selected' : ''), 'data-test': 'visitor-row', 'data-visitor': r.id,
      onclick: (e) => { if (e.target === tr || e.target.tagName === 'TD') this.openCard(r.id); },
    },
    h('td', { 'data-label': 'Visitor' }, open, r.in_chat ? h('span', { class: 'pill' }, 'in chat') : null),
    h('td', { 'data-label': 'Page', 'data-test': 'current-page', title: page.url || '' }, page.title || page.path || ''),
    h('td', { 'data-label': 'On site', 'data-test': 'time-on-site', 'data-tick': r.id }, duration(timeOnSite(r))),
    h('td', { class: 'extra', 'data-label': 'Pages' }, String(r.session_pages || 0)),
    h('td', { class: 'extra', 'data-label': 'Visits' }, String(r.visits || 0)),
    h('td', { 'data-label': 'Source' }, srcBits || 'direct', extra ? h('div', { class: 'muted small' }, extra) : null),
    h('td', { 'data-label': 'Location' }, [flag(r.country), r.city || r.country || ''].filter(Boolean).join(' ')),
    h('td', { class: 'extra', 'data-label': 'Device' }, [r.device, r.browser].filter(Boolean).join(' · ')),
    h('td', { class: 'extra', 'data-label': 'Lang' }, r.language || ''),
    h('td', { 'data-label': 'Cart', 'data-test': 'cart-value' }, r.cart_value ? money(r.cart_value, r.currency) : ''),
    h('td', { 'data-label': 'Segments', 'data-test': 'segments' }, (r.top_segments || []).slice(0, 3).map((s) => chip(s, this.segments))));
    return tr;
  }

  tick() {
    for (const cell of this.view.querySelectorAll('[data-tick]')) {
      const row = this.rows.get(cell.dataset.tick);
      if (row) cell.textContent = duration(timeOnSite(row));
    }
  }

  // Live visitors per segment: the rows held here, drawn as horizontal bars.
  renderChart(rows) {
    const counts = new Map();
    for (const r of rows) for (const key of r.segments || []) counts.set(key, (counts.get(key) || 0) + 1);
    const items = [...counts.entries()]
      .map(([key, count]) => ({ name: key, ...this.segments.get(key), key, count }))
      .sort((a, b) => (b.priority || 0) - (a.priority || 0) || b.count - a.count);
    if (!items.length) {
      clear(this.chart, h('figcaption', { class: 'muted' }, 'No live visitor is in a segment.'));
      return;
    }
    const max = Math.max(...items.map((i) => i.count));
    const rowH = 22;
    const width = 320;
    const labelW = 130;
    const plot = svg('svg', {
      viewBox: `0 0 ${width} ${items.length * rowH}`, width, height: items.length * rowH, role: 'img',
      'aria-label': 'Live visitors per segment: ' + items.map((i) => `${i.name} ${i.count}`).join(', '),
    }, items.map((item, i) => {
      const w = Math.max(2, ((width - labelW - 40) * item.count) / max);
      return svg('g', { 'data-test': 'chart-bar', 'data-segment': item.key },
        svg('title', {}, `${item.name}: ${item.count}`),
        svg('text', { x: 0, y: i * rowH + 15, class: 'chart-label' }, item.name.length > 18 ? item.name.slice(0, 17) + '…' : item.name),
        svg('rect', { x: labelW, y: i * rowH + 4, width: w, height: rowH - 8, rx: 3, fill: item.color || '#5f6b7a' }),
        svg('text', { x: labelW + w + 4, y: i * rowH + 15, class: 'chart-value' }, String(item.count)));
    }));
    clear(this.chart, h('figcaption', {}, 'Live visitors per segment'), plot);
  }

  // --- the visitor card --------------------------------------------------------------
  openCard(id) {
    this.cardId = id;
    this.layout.classList.add('with-card');
    this.cardPane.hidden = false;
    for (const tr of this.tbody.querySelectorAll('tr.selected')) tr.classList.remove('selected');
    const tr = this.tbody.querySelector(`tr[data-visitor="${CSS.escape(id)}"]`);
    if (tr) tr.classList.add('selected');
    clear(this.cardPane, h('p', { class: 'loading' }, 'Loading…'));
    this.loadCard(id).then(() => { const title = this.cardPane.querySelector('h2'); if (title) title.focus(); });
  }

  closeCard() {
    const id = this.cardId;
    this.cardId = null;
    this.layout.classList.remove('with-card');
    this.cardPane.hidden = true;
    const back = id && this.tbody.querySelector(`tr[data-visitor="${CSS.escape(id)}"] button`);
    if (back) back.focus();
  }

  refreshCardSoon() {
    clearTimeout(this.cardTimer);
    this.cardTimer = setTimeout(() => { if (this.cardId) this.loadCard(this.cardId); }, 400);
  }

  async loadCard(id) {
    let doc;
    try {
      doc = await api('GET', '/api/live/visitors/' + encodeURIComponent(id));
    } catch (err) {
      if (this.cardId === id) clear(this.cardPane, this.cardHeader(null, id), h('p', { class: 'form-error' }, errorText(err)));
      return;
    }
    if (this.cardId !== id) return;
    // A refresh keeps the sections the agent opened or closed.
    const before = new Map([...this.cardPane.querySelectorAll('details')].map((d) => [d.dataset.section, d.open]));
    clear(this.cardPane, ...this.cardView(doc));
    for (const d of this.cardPane.querySelectorAll('details')) {
      if (before.has(d.dataset.section)) d.open = before.get(d.dataset.section);
    }
  }

  cardHeader(row, id) {
    const name = row ? row.name || row.email || row.user_id || 'Visitor ' + row.id.slice(-6) : id;
    return h('div', { class: 'card-head' },
      h('button', { type: 'button', class: 'back', 'data-test': 'card-back', onclick: () => this.closeCard() }, '← Back'),
      h('h2', { tabindex: '-1', 'data-test': 'card-name' }, name),
      row ? h('button', { type: 'button', class: 'primary', 'data-test': 'start-chat', onclick: () => this.inviteDialog(row) }, 'Start a chat') : null);
  }

  // The address and whether e-mail reaches it (verified, bouncing, unsubscribed).
  emailFact(shown, email) {
    if (!email) return shown;
    const notes = { bouncing: 'bouncing: e-mails to it fail', unsubscribed: 'unsubscribed' };
    const status = notes[email.status] || (email.verified ? 'verified' : 'not verified');
    return h('span', {}, email.address, ' ',
      h('span', { class: 'email-status email-' + (notes[email.status] ? email.status : email.verified ? 'verified' : 'unverified'),
        'data-test': 'email-status' }, status));
  }

  cardView(doc) {
    const row = doc.visitor || {};
    const profile = doc.profile || {};
    const page = row.current_page || {};
    const src = row.source || {};
    const facts = [
      ['E-mail', this.emailFact(row.email, doc.email)], ['User id', row.user_id], ['Visitor id', row.id],
      ['Current page', page.url && safeHref(page.url)
        ? h('a', { href: page.url, target: '_blank', rel: 'noopener' }, page.title || page.path || page.url)
        : page.title || page.path || page.url || ''],
      ['Time on site', h('span', { 'data-tick': row.id }, duration(timeOnSite(this.rows.get(row.id) || { ...row, _at: Date.now() })))],
      ['Pages this visit', row.session_pages], ['Visits', row.visits],
      ['Source', [src.type, src.name, src.keyword && `“${src.keyword}”`, src.campaign && `campaign ${src.campaign}`].filter(Boolean).join(' · ')],
      ['Referrer', src.referrer], ['Location', [flag(row.country), row.city, row.country].filter(Boolean).join(' ')],
      ['Device', [row.device, row.browser, row.os].filter(Boolean).join(' · ')], ['Language', row.language],
      ['Customer', profile.customer_type], ['Orders', profile.purchase_count],
      ['Lifetime revenue', profile.lifetime_revenue ? money(profile.lifetime_revenue, row.currency) : ''],
      ['First seen', when(profile.first_seen)],
    ].filter(([, v]) => v !== undefined && v !== null && v !== '');
    const cart = profile.cart || {};
    const attrs = Object.entries(profile.attributes || {});
    const segKeys = row.segments || (profile.segments || []).map((s) => (typeof s === 'string' ? s : s.key));
    return [
      this.cardHeader(row, row.id),
      h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      section('segments', 'Segments', segKeys.length
        ? h('div', { 'data-test': 'card-segments' }, segKeys.map((k) => chip(k, this.segments)))
        : h('p', { class: 'muted' }, 'In no segment.'), true),
      section('cart', 'Cart', (cart.items || []).length
        ? h('table', { 'data-test': 'card-cart' },
          h('tbody', {}, cart.items.map((i) => h('tr', {},
            h('td', {}, i.item_name || i.item_id), h('td', {}, '× ' + (i.quantity || 1)),
            h('td', {}, money((i.price || 0) * (i.quantity || 1), cart.currency))))),
          h('tfoot', {}, h('tr', {}, h('th', { colspan: 2 }, 'Total'), h('th', {}, money(cart.value || 0, cart.currency)))))
        : h('p', { class: 'muted' }, 'Empty cart.'), true),
      section('attributes', 'Attributes', attrs.length
        ? h('dl', { class: 'facts' }, attrs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))]))
        : h('p', { class: 'muted' }, 'No attributes.')),
      section('timeline', 'Live timeline', h('ol', { class: 'timeline', 'data-test': 'card-timeline' },
        (doc.events || []).map((e) => h('li', {},
          h('time', {}, when(e.timestamp || e.received_at)), ' ', h('strong', {}, e.name || e.type), ' ',
          h('span', { class: 'muted' }, eventSummary(e))))), true),
      section('conversations', 'Conversations', (doc.conversations || []).length
        ? h('ul', { 'data-test': 'card-conversations' }, doc.conversations.map((c) => h('li', {},
          h('a', { href: '#/chats?c=' + encodeURIComponent(c.id) }, when(c.started_at) + ' · ' + c.status),
          c.last_message ? h('span', { class: 'muted' }, ' — ' + c.last_message.text) : null)))
        : h('p', { class: 'muted' }, 'No conversations yet.')),
      section('decisions', 'Scenarios', (doc.decisions || []).length
        ? h('ul', { class: 'decisions', 'data-test': 'card-decisions' }, doc.decisions.map((d) => h('li', { 'data-outcome': d.outcome },
          h('strong', {}, d.scenario || 'manual'), ' ',
          h('span', { class: 'pill outcome-' + d.outcome }, d.outcome),
          d.reason ? ' ' + reasonText(d.reason) : '',
          d.action_type ? h('span', { class: 'muted' }, ' · ' + d.action_type) : null,
          d.variant ? h('span', { class: 'muted' }, ' · variant ' + d.variant) : null,
          d.response ? h('span', { class: 'muted' }, ' · ' + d.response) : null,
          h('span', { class: 'muted' }, ' · ' + when(d.created_at)))))
        : h('p', { class: 'muted' }, 'No scenario fired this visit.'), true),
    ];
  }

  inviteDialog(row) {
    const status = h('p', { class: 'form-error', role: 'alert' });
    const text = h('textarea', { name: 'text', rows: 3, required: true, maxlength: 1000, 'data-test': 'invite-text' });
    text.value = row.name ? `Hi ${row.name.split(' ')[0]}! Can I help you?` : 'Hi! Can I help you?';
    const dialog = h('dialog', { class: 'card' });
    const form = h('form', { 'aria-label': 'Invite to chat' },
      h('h2', {}, 'Invite to a chat'),
      label('Message the visitor sees', text),
      h('div', { class: 'row' },
        h('button', { type: 'submit', class: 'primary', 'data-test': 'send-invite' }, 'Send invitation'),
        h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel')),
      status);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await api('POST', '/api/live/visitors/' + encodeURIComponent(row.id) + '/invite', { text: text.value.trim() });
        dialog.close();
        toast('Invitation sent. If they answer, the chat is yours.');
      } catch (err) {
        status.textContent = err.code === 'visitor_offline' ? 'The visitor has no page open any more.' : errorText(err);
      }
    });
    dialog.append(form);
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
  }
}

function section(key, title, body, open = false) {
  return h('details', { open, 'data-section': key }, h('summary', {}, title), body);
}

const REASONS = {
  no_free_agent: 'no free agent could take it',
  capped: 'a frequency cap held it back',
  in_chat: 'the visitor was already chatting',
  outside_hours: 'outside business hours',
  min_gap: 'too soon after the last message',
};

function reasonText(reason) {
  // replaced_by:<scenario>: a more urgent scenario took this message's place.
  if (reason.startsWith('replaced_by:')) return '— replaced by ' + reason.slice(12);
  return '— ' + (REASONS[reason] || reason.replace(/_/g, ' '));
}

function eventSummary(e) {
  const p = e.properties || {};
  const bits = [];
  for (const key of ['search_term', 'result_count', 'item_id', 'value', 'coupon', 'title', 'payment_method']) {
    if (p[key] !== undefined && p[key] !== null && p[key] !== '') bits.push(`${key.replace(/_/g, ' ')}: ${p[key]}`);
  }
  const pageCtx = e.context && e.context.page;
  if (!bits.length && pageCtx && pageCtx.path) bits.push(pageCtx.path);
  if (!bits.length && p.path) bits.push(p.path);
  return bits.join(', ');
}
