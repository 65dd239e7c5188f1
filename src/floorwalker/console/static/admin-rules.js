// Segments and scenarios: lists, forms with the condition builder, enable/disable, and the
// preview of a scenario's message in each language.
import {
  Form, act, adminPage, api, cell, clear, confirmDialog, h, input, loading, navigate, numberOrNull,
  select, splitList, table, textarea, toast, withoutId,
} from './admin-ui.js';
import { ConditionBuilder } from './admin-conditions.js';

const CLASSES = ['behavioural', 'geographic', 'source', 'custom'];
const ACTIONS = [
  ['chat_invitation', 'Chat invitation'], ['popup', 'Pop-up'], ['open_chat', 'Open the chat'],
  ['faq_link', 'FAQ link'], ['email_capture', 'Leave your e-mail'], ['phone_card', 'Phone card'],
  ['notify_agents', 'Alert agents'], ['webhook', 'Webhook'], ['email', 'E-mail (to a visitor who agreed)'],
];
const TRIGGERS = [
  ['event', 'An event arrives'], ['segment_entered', 'The visitor enters a segment'],
  ['time_on_site', 'Time on site reaches'], ['idle', 'Idle for'], ['absence', 'An event is not followed by another'],
];

function byPriority(items) {
  return [...items].sort((a, b) => (b.priority || 0) - (a.priority || 0) || a.key.localeCompare(b.key));
}

function chip(color, text) {
  return h('span', { class: 'chip', style: { background: color }, title: text }, text);
}

// ---------------------------------------------------------------- segments

adminPage('admin/segments', 'Segments', (body, params) => {
  if (params.edit || params.new) return void segmentEditor(body, params.edit || null);
  const draw = async () => {
    const segments = byPriority(await api('GET', '/api/segments'));
    const rows = segments.map((s) => h('tr', { 'data-key': s.key },
      cell('Segment', chip(s.color, s.name)),
      cell('Key', h('code', {}, s.key)),
      cell('Class', s.class),
      cell('Priority', String(s.priority)),
      cell('State', s.enabled ? 'Enabled' : 'Disabled'),
      cell('', h('div', { class: 'row' },
        h('a', { class: 'button', href: '#/admin/segments?edit=' + encodeURIComponent(s.key), 'aria-label': 'Edit ' + s.name }, 'Edit'),
        h('button', {
          type: 'button', class: 'danger', 'aria-label': 'Delete ' + s.name,
          onclick: (e) => remove(e.currentTarget, 'segments', s.key, s.name, draw),
        }, 'Delete')))));
    clear(body,
      h('div', { class: 'row toolbar' },
        h('a', { class: 'button primary', href: '#/admin/segments?new=1' }, 'New segment'),
        h('span', { class: 'muted' }, segments.length + ' segments; visitors show the three with the highest priority.')),
      table(['Segment', 'Key', 'Class', 'Priority', 'State', ''], rows, { 'data-test': 'segments' }));
  };
  loading(body, draw);
});

async function remove(button, plural, key, name, then) {
  if (!(await confirmDialog(`Delete “${name}”? This cannot be undone.`))) return;
  await act(button, async () => {
    await api('DELETE', `/api/${plural}/${encodeURIComponent(key)}`);
    toast(`Deleted ${name}.`);
    then();
  });
}

function segmentEditor(body, key) {
  loading(body, async () => {
    const seg = key ? await api('GET', '/api/segments/' + encodeURIComponent(key))
      : { key: '', name: '', description: '', class: 'behavioural', color: '#2457d6', priority: 50, enabled: true, condition: null };
    const form = new Form({ 'aria-label': key ? 'Edit segment' : 'New segment', 'data-test': 'segment-form' });
    const f = {
      key: input(seg.key, { required: true, readonly: !!key, 'data-test': 'seg-key', pattern: '[a-z0-9][a-z0-9_-]*' }),
      name: input(seg.name, { required: true, 'data-test': 'seg-name' }),
      description: input(seg.description),
      class: select(CLASSES, seg.class),
      color: input(seg.color, { type: 'color' }),
      priority: input(seg.priority, { type: 'number', step: 1, 'data-test': 'seg-priority' }),
      enabled: h('input', { type: 'checkbox' }),
    };
    f.enabled.checked = seg.enabled !== false;
    const builder = new ConditionBuilder(seg.condition, { label: 'Who is in the segment' });
    form.sink('$.condition', builder);
    const save = h('button', { type: 'submit', class: 'primary', 'data-test': 'save' }, 'Save segment');
    form.el.append(
      h('div', { class: 'grid' },
        form.field('Key', f.key, '$.key', 'Lower-case letters, digits, _ and -; cannot change later.'),
        form.field('Name', f.name, '$.name'),
        form.field('Description', f.description, '$.description'),
        form.field('Class', f.class, '$.class'),
        form.field('Colour', f.color, '$.color'),
        form.field('Priority', f.priority, '$.priority', 'Higher shows first.')),
      h('label', { class: 'inline' }, f.enabled, ' Enabled'),
      builder.el, form.status,
      h('div', { class: 'row' }, save, h('a', { class: 'button', href: '#/admin/segments' }, 'Cancel')));
    form.el.addEventListener('submit', async (event) => {
      event.preventDefault();
      const doc = {
        key: f.key.value.trim(), name: f.name.value.trim(), description: f.description.value,
        class: f.class.value, color: f.color.value, priority: numberOrNull(f.priority.value) ?? 0,
        enabled: f.enabled.checked, condition: builder.get(),
      };
      save.disabled = true;
      try {
        if (key) await api('PUT', '/api/segments/' + encodeURIComponent(key), doc);
        else await api('POST', '/api/segments', doc);
        toast(`Saved segment ${doc.name}.`);
        navigate('admin/segments');
      } catch (err) {
        form.showError(err);
      } finally {
        save.disabled = false;
      }
    });
    clear(body, form.el);
    (key ? f.name : f.key).focus();
  });
}

// ---------------------------------------------------------------- scenarios

function triggerText(t) {
  if (!t) return '';
  if (t.event) return 'event ' + [].concat(t.event).join(', ');
  if (t.segment_entered) return 'enters ' + t.segment_entered;
  if (t.time_on_site) return t.time_on_site + ' on site';
  if (t.idle) return 'idle ' + t.idle;
  if (t.absence) return `${t.absence.after}, no ${[].concat(t.absence.missing).join('/')} for ${t.absence.for}`;
  return JSON.stringify(t);
}

adminPage('admin/scenarios', 'Scenarios', (body, params) => {
  if (params.edit || params.new) return void scenarioEditor(body, params.edit || null);
  const draw = async () => {
    const [list, week] = await Promise.all([api('GET', '/api/scenarios'), lastWeek()]);
    const scenarios = byPriority(list);
    const rows = scenarios.map((s) => {
      const toggle = h('button', {
        type: 'button', 'data-test': 'toggle', 'aria-label': (s.enabled ? 'Disable ' : 'Enable ') + s.name,
      }, s.enabled ? 'Disable' : 'Enable');
      toggle.addEventListener('click', () => act(toggle, async () => {
        const next = await api('POST', `/api/scenarios/${encodeURIComponent(s.key)}/${s.enabled ? 'disable' : 'enable'}`);
        toast(`${next.name} is ${next.enabled ? 'enabled' : 'disabled'}.`);
        await draw();
        const again = body.querySelector(`tr[data-key="${CSS.escape(s.key)}"] [data-test="toggle"]`);
        if (again) again.focus();
      }));
      const action = s.action ? s.action.type : s.variants.length ? `${s.variants.length} variants` : '';
      return h('tr', { 'data-key': s.key, class: s.enabled ? '' : 'disabled' },
        cell('Priority', String(s.priority)),
        cell('Scenario', h('strong', {}, s.name), h('br'), h('code', { class: 'muted' }, s.key)),
        cell('Trigger', triggerText(s.trigger)),
        cell('Action', action),
        cell('Department', s.department || '—'),
        cell('Last 7 days', weekFigures(week.get(s.key))),
        cell('State', h('span', { class: 'state ' + (s.enabled ? 'on' : 'off'), 'data-test': 'state' }, s.enabled ? 'Enabled' : 'Disabled')),
        cell('', h('div', { class: 'row' }, toggle,
          h('a', { class: 'button', href: '#/admin/scenarios?edit=' + encodeURIComponent(s.key), 'aria-label': 'Edit ' + s.name }, 'Edit'),
          h('button', {
            type: 'button', class: 'danger', 'aria-label': 'Delete ' + s.name,
            onclick: (e) => remove(e.currentTarget, 'scenarios', s.key, s.name, draw),
          }, 'Delete'))));
    });
    clear(body,
      h('div', { class: 'row toolbar' },
        h('a', { class: 'button primary', href: '#/admin/scenarios?new=1' }, 'New scenario'),
        h('span', { class: 'muted' }, `${scenarios.filter((s) => s.enabled).length} of ${scenarios.length} enabled; for one trigger, the highest priority wins.`)),
      table(['Priority', 'Scenario', 'Trigger', 'Action', 'Department', 'Last 7 days', 'State', ''], rows, { 'data-test': 'scenarios' }));
  };
  loading(body, draw);
});

// Each scenario's last 7 days from the reports (all variants together) and its lift.
async function lastWeek() {
  const out = new Map();
  try {
    const [funnel, lift] = await Promise.all([api('GET', '/api/reports/funnel'), api('GET', '/api/reports/lift')]);
    for (const row of funnel.scenarios) {
      const t = out.get(row.scenario) || { shown: 0, engaged: 0, converted: 0, verdict: null };
      t.shown += row.shown;
      t.engaged += row.engaged;
      t.converted += row.converted;
      out.set(row.scenario, t);
    }
    for (const row of lift.scenarios) {
      const t = out.get(row.scenario);
      if (t && (!t.verdict || row.verdict !== 'too_small')) t.verdict = row.verdict;
    }
  } catch (_e) {
    // The list works without its figures.
  }
  return out;
}

const VERDICT_WORDS = { better: 'lift: better', worse: 'lift: worse', no_difference: 'lift: no difference', too_small: 'lift: too few yet' };

function weekFigures(t) {
  if (!t) return h('span', { class: 'muted', 'data-test': 'week' }, '—');
  return h('span', { 'data-test': 'week', title: 'Shown / engaged / converted in the last 7 days' },
    `${t.shown} shown · ${t.engaged} engaged · ${t.converted} converted`,
    t.verdict ? h('span', { class: 'muted verdict-' + t.verdict }, ' · ' + VERDICT_WORDS[t.verdict]) : null);
}

// One row per language: the text (and for pop-ups a title and a button).
class TextsEditor {
  constructor(action, form) {
    const langs = [];
    for (const field of ['text', 'title', 'button']) {
      for (const lang of Object.keys(action[field] || {})) if (!langs.includes(lang)) langs.push(lang);
    }
    if (!langs.length) langs.push('en');
    this.rows = langs.map((lang) => ({
      lang, text: (action.text || {})[lang] || '', title: (action.title || {})[lang] || '', button: (action.button || {})[lang] || '',
    }));
    this.showExtras = !!(Object.keys(action.title || {}).length || Object.keys(action.button || {}).length);
    this.slot = h('span', { class: 'field-problem', 'data-problem-for': '$.action.text' });
    this.box = h('div', { class: 'texts', role: 'group', 'aria-label': 'Message per language', 'data-test': 'texts' });
    for (const field of ['text', 'title', 'button']) form.register('$.action.' + field, this.box, this.slot);
    this.el = h('fieldset', { class: 'texts-fieldset' }, h('legend', {}, 'Message per language'),
      h('p', { class: 'hint' }, 'Templates: {{ visitor.first_name | default("there") }}, {{ event.search_term }}, {{ cart.value | money(cart.currency) }}. The visitor\'s language picks the version; the default language is the fallback.'),
      this.box, this.slot);
    this.draw();
  }

  extras(on) { this.showExtras = on || this.showExtras; this.draw(); }

  draw() {
    this.box.replaceChildren(...this.rows.map((row, i) => {
      const lang = input(row.lang, { 'aria-label': 'Language ' + (i + 1), class: 'lang', 'data-test': 'text-lang', maxlength: 12 });
      lang.addEventListener('input', () => { row.lang = lang.value.trim(); });
      const text = textarea(row.text, { 'aria-label': 'Message text (' + (row.lang || i + 1) + ')', 'data-test': 'text-body', rows: 3 });
      text.addEventListener('input', () => { row.text = text.value; });
      const parts = [lang, text];
      if (this.showExtras) {
        const title = input(row.title, { 'aria-label': 'Title (' + (row.lang || i + 1) + ')', placeholder: 'Title' });
        title.addEventListener('input', () => { row.title = title.value; });
        const button = input(row.button, { 'aria-label': 'Button (' + (row.lang || i + 1) + ')', placeholder: 'Button' });
        button.addEventListener('input', () => { row.button = button.value; });
        parts.push(h('div', { class: 'texts-extra' }, h('label', {}, 'Title', title), h('label', {}, 'Button', button)));
      }
      const drop = h('button', { type: 'button', class: 'danger', 'aria-label': 'Remove language ' + (row.lang || i + 1) }, 'Remove');
      drop.addEventListener('click', () => { this.rows.splice(i, 1); this.draw(); });
      return h('div', { class: 'texts-row' }, ...parts, drop);
    }), (() => {
      const add = h('button', { type: 'button', 'data-test': 'add-language' }, '+ Language');
      add.addEventListener('click', () => {
        this.rows.push({ lang: '', text: '', title: '', button: '' });
        this.draw();
        const langs = this.box.querySelectorAll('input.lang');
        langs[langs.length - 1].focus();
      });
      return h('div', { class: 'row' }, add);
    })());
  }

  get() {
    const out = { text: {}, title: {}, button: {} };
    for (const row of this.rows) {
      if (!row.lang) continue;
      for (const field of ['text', 'title', 'button']) if (row[field].trim()) out[field][row.lang] = row[field];
    }
    return out;
  }
}

function checkboxes(legend, options, chosen, path, form) {
  const set = new Set(chosen || []);
  const boxes = options.map((o) => {
    const box = h('input', { type: 'checkbox', value: o.key });
    box.checked = set.has(o.key);
    return h('label', { class: 'inline' }, box, ' ', o.name || o.key);
  });
  const slot = h('span', { class: 'field-problem' });
  const el = h('fieldset', { class: 'checks' }, h('legend', {}, legend),
    boxes.length ? boxes : h('span', { class: 'muted' }, 'No segments yet.'), slot);
  form.register(path, el, slot);
  return { el, get: () => [...el.querySelectorAll('input:checked')].map((b) => b.value) };
}

function scenarioEditor(body, key) {
  loading(body, async () => {
    const [sc, segments, departments] = await Promise.all([
      key ? api('GET', '/api/scenarios/' + encodeURIComponent(key)) : null,
      api('GET', '/api/segments'), api('GET', '/api/departments')]);
    const doc = sc ? withoutId(sc) : {
      key: '', name: '', description: '', enabled: true, priority: 50, trigger: { event: 'page_view' },
      condition: null, pages: {}, audience: {}, department: null,
      action: { type: 'chat_invitation', text: { en: '' }, agent_name: '' }, caps: {}, default_language: 'en',
    };
    const action = doc.action || { type: 'chat_invitation', text: {} };
    const form = new Form({ 'aria-label': key ? 'Edit scenario' : 'New scenario', 'data-test': 'scenario-form' });
    const f = {
      key: input(doc.key, { required: true, readonly: !!key, 'data-test': 'sc-key' }),
      name: input(doc.name, { required: true, 'data-test': 'sc-name' }),
      description: input(doc.description || ''),
      priority: input(doc.priority ?? 0, { type: 'number', step: 1 }),
      department: select([['', '— any agent —'], ...departments.map((d) => [d.key, d.name])], doc.department || ''),
      language: input(doc.default_language || 'en', { maxlength: 12, 'data-test': 'sc-default-language' }),
    };
    // Trigger.
    const t = doc.trigger || {};
    const tKind = TRIGGERS.map(([k]) => k).find((k) => t[k] !== undefined && t[k] !== null) || 'event';
    const trig = {
      kind: select(TRIGGERS, tKind, { 'data-test': 'trigger-kind' }),
      events: input([].concat(t.event || []).join(', '), { placeholder: 'add_to_cart, view_cart', 'data-test': 'trigger-events' }),
      segment: select(segments.map((s) => [s.key, s.name]), t.segment_entered || ''),
      duration: input(t.time_on_site ?? t.idle ?? '', { placeholder: '150s, 10m, 1h' }),
      after: input((t.absence || {}).after || '', { placeholder: 'add_to_cart' }),
      missing: input([].concat((t.absence || {}).missing || []).join(', '), { placeholder: 'purchase' }),
      for: input((t.absence || {}).for || '', { placeholder: '30m' }),
    };
    const trigParts = {
      event: form.field('Events (comma-separated)', trig.events, '$.trigger.event'),
      segment_entered: form.field('Segment', trig.segment, '$.trigger.segment_entered'),
      duration: form.field('Duration', trig.duration, '$.trigger.time_on_site', 'e.g. 150s, 10m, 1h30m'),
      absence: h('div', { class: 'grid' }, form.field('After the event', trig.after, '$.trigger.after'),
        form.field('None of these (comma-separated)', trig.missing, '$.trigger.missing'),
        form.field('For', trig.for, '$.trigger.for')),
    };
    form.fields.set('$.trigger.idle', form.fields.get('$.trigger.time_on_site'));
    const showTrigger = () => {
      const k = trig.kind.value;
      trigParts.event.hidden = k !== 'event';
      trigParts.segment_entered.hidden = k !== 'segment_entered';
      trigParts.duration.hidden = k !== 'time_on_site' && k !== 'idle';
      trigParts.absence.hidden = k !== 'absence';
    };
    trig.kind.addEventListener('change', showTrigger);
    showTrigger();
    // Targeting.
    const pages = doc.pages || {};
    const audience = doc.audience || {};
    const include = textarea((pages.include || []).join('\n'), { rows: 2, placeholder: '*/shop/*' });
    const exclude = textarea((pages.exclude || []).join('\n'), { rows: 2, placeholder: '*/checkout/*' });
    const any = checkboxes('In any of these segments', segments, audience.segments_any, '$.audience.segments_any', form);
    const none = checkboxes('In none of these segments', segments, audience.segments_none, '$.audience.segments_none', form);
    const builder = new ConditionBuilder(doc.condition, { label: 'Condition' });
    form.sink('$.condition', builder);
    // Action.
    const a = {
      type: select(ACTIONS, action.type, { 'data-test': 'action-type' }),
      agent_name: input(action.agent_name || '', { placeholder: 'Sales team' }),
      coupon: input(action.coupon || '', { placeholder: 'SORRY10 or a template' }),
      url: input(action.url || '', { type: 'url' }),
      phone: input(action.phone || '', { type: 'tel' }),
      image_url: input(action.image_url || '', { type: 'url' }),
      agents: input((action.agents || []).join(', '), { placeholder: 'sam@shop.example' }),
      notify_department: select([['', '—'], ...departments.map((d) => [d.key, d.name])], action.department || ''),
      secret: input(action.secret || '', { autocomplete: 'off' }),
      inline_reply: h('input', { type: 'checkbox' }),
    };
    a.inline_reply.checked = action.inline_reply !== false;
    const texts = new TextsEditor(action, form);
    const actionFields = {
      agent_name: form.field('Agent name shown', a.agent_name, '$.action.agent_name'),
      coupon: form.field('Coupon', a.coupon, '$.action.coupon'),
      url: form.field('URL', a.url, '$.action.url'),
      phone: form.field('Phone number', a.phone, '$.action.phone'),
      image_url: form.field('Image URL', a.image_url, '$.action.image_url'),
      agents: form.field('Agents to alert (e-mails)', a.agents, '$.action.agents'),
      department: form.field('Department to alert', a.notify_department, '$.action.department'),
      secret: form.field('Signing secret', a.secret, '$.action.secret'),
      inline_reply: h('label', { class: 'inline' }, a.inline_reply, ' The visitor can reply right in the invitation'),
    };
    const USES = {
      chat_invitation: ['agent_name', 'inline_reply', 'coupon'], popup: ['image_url', 'coupon', 'inline_reply'],
      open_chat: ['agent_name', 'coupon'], faq_link: ['url'], email_capture: [], phone_card: ['phone', 'url'],
      notify_agents: ['agents', 'department'], webhook: ['url', 'secret'], email: ['coupon', 'url'],
    };
    const showAction = () => {
      const used = new Set(USES[a.type.value] || []);
      for (const [name, el] of Object.entries(actionFields)) {
        el.hidden = !used.has(name) && !(action[name] && action.type === a.type.value && name !== 'inline_reply');
      }
      texts.el.hidden = a.type.value === 'webhook';
      if (a.type.value === 'popup' || a.type.value === 'email') texts.extras(true);
    };
    a.type.addEventListener('change', showAction);
    showAction();
    // Caps and staffing.
    const caps = doc.caps || {};
    const c = {
      per_session: input(caps.per_session === undefined ? 1 : caps.per_session ?? '', { type: 'number', min: 0 }),
      per_visitor: input(caps.per_visitor ?? '', { type: 'number', min: 0 }),
      per_days: input(caps.per_days ?? '', { type: 'number', min: 0 }),
      snooze: input(caps.snooze_after_dismiss ?? '1h'),
      needs_agent: select([['', 'Default (chats and pop-ups need one)'], ['true', 'Yes'], ['false', 'No']],
        doc.needs_agent === undefined || doc.needs_agent === null ? '' : String(doc.needs_agent)),
      global: h('input', { type: 'checkbox' }),
      // Shown as a percentage; stored as a share (0-0.5).
      holdout: input(doc.holdout ? String(Math.round(doc.holdout * 1000) / 10) : '0',
        { type: 'number', min: 0, max: 50, step: 0.5, 'data-test': 'sc-holdout' }),
    };
    // Its conversion in reports: empty fields follow the workspace's goal.
    const conv = doc.conversion || {};
    const g = {
      event: input(conv.event ?? '', { placeholder: 'the workspace\'s (purchase)', 'data-test': 'sc-goal-event' }),
      min_value: input(conv.min_value ?? '', { type: 'number', min: 0, step: 'any', 'data-test': 'sc-goal-min' }),
      window_hours: input(conv.window_hours ?? '', { type: 'number', min: 1, max: 720, step: 1, placeholder: 'the workspace\'s', 'data-test': 'sc-goal-window' }),
    };
    c.global.checked = doc.counts_toward_global_cap !== false;
    // Everything else (variants, fallback, fields this form does not know) as JSON.
    const known = new Set(['key', 'name', 'description', 'enabled', 'priority', 'trigger', 'condition', 'pages',
      'audience', 'action', 'department', 'needs_agent', 'caps', 'default_language', 'counts_toward_global_cap',
      'holdout', 'conversion']);
    const restDoc = Object.fromEntries(Object.entries(doc).filter(([k, v]) => !known.has(k)
      && !(Array.isArray(v) && v.length === 0) && v !== null));
    const knownAction = new Set(['type', 'text', 'title', 'button', 'agent_name', 'coupon', 'url', 'phone', 'image_url',
      'agents', 'department', 'secret', 'inline_reply']);
    const extraAction = Object.fromEntries(Object.entries(action).filter(([k]) => !knownAction.has(k)));
    const rest = textarea(Object.keys(restDoc).length ? JSON.stringify(restDoc, null, 2) : '', {
      rows: 5, spellcheck: 'false', placeholder: '{"fallback": {"type": "email_capture", "text": {"en": "Leave your e-mail"}}}',
      'data-test': 'sc-rest',
    });
    const restField = form.field('Other fields as JSON (variants, fallback…)', rest, '$.variants',
      'An object merged into the scenario when it is saved.');
    form.fields.set('$.fallback', form.fields.get('$.variants'));
    form.fields.set('$.rest', form.fields.get('$.variants'));

    const collect = () => {
      const k = trig.kind.value;
      const trigger = {};
      if (k === 'event') {
        const list = splitList(trig.events.value);
        trigger.event = list.length === 1 ? list[0] : list;
      } else if (k === 'segment_entered') trigger.segment_entered = trig.segment.value;
      else if (k === 'time_on_site' || k === 'idle') trigger[k] = numberOrNull(trig.duration.value) ?? '';
      else {
        const missing = splitList(trig.missing.value);
        trigger.absence = { after: trig.after.value.trim(), missing: missing.length === 1 ? missing[0] : missing, for: numberOrNull(trig.for.value) ?? '' };
      }
      const tx = texts.get();
      const act_ = { ...extraAction, type: a.type.value };
      if (a.type.value !== 'webhook') {
        act_.text = tx.text;
        if (Object.keys(tx.title).length) act_.title = tx.title;
        if (Object.keys(tx.button).length) act_.button = tx.button;
      }
      for (const name of ['agent_name', 'coupon', 'url', 'phone', 'image_url', 'secret']) {
        if (!actionFields[name].hidden && a[name].value.trim()) act_[name] = a[name].value.trim();
      }
      if (!actionFields.agents.hidden && splitList(a.agents.value).length) act_.agents = splitList(a.agents.value);
      if (!actionFields.department.hidden && a.notify_department.value) act_.department = a.notify_department.value;
      if (!actionFields.inline_reply.hidden) act_.inline_reply = a.inline_reply.checked;
      const out = {
        key: f.key.value.trim(), name: f.name.value.trim(), description: f.description.value,
        enabled: doc.enabled !== false, priority: numberOrNull(f.priority.value) ?? 0, trigger,
        condition: builder.get(),
        pages: { include: splitList(include.value), exclude: splitList(exclude.value) },
        audience: { segments_any: any.get(), segments_none: none.get() },
        action: act_, department: f.department.value || null,
        needs_agent: c.needs_agent.value === '' ? null : c.needs_agent.value === 'true',
        caps: {
          per_session: numberOrNull(c.per_session.value), per_visitor: numberOrNull(c.per_visitor.value),
          per_days: numberOrNull(c.per_days.value),
        },
        default_language: f.language.value.trim() || 'en', counts_toward_global_cap: c.global.checked,
      };
      const holdout = Number(c.holdout.value || 0);
      if (holdout) out.holdout = Math.round(holdout * 10) / 1000;
      const goal = {};
      if (g.event.value.trim()) goal.event = g.event.value.trim();
      if (g.min_value.value.trim() !== '') goal.min_value = numberOrNull(g.min_value.value);
      if (g.window_hours.value.trim() !== '') goal.window_hours = numberOrNull(g.window_hours.value);
      if (Object.keys(goal).length) out.conversion = goal;
      // "1h" is the default: left out, so the stored definition stays as written.
      const snooze = numberOrNull(c.snooze.value);
      if (snooze !== null && snooze !== '1h') out.caps.snooze_after_dismiss = snooze;
      if (rest.value.trim()) {
        let extra;
        try { extra = JSON.parse(rest.value); } catch (err) {
          throw Object.assign(new Error('Other fields: not valid JSON: ' + err.message), { problems: [{ path: '$.rest', problem: 'not valid JSON: ' + err.message }] });
        }
        if (!extra || typeof extra !== 'object' || Array.isArray(extra)) {
          throw Object.assign(new Error('Other fields: write a JSON object'), { problems: [{ path: '$.rest', problem: 'write a JSON object such as {"fallback": {...}}' }] });
        }
        Object.assign(out, extra);
        if (extra.variants && !extra.action) delete out.action;
      }
      return out;
    };

    const preview = previewPanel(collect, form, () => [].concat(collect().trigger.event || [])[0] || 'page_view');
    const save = h('button', { type: 'submit', class: 'primary', 'data-test': 'save' }, 'Save scenario');
    form.el.append(
      section('Scenario', h('div', { class: 'grid' },
        form.field('Key', f.key, '$.key', 'Lower-case letters, digits, _ and -; cannot change later.'),
        form.field('Name', f.name, '$.name'),
        form.field('Description', f.description, '$.description'),
        form.field('Priority', f.priority, '$.priority', 'For one trigger, the highest wins.'),
        form.field('Department', f.department, '$.department', 'Who answers; it must have a free agent.'),
        form.field('Default language', f.language, '$.default_language'))),
      section('When', h('div', { class: 'grid' }, form.field('Trigger', trig.kind, '$.trigger'),
        trigParts.event, trigParts.segment_entered, trigParts.duration), trigParts.absence),
      section('Who and where', h('div', { class: 'grid' },
        form.field('Only on pages (one pattern a line)', include, '$.pages.include'),
        form.field('Never on pages', exclude, '$.pages.exclude')),
      h('div', { class: 'grid' }, any.el, none.el), builder.el),
      section('What happens', h('div', { class: 'grid' }, form.field('Action', a.type, '$.action.type'),
        actionFields.agent_name, actionFields.coupon, actionFields.url, actionFields.phone, actionFields.image_url,
        actionFields.agents, actionFields.department, actionFields.secret), actionFields.inline_reply, texts.el),
      section('How often', h('div', { class: 'grid' },
        form.field('Per visit', c.per_session, '$.caps.per_session', 'Empty: no limit.'),
        form.field('Per visitor, ever', c.per_visitor, '$.caps.per_visitor'),
        form.field('At most once in (days)', c.per_days, '$.caps.per_days'),
        form.field('After a dismissal, wait', c.snooze, '$.caps.snooze_after_dismiss'),
        form.field('Needs a free agent', c.needs_agent, '$.needs_agent'),
        form.field('Hold out (% of visitors)', c.holdout, '$.holdout',
          'Never shown to this share (up to 50%): the control group of its lift report.')),
      h('label', { class: 'inline' }, c.global, ' Counts toward the workspace\'s limit of messages per visit')),
      section('What counts as a conversion', h('div', { class: 'grid' },
        form.field('Event', g.event, '$.conversion.event', 'Empty: the workspace\'s goal. For example sign_up.'),
        form.field('Least value', g.min_value, '$.conversion.min_value', 'Empty: any value.'),
        form.field('Within (hours after the message)', g.window_hours, '$.conversion.window_hours',
          'Empty: the workspace\'s attribution window.'))),
      section('Other fields', restField),
      preview.el,
      form.status,
      h('div', { class: 'row sticky-actions' }, save, h('a', { class: 'button', href: '#/admin/scenarios' }, 'Cancel')));
    form.el.addEventListener('submit', async (event) => {
      event.preventDefault();
      let out;
      try { out = collect(); } catch (err) { form.showProblems(err.problems || [], err.message); return; }
      save.disabled = true;
      try {
        if (key) await api('PUT', '/api/scenarios/' + encodeURIComponent(key), out);
        else await api('POST', '/api/scenarios', out);
        toast(`Saved scenario ${out.name}.`);
        navigate('admin/scenarios');
      } catch (err) {
        form.showError(err);
        const first = form.el.querySelector('[aria-invalid="true"]');
        if (first) first.focus();
      } finally {
        save.disabled = false;
      }
    });
    clear(body, form.el);
    (key ? f.name : f.key).focus();
  });
}

function section(title, ...children) {
  return h('fieldset', { class: 'section' }, h('legend', {}, title), ...children);
}

// The scenario's message in each language for a sample visitor (POST /api/scenarios/preview).
function previewPanel(collect, form, defaultEvent) {
  const first = input('Ann', { 'data-test': 'pv-first-name' });
  const cartValue = input('', { type: 'number', min: 0, step: 'any', placeholder: '620' });
  const currency = input('EUR', { maxlength: 3 });
  const eventName = input('', { placeholder: 'from the trigger' });
  const props = textarea('{}', { rows: 2, spellcheck: 'false', 'data-test': 'pv-props' });
  const out = h('div', { class: 'preview-out', 'aria-live': 'polite', 'data-test': 'preview' });
  const run = h('button', { type: 'button', 'data-test': 'preview-button' }, 'Preview messages');
  const ids = {};
  const lab = (text, el) => {
    el.id = el.id || 'pv' + Math.random().toString(36).slice(2, 8);
    ids[text] = el.id;
    return h('div', { class: 'field' }, h('label', { for: el.id }, text), el);
  };
  run.addEventListener('click', async () => {
    let scenario;
    let properties;
    try {
      scenario = collect();
      properties = JSON.parse(props.value || '{}');
    } catch (err) {
      clear(out, h('p', { class: 'form-error', role: 'alert' }, err.message));
      return;
    }
    const visitor = { first_name: first.value.trim() || null, cart_currency: currency.value.trim() || null };
    if (cartValue.value !== '') visitor.cart_value = Number(cartValue.value);
    run.disabled = true;
    clear(out, h('p', { class: 'loading' }, 'Rendering…'));
    try {
      const result = await api('POST', '/api/scenarios/preview', {
        scenario, visitor, event: { name: eventName.value.trim() || defaultEvent(), properties },
      });
      form.clearProblems();
      clear(out, result.actions.map((action) => h('div', { class: 'preview-action' },
        h('h3', {}, (action.where === 'action' ? 'Message' : action.where) + ' · ' + action.type),
        h('div', { class: 'preview-langs' }, Object.entries(action.languages).map(([lang, msg]) => h('article', {
          class: 'preview-card', 'data-test': 'preview-lang', 'data-lang': lang, lang,
        },
        h('span', { class: 'lang-badge' }, lang),
        msg.agent_name ? h('div', { class: 'muted' }, msg.agent_name) : null,
        msg.title ? h('strong', {}, msg.title) : null,
        h('p', { 'data-test': 'preview-text' }, msg.text ?? ''),
        msg.coupon ? h('p', {}, 'Coupon: ', h('code', {}, msg.coupon)) : null,
        msg.button ? h('span', { class: 'button' }, msg.button) : null,
        msg.url ? h('p', { class: 'muted' }, msg.url) : null,
        (msg.problems || []).map((p) => h('p', { class: 'problem' }, p.path + ': ' + p.problem))))))));
    } catch (err) {
      form.showError(err);
      clear(out, h('p', { class: 'form-error', role: 'alert' },
        err.status === 404 && err.code === 'not_found' && !scenario.key ? 'Preview is not available.' : 'Preview failed: ' + err.message));
    } finally {
      run.disabled = false;
    }
  });
  const el = h('fieldset', { class: 'section preview' }, h('legend', {}, 'Preview'),
    h('p', { class: 'hint' }, 'How the message reads in each language, for a sample visitor.'),
    h('div', { class: 'grid' }, lab('Visitor first name', first), lab('Cart value', cartValue), lab('Currency', currency),
      lab('Event name', eventName), lab('Event properties (JSON)', props)),
    h('div', { class: 'row' }, run), out);
  return { el };
}
