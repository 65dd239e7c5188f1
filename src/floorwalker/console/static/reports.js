// Reports: each scenario's funnel from decision to revenue, and its lift against its
// holdout group (docs/reports.md). Filters live in the address (#/reports?since=...).
// Charts are drawn by Chart.js (vendor/, MIT), loaded the first time this page opens.
import { api, clear, errorText, h, isAdmin, navigate, route } from './core.js';
import { foldable, label } from './live-common.js';

const STAGES = [
  ['eligible', 'Eligible'], ['decided', 'Decided'], ['delivered', 'Delivered'], ['shown', 'Shown'],
  ['engaged', 'Engaged'], ['chats', 'Chats'], ['answered', 'Answered'], ['converted', 'Converted'],
];
const VERDICTS = {
  better: 'Better than holding out', worse: 'Worse than holding out',
  no_difference: 'No clear difference', too_small: 'Too few visitors to tell',
};
const BLUE = '#2457d6';
const GREEN = '#1f8a4c';

route('reports', {
  title: 'Reports',
  nav: true,
  render(view, params) {
    const page = new ReportsPage(view, params);
    return () => page.stop();
  },
});

let chartLib = null;
// Chart.js, once: a classic script (its UMD build sets window.Chart).
function loadChart() {
  if (!chartLib) {
    chartLib = new Promise((resolve, reject) => {
      if (window.Chart) { resolve(window.Chart); return; }
      const tag = h('script', { src: '/console/static/vendor/chart.umd.min.js' });
      tag.addEventListener('load', () => resolve(window.Chart));
      tag.addEventListener('error', () => { chartLib = null; reject(new Error('the chart library did not load')); });
      document.head.append(tag);
    });
  }
  return chartLib;
}

function query(params, extra = {}) {
  const q = new URLSearchParams();
  for (const key of ['since', 'until', 'scenario', 'segment', 'department', 'window_hours', 'credit']) {
    if (params[key]) q.set(key, params[key]);
  }
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

function money(revenue) {
  const parts = Object.entries(revenue || {}).map(([cur, value]) => {
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency: cur }).format(value);
    } catch (_e) {
      return `${value.toFixed(2)} ${cur}`;
    }
  });
  return parts.length ? parts.join(' + ') : '–';
}

const pct = (v) => (v === null || v === undefined ? '–' : (v * 100).toFixed(1) + '%');
const signedPct = (v) => (v > 0 ? '+' : '') + (v * 100).toFixed(1) + '%';

class ReportsPage {
  constructor(view, params) {
    this.view = view;
    this.params = params;
    this.stopped = false;
    this.charts = [];
    this.build();
    this.load();
  }

  stop() {
    this.stopped = true;
    for (const chart of this.charts) chart.destroy();
  }

  build() {
    const p = this.params;
    const input = (name, attrs = {}) => h('input', { name, value: p[name] || '', 'data-test': 'reports-' + name, ...attrs });
    this.scenarioSelect = h('select', { name: 'scenario', 'data-test': 'reports-scenario' },
      h('option', { value: '' }, 'All scenarios'));
    this.segmentSelect = h('select', { name: 'segment', 'data-test': 'reports-segment' },
      h('option', { value: '' }, 'All visitors'));
    this.departmentSelect = h('select', { name: 'department', 'data-test': 'reports-department' },
      h('option', { value: '' }, 'All departments'));
    this.form = h('form', { class: 'filters row', 'aria-label': 'Report filters' },
      label('From', input('since', { type: 'date' })), label('To', input('until', { type: 'date' })),
      label('Scenario', this.scenarioSelect),
      label('Segment (at the time)', this.segmentSelect),
      label('Department', this.departmentSelect),
      label('Window (hours after a message)', input('window_hours', { type: 'number', min: 1, max: 720, placeholder: '48' })),
      h('div', { class: 'row' },
        h('button', { type: 'submit', class: 'primary', 'data-test': 'reports-apply' }, 'Show'),
        h('button', { type: 'button', onclick: () => navigate('reports') }, 'Last 7 days')));
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const next = {};
      for (const key of ['since', 'until', 'scenario', 'segment', 'department', 'window_hours']) {
        const value = this.form.elements[key].value.trim();
        if (value) next[key] = value;
      }
      navigate('reports', next);
    });
    this.status = h('p', { class: 'muted', 'data-test': 'reports-status' }, 'Loading…');
    this.funnelBox = h('figure', { class: 'card report-chart', 'data-test': 'funnel-chart' });
    this.daysBox = h('figure', { class: 'card report-chart', 'data-test': 'days-chart' });
    this.csv = h('a', { class: 'button-like', 'data-test': 'reports-csv', href: '/api/reports/funnel?' + query(p, { format: 'csv' }), download: 'funnel.csv' }, 'Download as CSV');
    this.tbody = h('tbody', { 'data-test': 'reports-rows' });
    const head = h('tr', {}, h('th', { scope: 'col' }, 'Scenario'), h('th', { scope: 'col' }, 'Variant'),
      STAGES.slice(1).map(([, title]) => h('th', { scope: 'col', class: 'num' }, title)),
      h('th', { scope: 'col', class: 'num' }, 'Rate'), h('th', { scope: 'col', class: 'num' }, 'Revenue'),
      h('th', { scope: 'col' }, 'Against the holdout'));
    clear(this.view, h('section', { class: 'page reports' },
      h('h1', {}, 'Reports'),
      foldable('Period and filters', this.form),
      this.status,
      h('div', { class: 'report-charts' }, this.funnelBox, this.daysBox),
      h('div', { class: 'row' }, h('h2', {}, 'Per scenario and variant'), this.csv),
      h('div', { class: 'table-wrap' }, h('table', { 'data-test': 'reports-table' }, h('thead', {}, head), this.tbody)),
      h('p', { class: 'muted' }, 'Counts are messages (decisions). Converted: the visitor bought within the window after it. ',
        'Rate: converted ÷ decided. Revenue: orders in that window, each counted once per scenario and variant.'),
      isAdmin() ? this.agentsSection() : null));
  }

  // What each agent's chats sold (admins only: the API says 403 to agents).
  agentsSection() {
    const p = this.params;
    this.credit = h('select', { 'data-test': 'reports-credit', 'aria-label': 'Credit an order to' },
      [['last', 'the last agent who answered'], ['first', 'the first agent who answered'], ['linear', 'every agent who answered, in equal shares']]
        .map(([v, t]) => h('option', { value: v }, t)));
    this.credit.value = p.credit || 'last';
    this.credit.addEventListener('change', () => navigate('reports', { ...this.params, credit: this.credit.value }));
    this.agentsBox = h('figure', { class: 'card report-chart', 'data-test': 'agents-chart' });
    this.agentRows = h('tbody', { 'data-test': 'agents-rows' });
    this.deptRows = h('tbody', { 'data-test': 'departments-rows' });
    this.basketNote = h('p', { 'data-test': 'basket-total' });
    const th = (t, cls) => h('th', { scope: 'col', class: cls || null }, t);
    return h('section', { class: 'agents-report' },
      h('div', { class: 'row' }, h('h2', {}, 'Sales per agent'),
        h('a', { class: 'button-like', 'data-test': 'agents-csv', href: '/api/reports/agents?' + query(p, { format: 'csv' }), download: 'agents.csv' }, 'Download as CSV')),
      label('Credit an order to', this.credit),
      this.agentsBox,
      h('div', { class: 'table-wrap' }, h('table', { 'data-test': 'agents-table' },
        h('thead', {}, h('tr', {}, th('Agent'), th('Chats', 'num'), th('Credited', 'num'), th('Converted', 'num'),
          th('Rate', 'num'), th('Revenue', 'num'), th('After-sales', 'num'), th('First response (p50 / p90)', 'num'),
          th('Resolution (p50 / p90)', 'num'), th('Rating', 'num'), th('Basket vs comparable', 'num'))), this.agentRows)),
      h('h3', {}, 'Per department'),
      h('div', { class: 'table-wrap' }, h('table', { 'data-test': 'departments-table' },
        h('thead', {}, h('tr', {}, th('Department'), th('Chats', 'num'), th('Converted', 'num'), th('Rate', 'num'),
          th('Revenue', 'num'), th('After-sales', 'num'), th('Rating', 'num'), th('Basket vs comparable', 'num'))), this.deptRows)),
      this.basketNote,
      h('p', { class: 'muted' }, 'A chat counts when the visitor wrote in it. Its orders: what the visitor bought from its start until the window after it ended. ',
        'After-sales: chats with visitors who had bought before. ',
        'Basket: the average order of chatters against buyers who did not chat, in the same segments on the same day.'));
  }

  async loadAgents() {
    let doc;
    try {
      doc = await api('GET', '/api/reports/agents?' + query(this.params));
    } catch (err) {
      clear(this.agentRows, h('tr', {}, h('td', { colspan: 11 }, 'Could not load: ' + errorText(err))));
      return null;
    }
    if (this.stopped) return null;
    const secs = (d) => (d.p50 === null ? '–' : `${duration(d.p50)} / ${duration(d.p90)}`);
    clear(this.agentRows, doc.agents.length ? doc.agents.map((a) => h('tr', { 'data-agent': a.agent_id },
      h('td', {}, a.name || a.agent_id),
      h('td', { class: 'num', 'data-col': 'chats' }, String(a.chats)),
      h('td', { class: 'num' }, String(a.credited_chats)),
      h('td', { class: 'num', 'data-col': 'converted' }, String(a.converted)),
      h('td', { class: 'num' }, pct(a.conversion_rate)),
      h('td', { class: 'num', 'data-col': 'revenue' }, money(a.revenue)),
      h('td', { class: 'num' }, String(a.after_sales)),
      h('td', { class: 'num' }, secs(a.first_response_seconds)),
      h('td', { class: 'num' }, secs(a.resolution_seconds)),
      h('td', { class: 'num' }, a.rating.average === null ? '–' : `${a.rating.average.toFixed(1)} (${a.rating.count})`),
      h('td', { class: 'num', 'data-col': 'basket' }, basket(a.basket))))
      : h('tr', {}, h('td', { colspan: 11, class: 'muted' }, 'No chats in this period.')));
    clear(this.deptRows, doc.departments.map((d) => h('tr', { 'data-department': d.department },
      h('td', {}, d.department), h('td', { class: 'num' }, String(d.chats)), h('td', { class: 'num' }, String(d.converted)),
      h('td', { class: 'num' }, pct(d.conversion_rate)), h('td', { class: 'num' }, money(d.revenue)),
      h('td', { class: 'num' }, String(d.after_sales)), h('td', { class: 'num' }, d.rating === null ? '–' : d.rating.toFixed(1)),
      h('td', { class: 'num' }, basket(d.basket)))));
    const all = Object.entries(doc.basket || {});
    this.basketNote.textContent = all.length
      ? 'All chats: ' + all.map(([cur, b]) => `an average order of ${money({ [cur]: b.chatters })} against ${money({ [cur]: b.comparable })} for comparable buyers who did not chat (${b.orders} order${b.orders === 1 ? '' : 's'} compared)`).join('; ') + '.'
      : 'No chatter\'s order to compare with buyers who did not chat.';
    return doc;
  }

  async load() {
    let funnel;
    let lift;
    try {
      [funnel, lift] = await Promise.all([
        api('GET', '/api/reports/funnel?' + query(this.params)),
        api('GET', '/api/reports/lift?' + query(this.params))]);
    } catch (err) {
      this.status.textContent = 'Could not load the report: ' + errorText(err);
      return;
    }
    if (this.stopped) return;
    this.form.elements.since.value = funnel.since;
    this.form.elements.until.value = funnel.until;
    const keys = [...new Set(funnel.scenarios.map((s) => s.scenario))];
    if (this.params.scenario && !keys.includes(this.params.scenario)) keys.push(this.params.scenario);
    for (const key of keys.sort()) this.scenarioSelect.append(h('option', { value: key }, key));
    this.scenarioSelect.value = this.params.scenario || '';
    await this.fillChoices();
    const rows = funnel.scenarios;
    this.status.textContent = rows.length
      ? `${funnel.since} to ${funnel.until} · window ${funnel.window_hours} h · ${rows.length} scenario variant${rows.length === 1 ? '' : 's'}`
      : `No automatic messages from ${funnel.since} to ${funnel.until}.`;
    const lifts = new Map(lift.scenarios.map((s) => [s.scenario + '\u0000' + (s.variant || ''), s]));
    clear(this.tbody, rows.map((s) => this.row(s, lifts.get(s.scenario + '\u0000' + (s.variant || '')))));
    const agents = isAdmin() ? await this.loadAgents() : null;
    await this.draw(rows, agents);
  }

  // Segments and departments to filter by (a list that fails to load leaves "All").
  async fillChoices() {
    const [segments, departments] = await Promise.all([
      api('GET', '/api/segments').catch(() => []), api('GET', '/api/departments').catch(() => [])]);
    if (this.stopped) return;
    const fill = (select, items, chosen) => {
      const keys = new Set(items.map((x) => x.key));
      for (const x of items) select.append(h('option', { value: x.key }, x.name || x.key));
      if (chosen && !keys.has(chosen)) select.append(h('option', { value: chosen }, chosen));
      select.value = chosen || '';
    };
    fill(this.segmentSelect, segments, this.params.segment);
    fill(this.departmentSelect, departments, this.params.department);
  }

  row(s, lift) {
    let against = h('span', { class: 'muted' }, 'No holdout');
    if (lift) {
      const c = lift.conversion_lift;
      against = h('span', { 'data-test': 'lift', 'data-verdict': lift.verdict, class: 'verdict verdict-' + lift.verdict },
        VERDICTS[lift.verdict] || lift.verdict,
        c ? h('span', { class: 'muted' }, ` (${signedPct(c.difference)}, 95%: ${signedPct(c.low)} to ${signedPct(c.high)}; `
          + `${lift.exposed.visitors} shown, ${lift.held_out.visitors} held out)`) : null);
    }
    const suppressed = Object.entries(s.suppressed || {}).map(([k, n]) => `${k} ${n}`).join(', ');
    return h('tr', { 'data-scenario': s.scenario, 'data-variant': s.variant || '' },
      h('td', {}, s.scenario, suppressed ? h('div', { class: 'muted small', title: 'Held back, by reason' }, 'held back: ' + suppressed) : null,
        h('div', { class: 'muted small', 'data-test': 'goal' }, goalText(s.goal))),
      h('td', {}, s.variant || '–'),
      STAGES.slice(1).map(([key]) => h('td', { class: 'num', 'data-stage': key }, String(s[key]))),
      h('td', { class: 'num', 'data-test': 'rate' }, pct(s.conversion_rate)),
      h('td', { class: 'num', 'data-test': 'revenue' }, money(s.revenue)),
      h('td', {}, against));
  }

  async draw(rows, agents) {
    let Chart;
    try {
      Chart = await loadChart();
    } catch (err) {
      clear(this.funnelBox, h('figcaption', { class: 'muted' }, 'No chart: ' + errorText(err)));
      return;
    }
    if (this.stopped) return;
    for (const chart of this.charts) chart.destroy();
    this.charts = [];
    const totals = Object.fromEntries(STAGES.map(([key]) => [key, rows.reduce((a, s) => a + s[key], 0)]));
    const days = rows.length ? rows[0].days.map((d) => d.day) : [];
    const perDay = (key) => days.map((_d, i) => rows.reduce((a, s) => a + s.days[i][key], 0));
    const which = this.params.scenario || 'all scenarios';
    const funnelCanvas = h('canvas', { role: 'img', 'aria-label': `Funnel of ${which}: ` + STAGES.map(([k, t]) => `${t} ${totals[k]}`).join(', ') });
    const daysCanvas = h('canvas', { role: 'img', 'aria-label': `Decided and converted per day, ${which}` });
    clear(this.funnelBox, h('figcaption', {}, `Funnel, ${which}`), h('div', { class: 'chart-area' }, funnelCanvas),
      h('ol', { class: 'sr-only', 'data-test': 'funnel-values' }, STAGES.map(([k, t]) => h('li', { 'data-stage': k }, `${t}: ${totals[k]}`))));
    clear(this.daysBox, h('figcaption', {}, 'Per day: decided and converted'), h('div', { class: 'chart-area' }, daysCanvas));
    const common = { responsive: true, maintainAspectRatio: false, animation: false };
    this.charts.push(new Chart(funnelCanvas, {
      type: 'bar',
      data: { labels: STAGES.map(([, t]) => t), datasets: [{ label: 'Messages', data: STAGES.map(([k]) => totals[k]), backgroundColor: BLUE, maxBarThickness: 72 }] },
      options: { ...common, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    }));
    this.charts.push(new Chart(daysCanvas, {
      type: 'line',
      data: {
        labels: days.map((d) => d.slice(5)),
        datasets: [
          { label: 'Decided', data: perDay('decided'), borderColor: BLUE, backgroundColor: BLUE, tension: 0 },
          { label: 'Converted', data: perDay('converted'), borderColor: GREEN, backgroundColor: GREEN, tension: 0 }],
      },
      options: { ...common, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    }));
    if (agents && this.agentsBox) {
      // Revenue per agent in the workspace's main currency (the one with the most revenue).
      const byCurrency = {};
      for (const a of agents.agents) for (const [c, v] of Object.entries(a.revenue)) byCurrency[c] = (byCurrency[c] || 0) + v;
      const currency = Object.entries(byCurrency).sort((x, y) => y[1] - x[1]).map(([c]) => c)[0];
      const canvas = h('canvas', { role: 'img', 'aria-label': 'Revenue per agent: ' + agents.agents.map((a) => `${a.name || a.agent_id} ${money(a.revenue)}`).join(', ') });
      clear(this.agentsBox, h('figcaption', {}, currency ? `Revenue per agent (${currency}) and converted chats` : 'Converted chats per agent'),
        h('div', { class: 'chart-area' }, canvas));
      const labels = agents.agents.map((a) => a.name || a.agent_id);
      const datasets = [{ label: 'Converted chats', data: agents.agents.map((a) => a.converted), backgroundColor: GREEN, yAxisID: 'y', maxBarThickness: 56 }];
      if (currency) datasets.unshift({ label: `Revenue (${currency})`, data: agents.agents.map((a) => a.revenue[currency] || 0), backgroundColor: BLUE, yAxisID: 'money', maxBarThickness: 56 });
      this.charts.push(new Chart(canvas, {
        type: 'bar',
        data: { labels, datasets },
        options: {
          ...common,
          scales: {
            y: { beginAtZero: true, position: 'left', ticks: { precision: 0 } },
            money: { beginAtZero: true, position: 'right', display: !!currency, grid: { drawOnChartArea: false } },
          },
        },
      }));
    }
  }
}

// "purchase ≥ 100 within 48 h": what counted as this scenario's conversion.
function goalText(goal) {
  if (!goal) return '';
  const least = goal.min_value === null || goal.min_value === undefined ? '' : ` ≥ ${goal.min_value}`;
  return `goal: ${goal.event}${least} within ${goal.window_hours} h`;
}

// "€80.00 vs €50.00" per currency: chatters' average order against comparable buyers'.
function basket(b) {
  const parts = Object.entries(b || {}).map(([cur, x]) => `${money({ [cur]: x.chatters })} vs ${money({ [cur]: x.comparable })}`);
  return parts.length ? parts.join('; ') : '–';
}

function duration(seconds) {
  if (seconds < 90) return Math.round(seconds) + ' s';
  if (seconds < 5400) return Math.round(seconds / 60) + ' min';
  return (seconds / 3600).toFixed(1) + ' h';
}
