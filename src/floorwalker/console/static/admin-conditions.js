// The condition builder: edits the JSON condition tree of docs/rules.md with a form
// (all/any/not groups, path, operator, value) and a raw JSON view kept in sync, and shows
// the server's problems next to the node and field they name.
import { api, h, toast } from './core.js';
import { select, textarea, underPath } from './admin-ui.js';

// Known operand paths and their types (docs/rules.md, "Operands").
const KNOWN = {
  number: ['visitor.visit_count', 'visitor.event_count', 'visitor.first_seen', 'visitor.last_seen',
    'visitor.days_since_first_seen', 'visitor.purchase_count', 'visitor.lifetime_revenue',
    'visitor.days_since_last_purchase', 'visitor.cart.value', 'visitor.cart.item_count',
    'visitor.engagement_score', 'event.timestamp', 'session.number', 'session.started_at',
    'session.pages_viewed', 'session.events', 'session.time_on_site', 'session.idle_seconds',
    'geo.latitude', 'geo.longitude', 'context.now', 'context.local_hour'],
  string: ['event.name', 'event.type', 'event.page.url', 'event.page.path', 'event.page.title',
    'event.page.referrer', 'visitor.customer_type', 'visitor.user_type', 'visitor.language',
    'visitor.locale',
    'visitor.user_id', 'visitor.cart.currency', 'session.landing_page.url',
    'session.landing_page.path', 'session.landing_page.title', 'session.current_page.url',
    'session.current_page.path', 'session.current_page.title', 'session.source.medium',
    'session.source.source', 'session.source.campaign', 'session.source.keywords',
    'session.source.term', 'session.source.content', 'session.source.click_id',
    'session.source.referrer', 'session.source.referrer_host', 'session.source.landing_page',
    'utm.source', 'utm.medium', 'utm.campaign', 'utm.term', 'utm.content', 'geo.country',
    'geo.city', 'geo.region', 'geo.postal_code', 'geo.time_zone', 'device.device_type',
    'device.browser', 'device.browser_version', 'device.os', 'device.os_version',
    'device.device_brand', 'device.device_model', 'context.weekday'],
  bool: ['visitor.customer', 'visitor.identified', 'device.is_bot'],
  list: ['event.items', 'event.item_ids', 'visitor.cart.item_ids', 'visitor.cart.items',
    'visitor.segments', 'visitor.recent_event_names'],
  any: ['event.item_id', 'event.result_count', 'event.search_term', 'event.coupon',
    'event.payment_method', 'event.title', 'event.properties.', 'visitor.attributes.',
    'lookup.products[event.item_id].margin', 'context.agents_free.', 'context.agents_online.',
    'context.free_slots.', 'context.business_hours.'],
};
const KIND = new Map(Object.entries(KNOWN).flatMap(([kind, paths]) => paths.map((p) => [p, kind])));

export const OPS = [
  ['eq', 'equals'], ['ne', 'is not'], ['lt', '<'], ['lte', '≤'], ['gt', '>'], ['gte', '≥'],
  ['between', 'between'], ['in', 'is one of'], ['not_in', 'is none of'],
  ['contains', 'contains'], ['not_contains', 'does not contain'],
  ['starts_with', 'starts with'], ['ends_with', 'ends with'], ['matches', 'matches (RE2)'],
  ['exists', 'exists'], ['missing', 'is missing'],
];
const STRING_OPS = new Set(['eq', 'ne', 'in', 'not_in', 'contains', 'not_contains', 'starts_with', 'ends_with', 'matches']);
const LIST_OPS = new Set(['in', 'not_in', 'between']);
const NO_VALUE = new Set(['exists', 'missing']);
const ADDABLE = [
  ['path', 'Condition'], ['all', 'Group: all of'], ['any', 'Group: any of'],
  ['count', 'Count of events'], ['sequence', 'Sequence of events'], ['absence', 'Absence of an event'],
];
const TEMPLATES = {
  path: () => ({ path: '', op: 'eq', value: '' }),
  all: () => ({ all: [] }),
  any: () => ({ any: [] }),
  count: () => ({ count: { events: ['search'], within: '10m' }, op: 'gte', value: 3 }),
  sequence: () => ({ sequence: { steps: ['view_item', 'add_to_cart'], within: '15m' } }),
  absence: () => ({ absence: { after: 'add_to_cart', missing: ['purchase'], for: '30m' } }),
};

let datalistMade = false;
function pathList() {
  if (!datalistMade) {
    datalistMade = true;
    document.body.append(h('datalist', { id: 'fw-condition-paths' },
      [...KIND.keys()].map((p) => h('option', { value: p }))));
  }
  return 'fw-condition-paths';
}

function kindOf(node) {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return 'raw';
  if (Array.isArray(node.all)) return 'all';
  if (Array.isArray(node.any)) return 'any';
  if ('not' in node && Object.keys(node).length === 1) return 'not';
  if ('path' in node) return 'path';
  return 'raw';
}

// How a value is written in the form, and back.
function typeOfValue(value) {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'number') return 'number';
  if (typeof first === 'boolean') return 'boolean';
  if (first === undefined || first === null || first === '') return 'auto';
  return 'text';
}

function valueText(value) {
  if (Array.isArray(value)) return value.map((v) => String(v)).join(', ');
  if (value === undefined || value === null) return '';
  return String(value);
}

function convert(text, type, path) {
  const t = text.trim();
  let as = type;
  if (as === 'auto') {
    const kind = KIND.get(path);
    if (kind === 'number') as = 'number';
    else if (kind === 'bool') as = 'boolean';
    else if (kind === 'string') as = 'text';
    else if (/^-?\d+(\.\d+)?$/.test(t)) as = 'number';
    else if (t === 'true' || t === 'false') as = 'boolean';
    else as = 'text';
  }
  if (as === 'number' && t !== '' && Number.isFinite(Number(t))) return Number(t);
  if (as === 'boolean' && (t === 'true' || t === 'false')) return t === 'true';
  return as === 'text' ? text : t;
}

export class ConditionBuilder {
  // onChange(tree) after every edit. `label` names the whole editor for screen readers.
  constructor(tree, { label = 'Condition', onChange = () => {} } = {}) {
    this.tree = tree === undefined ? null : tree;
    this.onChange = onChange;
    this.nodes = []; // [{path, problems: element, fields: {path, op, value}}]
    this.formBox = h('div', { class: 'cb-form', role: 'group', 'aria-label': label + ' (form)' });
    this.raw = textarea('', {
      class: 'cb-raw', rows: 8, spellcheck: 'false', 'data-test': 'condition-json',
      'aria-describedby': '',
    });
    this.rawStatus = h('span', { class: 'field-problem', role: 'status' });
    const rawId = 'cbraw' + Math.random().toString(36).slice(2, 8);
    this.raw.id = rawId;
    this.raw.addEventListener('input', () => this.fromRaw());
    this.rootProblems = h('div', { class: 'cb-problems', role: 'alert' });
    this.checkStatus = h('span', { class: 'cb-check', role: 'status', 'data-test': 'check-status' });
    const check = h('button', { type: 'button', 'data-test': 'check-condition' }, 'Check');
    check.addEventListener('click', () => this.check(check));
    const rawBox = h('details', { class: 'cb-raw-box' },
      h('summary', {}, 'JSON'), h('label', { for: rawId }, label + ' as JSON'), this.raw, this.rawStatus);
    this.el = h('fieldset', { class: 'cb', 'data-test': 'condition-builder' },
      h('legend', {}, label), this.rootProblems, this.formBox,
      h('div', { class: 'row' }, check, this.checkStatus), rawBox);
    this.draw();
    this.syncRaw();
  }

  get() {
    const t = this.tree;
    if (t && typeof t === 'object' && !Array.isArray(t) && Array.isArray(t.all) && t.all.length === 0
      && Object.keys(t).length === 1) return null;
    return t;
  }

  set(tree) {
    this.tree = tree === undefined ? null : tree;
    this.draw();
    this.syncRaw();
  }

  changed({ redraw = false } = {}) {
    if (redraw) this.draw();
    this.syncRaw();
    this.clearProblems();
    this.onChange(this.get());
  }

  syncRaw() {
    if (document.activeElement === this.raw) return;
    this.raw.value = JSON.stringify(this.get(), null, 2);
    this.rawStatus.textContent = '';
    this.raw.removeAttribute('aria-invalid');
  }

  fromRaw() {
    let parsed;
    try {
      parsed = this.raw.value.trim() === '' ? null : JSON.parse(this.raw.value);
    } catch (err) {
      this.rawStatus.textContent = 'Not valid JSON yet: ' + err.message;
      this.raw.setAttribute('aria-invalid', 'true');
      return;
    }
    this.rawStatus.textContent = '';
    this.raw.removeAttribute('aria-invalid');
    this.tree = parsed;
    this.draw();
    this.clearProblems();
    this.onChange(this.get());
  }

  // Ask the server (POST /api/conditions/validate); problems appear inline.
  async check(button) {
    this.checkStatus.textContent = 'Checking…';
    if (button) button.disabled = true;
    try {
      const result = await api('POST', '/api/conditions/validate', { condition: this.get() });
      const warnings = result.warnings || [];
      this.clearProblems();
      if (result.valid) {
        this.showProblems(warnings, '$.condition', 'warning');
        this.checkStatus.textContent = !warnings.length ? '✓ The condition is valid.'
          : warnings.length === 1 ? 'Valid, but 1 value can never match (shown above).'
            : `Valid, but ${warnings.length} values can never match (shown above).`;
      } else {
        this.showProblems(result.problems, '$.condition');
        this.showProblems(warnings, '$.condition', 'warning');
        this.checkStatus.textContent = result.problems.length === 1 ? '1 problem (shown above).'
          : result.problems.length + ' problems (shown above).';
      }
      return result.valid;
    } catch (err) {
      this.checkStatus.textContent = '';
      toast(err.message, 'error');
      return false;
    } finally {
      if (button) button.disabled = false;
    }
  }

  clearProblems() {
    this.rootProblems.replaceChildren();
    this.checkStatus.textContent = '';
    for (const node of this.nodes) {
      node.problems.replaceChildren();
      node.box.classList.remove('has-problem', 'has-warning');
      for (const f of Object.values(node.fields)) f.removeAttribute('aria-invalid');
    }
  }

  // problems: [{path: "$.condition.all[1].value", problem}], `prefix` is "$.condition";
  // `kind` is 'problem' (an error: the field is marked invalid) or 'warning' (a value
  // that can never match: shown, nothing is invalid). Call clearProblems() first.
  showProblems(problems, prefix = '$.condition', kind = 'problem') {
    for (const p of problems) {
      const rel = '$' + (p.path || prefix).slice(prefix.length);
      let best = null;
      for (const node of this.nodes) {
        if (underPath(rel, node.path) && (!best || node.path.length > best.path.length)) best = node;
      }
      const text = p.problem || p.message || String(p);
      if (!best) {
        this.rootProblems.append(h('p', { class: kind, 'data-problem-path': p.path }, text));
        continue;
      }
      const rest = rel.slice(best.path.length);
      const field = (rest.match(/^\.(path|op|value|case_insensitive)/) || [])[1];
      const input = field && best.fields[field === 'case_insensitive' ? 'op' : field];
      if (input && kind === 'problem') input.setAttribute('aria-invalid', 'true');
      best.box.classList.add(kind === 'problem' ? 'has-problem' : 'has-warning');
      best.problems.append(h('p', { class: kind, 'data-problem-path': p.path },
        (field ? field + ': ' : rest ? rest.replace(/^\./, '') + ': ' : '') + text));
    }
    const first = this.el.querySelector('[aria-invalid="true"]');
    if (first && first.closest('details:not([open])') === null) first.focus({ preventScroll: false });
  }

  draw() {
    this.nodes = [];
    const t = this.tree;
    // An empty condition is drawn as an empty "all" group, so conditions can be added.
    const root = t === null || (typeof t === 'object' && !Array.isArray(t) && Object.keys(t).length === 0)
      ? (this.tree = { all: [] }) : t;
    this.formBox.replaceChildren(this.node(root, '$', null));
  }

  // Draw one node; `replace(newNode)` swaps it in its parent (null for the root).
  node(node, path, parent) {
    const kind = kindOf(node);
    const problems = h('div', { class: 'cb-node-problems', role: 'alert' });
    const record = { path, problems, fields: {}, box: null };
    this.nodes.push(record);
    const tools = h('div', { class: 'cb-tools' });
    const replace = (value) => {
      if (parent) parent.set(value);
      else this.tree = value;
      this.changed({ redraw: true });
    };
    if (kind === 'not') {
      tools.append(button('Remove NOT', 'Keep the condition, drop the NOT', () => replace(node.not)));
    } else {
      tools.append(button('NOT', 'Negate this', () => replace({ not: node })));
    }
    if (parent) tools.append(button('Remove', 'Remove this', () => parent.remove(), 'danger'));
    let content;
    if (kind === 'all' || kind === 'any') content = this.group(node, path, kind, replace);
    else if (kind === 'not') {
      content = h('div', { class: 'cb-not' }, h('span', { class: 'cb-word' }, 'NOT'),
        this.node(node.not, path + '.not', { set: (v) => { node.not = v; }, remove: () => replace({ all: [] }) }));
    } else if (kind === 'path') content = this.compare(node, path, record, parent === null ? replace : null);
    else content = this.rawNode(node, path, record, replace);
    record.box = h('div', { class: 'cb-node cb-' + kind, 'data-node-path': path }, content, problems, tools);
    return record.box;
  }

  group(node, path, kind, replace) {
    const list = node[kind];
    const match = select([['all', 'all of these hold'], ['any', 'any of these holds']], kind,
      { 'aria-label': 'Match (' + path + ')', 'data-test': 'group-match' });
    match.addEventListener('change', () => {
      const items = node[kind];
      delete node[kind];
      node[match.value] = items;
      replace(node);
    });
    const children = h('ol', { class: 'cb-children' }, list.map((child, i) => h('li', {},
      this.node(child, `${path}.${kind}[${i}]`, {
        set: (v) => { list[i] = v; },
        remove: () => { list.splice(i, 1); this.changed({ redraw: true }); },
      }))));
    const what = select(ADDABLE, 'path', { 'aria-label': 'What to add (' + path + ')', 'data-test': 'add-what' });
    const add = h('button', { type: 'button', 'data-test': 'add-node' }, 'Add');
    add.addEventListener('click', () => {
      list.push(TEMPLATES[what.value]());
      this.changed({ redraw: true });
      const inputs = this.formBox.querySelectorAll(`[data-node-path="${path}.${kind}[${list.length - 1}]"] input, [data-node-path="${path}.${kind}[${list.length - 1}]"] select, [data-node-path="${path}.${kind}[${list.length - 1}]"] textarea`);
      if (inputs.length) inputs[0].focus();
    });
    return h('div', {}, h('div', { class: 'row cb-head' }, h('span', {}, 'Match when'), match),
      list.length ? children : h('p', { class: 'muted' }, kind === 'all' ? 'No conditions: always holds.' : 'Empty: never holds.'),
      h('div', { class: 'row cb-add' }, what, add));
  }

  compare(node, path, record, wrapRoot) {
    const pathInput = h('input', {
      type: 'text', list: pathList(), value: node.path, placeholder: 'event.name',
      'aria-label': 'Path (' + path + ')', 'data-test': 'cond-path', autocomplete: 'off', spellcheck: 'false',
    });
    const op = select(OPS, node.op || 'eq', { 'aria-label': 'Operator (' + path + ')', 'data-test': 'cond-op' });
    const type = select([['auto', 'auto'], ['text', 'text'], ['number', 'number'], ['boolean', 'true/false']],
      typeOfValue(node.value), { 'aria-label': 'Value type (' + path + ')', 'data-test': 'cond-type' });
    const value = h('input', {
      type: 'text', value: valueText(node.value), 'aria-label': 'Value (' + path + ')', 'data-test': 'cond-value',
      spellcheck: 'false',
    });
    const ci = h('input', { type: 'checkbox', 'data-test': 'cond-ci' });
    ci.checked = !!node.case_insensitive;
    const ciLabel = h('label', { class: 'inline' }, ci, ' ignore case');
    record.fields = { path: pathInput, op, value };
    const update = () => {
      node.path = pathInput.value.trim();
      node.op = op.value;
      const many = LIST_OPS.has(op.value);
      if (NO_VALUE.has(op.value)) delete node.value;
      else if (many) node.value = value.value.split(',').filter((s) => s.trim() !== '').map((s) => convert(s.trim(), type.value, node.path));
      else node.value = convert(value.value, type.value, node.path);
      if (ci.checked && STRING_OPS.has(op.value)) node.case_insensitive = true;
      else delete node.case_insensitive;
      shape();
      this.changed();
    };
    const shape = () => {
      const noValue = NO_VALUE.has(op.value);
      value.hidden = noValue;
      type.hidden = noValue;
      value.placeholder = op.value === 'between' ? 'low, high' : LIST_OPS.has(op.value) ? 'a, b, c' : 'value';
      ciLabel.hidden = !STRING_OPS.has(op.value) || type.value === 'number' || type.value === 'boolean';
    };
    shape();
    for (const el of [pathInput, value]) el.addEventListener('input', update);
    for (const el of [op, type, ci]) el.addEventListener('change', update);
    const parts = [h('div', { class: 'cb-compare' }, pathInput, op, type, value, ciLabel)];
    if (wrapRoot) {
      parts.push(h('div', { class: 'row' }, button('+ And', 'Add another condition (all must hold)',
        () => wrapRoot({ all: [node, TEMPLATES.path()] }))));
    }
    return h('div', {}, parts);
  }

  // Counts, sequences, absences and anything else: edited as JSON in place.
  rawNode(node, path, record, replace) {
    const area = textarea(JSON.stringify(node, null, 2), {
      rows: 4, spellcheck: 'false', 'aria-label': 'Condition as JSON (' + path + ')', 'data-test': 'cond-raw',
    });
    const status = h('span', { class: 'field-problem' });
    record.fields = { value: area, path: area, op: area };
    area.addEventListener('input', () => {
      try {
        const parsed = JSON.parse(area.value);
        status.textContent = '';
        area.removeAttribute('aria-invalid');
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          for (const key of Object.keys(node)) delete node[key];
          Object.assign(node, parsed);
        }
        this.changed();
      } catch (err) {
        status.textContent = 'Not valid JSON yet: ' + err.message;
        area.setAttribute('aria-invalid', 'true');
      }
    });
    area.addEventListener('change', () => {
      if (kindOf(node) !== 'raw') replace(node);
    });
    return h('div', {}, area, status);
  }
}

function button(text, title, onclick, cls) {
  const b = h('button', { type: 'button', title, class: cls || null, 'aria-label': title }, text);
  b.addEventListener('click', onclick);
  return b;
}
