// History: search and filter past conversations, read a transcript (internal notes marked),
// export one as text or all matching as CSV, and a chart of chats per day with the average
// rating (docs/console.md). Filters live in the address (#/history?q=...&segment=...).
import { api, clear, errorText, h, navigate, route, when } from './core.js';
import { catalog, chip, foldable, label, segmentMap, svg } from './live-common.js';

const FILTERS = ['q', 'segment', 'agent', 'department', 'scenario', 'from', 'to', 'rating', 'status', 'channel'];

route('history', {
  title: 'History',
  nav: true,
  render(view, params) {
    const page = new HistoryPage(view, params);
    return () => page.stop();
  },
});

// The API's query for the filters: dates become epoch seconds (the whole "to" day counts).
function apiQuery(params) {
  const q = new URLSearchParams({ view: 'all' });
  for (const key of ['q', 'segment', 'agent', 'department', 'scenario', 'rating', 'status', 'channel']) {
    if (params[key]) q.set(key, params[key]);
  }
  if (params.from) q.set('since', String(new Date(params.from + 'T00:00:00').getTime() / 1000));
  if (params.to) q.set('until', String(new Date(params.to + 'T00:00:00').getTime() / 1000 + 86400));
  return q;
}

class HistoryPage {
  constructor(view, params) {
    this.view = view;
    this.params = params;
    this.stopped = false;
    this.segments = new Map();
    // Chips need the segments' names and colours before the first rows are drawn.
    this.ready = segmentMap().then((m) => { this.segments = m; });
    this.build();
    this.fillSelects();
    this.search();
    this.chart();
    if (params.open) this.openTranscript(params.open);
  }

  stop() { this.stopped = true; }

  build() {
    const p = this.params;
    const input = (name, attrs = {}) => h('input', { name, value: p[name] || '', 'data-test': 'history-' + name, ...attrs });
    const select = (name, first) => h('select', { name, 'data-test': 'history-' + name }, h('option', { value: '' }, first));
    this.selects = {
      segment: select('segment', 'Any segment'), agent: select('agent', 'Any agent'),
      department: select('department', 'Any department'), scenario: select('scenario', 'Any scenario'),
      rating: select('rating', 'Any rating'), status: select('status', 'Any status'),
      channel: select('channel', 'Chat or e-mail'),
    };
    for (const r of [5, 4, 3, 2, 1]) this.selects.rating.append(h('option', { value: String(r) }, '★'.repeat(r) + ' (' + r + ')'));
    for (const s of ['open', 'queued', 'closed']) this.selects.status.append(h('option', { value: s }, s));
    this.selects.channel.append(h('option', { value: 'email' }, 'Replied by e-mail'), h('option', { value: 'chat' }, 'Chat only'));
    this.form = h('form', { class: 'filters row', role: 'search', 'aria-label': 'Search conversations' },
      label('Words in the messages', input('q', { type: 'search' })),
      label('Segment', this.selects.segment), label('Agent', this.selects.agent),
      label('Department', this.selects.department), label('Scenario', this.selects.scenario),
      label('From', input('from', { type: 'date' })), label('To', input('to', { type: 'date' })),
      label('Rating', this.selects.rating), label('Status', this.selects.status),
      label('Channel', this.selects.channel),
      h('div', { class: 'row' },
        h('button', { type: 'submit', class: 'primary', 'data-test': 'history-search' }, 'Search'),
        h('button', { type: 'button', onclick: () => navigate('history') }, 'Clear')));
    this.setSelects();
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const next = {};
      for (const key of FILTERS) {
        const value = this.form.elements[key] && this.form.elements[key].value.trim();
        if (value) next[key] = value;
      }
      navigate('history', next);
    });
    this.csv = h('a', { class: 'button-like', 'data-test': 'export-csv', href: '/api/conversations/export.csv?' + apiQuery(p), download: 'conversations.csv' }, 'Export all matching as CSV');
    this.count = h('p', { class: 'muted', 'data-test': 'history-count' });
    this.tbody = h('tbody', { 'data-test': 'history-rows' });
    this.more = h('button', { type: 'button', hidden: true, 'data-test': 'history-more', onclick: () => this.search(this.next) }, 'More');
    this.chartBox = h('figure', { class: 'card day-chart', 'data-test': 'day-chart' }, h('figcaption', { class: 'muted' }, 'Loading the chart…'));
    this.transcript = h('aside', { class: 'transcript card', hidden: true, 'aria-label': 'Transcript', 'data-test': 'transcript' });
    this.layout = h('div', { class: 'split' },
      h('section', { class: 'history-list', 'aria-label': 'Conversations' },
        h('h1', {}, 'History'), this.chartBox, foldable('Search and filters', this.form), h('div', { class: 'row' }, this.count, this.csv),
        h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
          h('thead', {}, h('tr', {}, ['Started', 'Visitor', 'Agent', 'Department', 'Scenario', 'Segments', 'Rating', 'Last message']
            .map((t) => h('th', { scope: 'col' }, t)))),
          this.tbody)), this.more),
      this.transcript);
    clear(this.view, this.layout);
  }

  setSelects() {
    for (const [key, sel] of Object.entries(this.selects)) sel.value = this.params[key] || '';
  }

  async fillSelects() {
    const add = (sel, items, value, text) => {
      for (const item of items) sel.append(h('option', { value: item[value] }, item[text] || item[value]));
    };
    try {
      const [segments, agents, departments, scenarios] = await Promise.all([
        catalog('segments'), catalog('agents'), catalog('departments'), catalog('scenarios')]);
      add(this.selects.segment, segments, 'key', 'name');
      add(this.selects.agent, agents, 'id', 'name');
      add(this.selects.department, departments, 'key', 'name');
      add(this.selects.scenario, scenarios, 'key', 'name');
      this.setSelects();
    } catch (err) {
      this.count.textContent = errorText(err);
    }
  }

  async search(before) {
    const q = apiQuery(this.params);
    q.set('limit', '50');
    if (before) q.set('before', before);
    else clear(this.tbody, h('tr', {}, h('td', { colspan: 8, class: 'loading' }, 'Searching…')));
    try {
      const doc = await api('GET', '/api/conversations?' + q);
      await this.ready;
      if (this.stopped) return;
      if (!before) { clear(this.tbody); this.shown = 0; }
      const items = doc.conversations || [];
      for (const c of items) this.tbody.append(this.rowView(c));
      this.shown += items.length;
      this.next = doc.next;
      this.more.hidden = !doc.next;
      this.count.textContent = this.shown
        ? `${this.shown}${doc.next ? '+' : ''} conversation${this.shown === 1 ? '' : 's'}`
        : 'No conversation matches.';
      if (!this.shown) this.tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'muted', 'data-test': 'history-empty' }, 'No conversation matches.')));
    } catch (err) {
      clear(this.tbody, h('tr', {}, h('td', { colspan: 8, class: 'form-error' }, errorText(err))));
    }
  }

  rowView(c) {
    const v = c.visitor || {};
    const open = h('button', { type: 'button', class: 'link', 'data-test': 'history-open', onclick: () => this.openTranscript(c.id) }, when(c.started_at));
    return h('tr', { 'data-test': 'history-row', 'data-conversation': c.id },
      h('td', { 'data-label': 'Started' }, open),
      h('td', { 'data-label': 'Visitor' }, v.name || v.email || (v.id ? 'Visitor ' + v.id.slice(-6) : '')),
      h('td', { 'data-label': 'Agent' }, c.assigned_agent_name || ''),
      h('td', { 'data-label': 'Department' }, c.department || ''),
      h('td', { 'data-label': 'Scenario' }, c.scenario || ''),
      h('td', { 'data-label': 'Segments' }, (c.segments || []).map((k) => chip(k, this.segments))),
      h('td', { 'data-label': 'Rating' }, c.rating ? '★'.repeat(c.rating) : ''),
      h('td', { 'data-label': 'Last message' }, c.last_message ? c.last_message.text : ''));
  }

  async openTranscript(id) {
    this.transcript.hidden = false;
    this.layout.classList.add('with-card');
    clear(this.transcript, h('p', { class: 'loading' }, 'Loading…'));
    let doc;
    try {
      doc = await api('GET', '/api/conversations/' + encodeURIComponent(id));
    } catch (err) {
      clear(this.transcript, this.transcriptHead(id), h('p', { class: 'form-error' }, errorText(err)));
      return;
    }
    const c = doc.conversation || {};
    const survey = c.survey || {};
    clear(this.transcript, this.transcriptHead(id),
      h('p', { class: 'muted' }, [when(c.started_at), c.status, c.department, c.assigned_agent_name, c.scenario].filter(Boolean).join(' · ')),
      (c.segments || []).length ? h('p', {}, c.segments.map((k) => chip(k, this.segments))) : null,
      c.rating ? h('p', { 'data-test': 'transcript-rating' }, 'Rating: ' + '★'.repeat(c.rating) + (survey.comment ? ' — “' + survey.comment + '”' : '')) : null,
      h('ol', { class: 'chat-log transcript-log' }, (doc.messages || []).map((m) => h('li', {
        class: 'msg msg-' + (m.internal ? 'internal' : m.author), 'data-test': 'transcript-message', 'data-internal': m.internal ? 'true' : null,
      },
      h('span', { class: 'msg-who' }, m.internal ? 'Internal note · ' : '', m.name || m.author),
      h('span', { class: 'msg-text' }, m.text),
      h('span', { class: 'msg-meta muted' }, when(m.created_at))))));
    const title = this.transcript.querySelector('h2');
    if (title) title.focus();
  }

  transcriptHead(id) {
    return h('div', { class: 'card-head' },
      h('button', { type: 'button', class: 'back', onclick: () => { this.transcript.hidden = true; this.layout.classList.remove('with-card'); } }, '← Back'),
      h('h2', { tabindex: '-1' }, 'Transcript'),
      h('a', { class: 'button-like', 'data-test': 'export-txt', href: `/api/conversations/${encodeURIComponent(id)}/transcript.txt`, download: id + '.txt' }, 'Download as text'),
      h('a', { class: 'button-like', href: '#/chats?c=' + encodeURIComponent(id) }, 'Open in Chats'));
  }

  // Chats per day (bars) with the average rating (dots on a 0-5 scale).
  async chart() {
    let doc;
    try {
      doc = await api('GET', '/api/stats/overview?days=14');
    } catch (err) {
      clear(this.chartBox, h('figcaption', { class: 'muted' }, 'No chart: ' + errorText(err)));
      return;
    }
    if (this.stopped) return;
    const days = doc.days || [];
    const W = 560;
    const H = 160;
    const pad = { l: 28, r: 28, t: 10, b: 24 };
    const maxChats = Math.max(1, ...days.map((d) => d.chats || 0));
    const step = (W - pad.l - pad.r) / Math.max(1, days.length);
    const y = (v) => H - pad.b - ((H - pad.t - pad.b) * v) / maxChats;
    const yr = (v) => H - pad.b - ((H - pad.t - pad.b) * v) / 5;
    const points = [];
    const bars = days.map((d, i) => {
      const x = pad.l + i * step;
      if (d.avg_rating) points.push([x + step / 2, yr(d.avg_rating)]);
      return svg('g', { 'data-test': 'day-bar', 'data-day': d.day, 'data-chats': d.chats },
        svg('title', {}, `${d.day}: ${d.chats} chats${d.avg_rating ? ', average rating ' + d.avg_rating.toFixed(1) : ''}`),
        svg('rect', { x: x + 2, y: y(d.chats || 0), width: Math.max(1, step - 4), height: H - pad.b - y(d.chats || 0), fill: '#2457d6', rx: 2 }),
        i % Math.ceil(days.length / 7) === 0 ? svg('text', { x: x + step / 2, y: H - 6, 'text-anchor': 'middle', class: 'chart-axis' }, d.day.slice(5)) : null);
    });
    const line = points.length > 1 ? svg('polyline', { points: points.map((p) => p.join(',')).join(' '), fill: 'none', stroke: '#b7791f', 'stroke-width': 2 }) : null;
    const dots = points.map(([px, py]) => svg('circle', { cx: px, cy: py, r: 3, fill: '#b7791f' }));
    const plot = svg('svg', {
      viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img',
      'aria-label': 'Chats per day with average rating: ' + days.map((d) => `${d.day} ${d.chats}`).join(', '),
    },
    svg('text', { x: 2, y: pad.t + 8, class: 'chart-axis' }, String(maxChats)),
    svg('text', { x: W - 2, y: pad.t + 8, 'text-anchor': 'end', class: 'chart-axis' }, '5★'),
    svg('line', { x1: pad.l, x2: W - pad.r, y1: H - pad.b, y2: H - pad.b, stroke: '#dfe3e8' }),
    bars, line, dots);
    const live = doc.live || {};
    clear(this.chartBox,
      h('figcaption', {}, 'Chats per day (bars) and average rating (line), last 14 days',
        h('span', { class: 'muted' }, ` · now: ${live.visitors || 0} visitors, ${live.in_chat || 0} in chat, ${live.queued || 0} queued`)),
      plot);
  }
}
