// Departments (with their business hours) and agents (invitations, capacity, accounts).
import {
  Form, act, adminPage, api, cell, clear, confirmDialog, copyBox, h, input, loading, navigate,
  numberOrNull, select, state, table, textarea, toast, withoutId,
} from './admin-ui.js';

const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];

function hoursText(bh) {
  if (!bh) return 'Always open';
  const parts = DAYS.filter(([d]) => (bh.weekly || {})[d] && bh.weekly[d].length)
    .map(([d]) => d.charAt(0).toUpperCase() + d.slice(1, 3) + ' ' + bh.weekly[d].map((i) => i.join('–')).join(', '));
  return (parts.length ? parts.join('; ') : 'Closed every day') + ' (' + (bh.time_zone || 'UTC') + ')';
}

// ---------------------------------------------------------------- departments

adminPage('admin/departments', 'Departments', (body, params) => {
  if (params.edit || params.new) return void departmentEditor(body, params.edit || null);
  const draw = async () => {
    const [departments, presence] = await Promise.all([api('GET', '/api/departments'), api('GET', '/api/presence')]);
    const now = new Map(presence.departments.map((d) => [d.key, d]));
    const rows = departments.map((d) => {
      const live = now.get(d.key);
      return h('tr', { 'data-key': d.key },
        cell('Department', h('strong', {}, d.name), ' ', h('code', { class: 'muted' }, d.key)),
        cell('Business hours', hoursText(d.business_hours)),
        cell('Now', live ? `${live.open ? 'Open' : 'Closed'} · ${live.online} online · ${live.free_slots} free slots` : '—'),
        cell('', h('div', { class: 'row' },
          h('a', { class: 'button', href: '#/admin/departments?edit=' + encodeURIComponent(d.key), 'aria-label': 'Edit ' + d.name }, 'Edit'),
          h('button', {
            type: 'button', class: 'danger', 'aria-label': 'Delete ' + d.name,
            onclick: async (e) => {
              const button = e.currentTarget;
              if (!(await confirmDialog(`Delete the department “${d.name}”?`))) return;
              await act(button, async () => {
                await api('DELETE', '/api/departments/' + encodeURIComponent(d.key));
                toast(`Deleted ${d.name}.`);
                await draw();
              });
            },
          }, 'Delete'))));
    });
    clear(body,
      h('div', { class: 'row toolbar' }, h('a', { class: 'button primary', href: '#/admin/departments?new=1' }, 'New department')),
      table(['Department', 'Business hours', 'Now', ''], rows, { 'data-test': 'departments' }));
  };
  loading(body, draw);
});

let zones = null;
function zoneList() {
  if (!zones) {
    const names = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
    zones = h('datalist', { id: 'fw-time-zones' }, ['UTC', ...names].map((z) => h('option', { value: z })));
    document.body.append(zones);
  }
  return 'fw-time-zones';
}

// The weekly schedule: per day, opening intervals; holidays; a time zone.
class HoursEditor {
  constructor(bh, form) {
    this.always = h('input', { type: 'checkbox', 'data-test': 'always-open' });
    this.always.checked = !bh;
    const hours = bh || { time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
      weekly: Object.fromEntries(DAYS.slice(0, 5).map(([d]) => [d, [['09:00', '18:00']]])), holidays: [] };
    this.weekly = Object.fromEntries(DAYS.map(([d]) => [d, ((hours.weekly || {})[d] || []).map((i) => [...i])]));
    this.zone = input(hours.time_zone || 'UTC', { list: zoneList(), 'data-test': 'time-zone', autocomplete: 'off' });
    this.holidays = textarea((hours.holidays || []).join('\n'), { rows: 2, placeholder: '2026-12-25' });
    this.days = h('div', { class: 'days' });
    const slot = h('span', { class: 'field-problem' });
    this.body = h('div', {}, h('div', { class: 'grid' }, form.field('Time zone', this.zone, '$.business_hours.time_zone'),
      form.field('Holidays (YYYY-MM-DD, one a line)', this.holidays, '$.business_hours.holidays')), this.days);
    this.el = h('fieldset', { class: 'section hours', 'data-test': 'hours' }, h('legend', {}, 'Business hours'),
      h('label', { class: 'inline' }, this.always, ' Always open'), this.body, slot);
    form.register('$.business_hours', this.el, slot);
    this.always.addEventListener('change', () => { this.body.hidden = this.always.checked; });
    this.body.hidden = this.always.checked;
    this.draw();
  }

  draw() {
    this.days.replaceChildren(...DAYS.map(([day, name]) => {
      const list = this.weekly[day];
      const add = h('button', { type: 'button', 'aria-label': 'Add opening hours on ' + name }, '+ Hours');
      add.addEventListener('click', () => {
        list.push(list.length ? [list[list.length - 1][1], '23:59'] : ['09:00', '18:00']);
        this.draw();
        this.days.querySelector(`[data-day="${day}"] input:last-of-type`)?.focus();
      });
      const items = list.map((interval, i) => {
        const start = input(interval[0], { type: 'time', 'aria-label': `${name} opens (${i + 1})`, 'data-test': 'opens' });
        const end = input(interval[1], { type: 'time', 'aria-label': `${name} closes (${i + 1})`, 'data-test': 'closes' });
        start.addEventListener('input', () => { interval[0] = start.value; });
        end.addEventListener('input', () => { interval[1] = end.value; });
        const drop = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${name} hours ${i + 1}` }, '×');
        drop.addEventListener('click', () => { list.splice(i, 1); this.draw(); });
        return h('span', { class: 'interval' }, start, '–', end, drop);
      });
      return h('div', { class: 'day', 'data-day': day }, h('span', { class: 'day-name' }, name),
        h('span', { class: 'intervals' }, items.length ? items : h('span', { class: 'muted' }, 'Closed')), add);
    }), (() => {
      const copy = h('button', { type: 'button' }, 'Copy Monday to Tuesday–Friday');
      copy.addEventListener('click', () => {
        for (const d of ['tue', 'wed', 'thu', 'fri']) this.weekly[d] = this.weekly.mon.map((i) => [...i]);
        this.draw();
      });
      return h('div', { class: 'row' }, copy);
    })());
  }

  get() {
    if (this.always.checked) return null;
    const weekly = {};
    for (const [day] of DAYS) if (this.weekly[day].length) weekly[day] = this.weekly[day].map((i) => [...i]);
    return {
      time_zone: this.zone.value.trim() || 'UTC', weekly,
      holidays: this.holidays.value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean),
    };
  }
}

function departmentEditor(body, key) {
  loading(body, async () => {
    const dept = key ? withoutId(await api('GET', '/api/departments/' + encodeURIComponent(key)))
      : { key: '', name: '', business_hours: null };
    const form = new Form({ 'aria-label': key ? 'Edit department' : 'New department', 'data-test': 'department-form' });
    const k = input(dept.key, { required: true, readonly: !!key, 'data-test': 'dept-key' });
    const name = input(dept.name, { required: true, 'data-test': 'dept-name' });
    const hours = new HoursEditor(key ? dept.business_hours : null, form);
    const save = h('button', { type: 'submit', class: 'primary', 'data-test': 'save' }, 'Save department');
    form.el.append(h('div', { class: 'grid' },
      form.field('Key', k, '$.key', 'Lower-case letters, digits, _ and -.'), form.field('Name', name, '$.name')),
    hours.el, form.status,
    h('div', { class: 'row' }, save, h('a', { class: 'button', href: '#/admin/departments' }, 'Cancel')));
    form.el.addEventListener('submit', async (event) => {
      event.preventDefault();
      const doc = { key: k.value.trim(), name: name.value.trim(), business_hours: hours.get() };
      save.disabled = true;
      try {
        if (key) await api('PUT', '/api/departments/' + encodeURIComponent(key), doc);
        else await api('POST', '/api/departments', doc);
        toast(`Saved department ${doc.name}.`);
        navigate('admin/departments');
      } catch (err) {
        form.showError(err);
      } finally {
        save.disabled = false;
      }
    });
    clear(body, form.el);
    (key ? name : k).focus();
  });
}

// ---------------------------------------------------------------- agents

adminPage('admin/agents', 'Agents', (body) => {
  const listBox = h('div', { 'data-test': 'agents-box' });
  const inviteBox = h('div');
  const draw = async () => {
    const [agents, presence, accounts, departments] = await Promise.all([
      api('GET', '/api/agents'), api('GET', '/api/presence'), api('GET', '/api/auth/accounts'),
      api('GET', '/api/departments')]);
    const live = new Map(presence.agents.map((p) => [p.id, p]));
    const byAgent = new Map(accounts.filter((a) => a.agent_id).map((a) => [a.agent_id, a]));
    const people = agents.map((agent) => ({ agent, account: byAgent.get(agent.id) || null }))
      .concat(accounts.filter((a) => !a.agent_id || !agents.some((g) => g.id === a.agent_id))
        .map((account) => ({ agent: null, account })));
    const deptName = new Map(departments.map((d) => [d.key, d.name]));
    const rows = people.map(({ agent, account }) => {
      const p = agent ? live.get(agent.id) : null;
      const who = agent || account;
      const buttons = [];
      if (agent) {
        const edit = h('button', { type: 'button', 'aria-label': 'Edit ' + who.name }, 'Edit');
        edit.addEventListener('click', () => agentEditor(listBox, agent, departments, draw));
        buttons.push(edit);
      }
      if (account && account.id !== state.me.id) {
        const off = !account.disabled;
        const toggle = h('button', {
          type: 'button', class: off ? 'danger' : null, 'data-test': 'account-toggle',
          'aria-label': (off ? 'Disable ' : 'Enable ') + account.name,
        }, off ? 'Disable login' : 'Enable login');
        toggle.addEventListener('click', async () => {
          if (off && !(await confirmDialog(`Disable ${account.name}'s login? Their sessions end now.`, 'Disable'))) return;
          await act(toggle, async () => {
            await api('POST', `/api/auth/accounts/${encodeURIComponent(account.id)}/${off ? 'disable' : 'enable'}`);
            toast(`${account.name} ${off ? 'can no longer log in' : 'may log in again'}.`);
            await draw();
          });
        });
        buttons.push(toggle);
      }
      const accountState = !account ? 'No login' : account.disabled ? 'Disabled' : account.pending ? 'Invited' : 'Active';
      return h('tr', { 'data-email': who.email, class: account && account.disabled ? 'disabled' : '' },
        cell('Name', h('strong', {}, who.name), h('br'), h('span', { class: 'muted' }, who.email)),
        cell('Role', account ? account.role : 'agent'),
        cell('Departments', agent ? (agent.departments.map((d) => deptName.get(d) || d).join(', ') || 'all chats') : '—'),
        cell('Max chats', agent ? String(agent.max_chats) : '—'),
        cell('Presence', p ? h('span', { class: 'presence ' + p.status }, `${p.status} · ${p.active_chats} chats`) : '—'),
        cell('Login', h('span', { 'data-test': 'account-state' }, accountState)),
        cell('', h('div', { class: 'row' }, buttons)));
    });
    clear(listBox, table(['Name', 'Role', 'Departments', 'Max chats', 'Presence', 'Login', ''], rows, { 'data-test': 'agents' }));
    if (!inviteBox.firstChild) inviteBox.append(inviteForm(departments, draw));
  };
  clear(body, listBox, inviteBox);
  loading(listBox, draw);
});

function agentEditor(box, agent, departments, redraw) {
  const form = new Form({ 'aria-label': 'Edit ' + agent.name, 'data-test': 'agent-form' });
  const name = input(agent.name, { required: true });
  const max = input(agent.max_chats, { type: 'number', min: 0, max: 100 });
  const chosen = new Set(agent.departments);
  const boxes = departments.map((d) => {
    const b = h('input', { type: 'checkbox', value: d.key });
    b.checked = chosen.has(d.key);
    return h('label', { class: 'inline' }, b, ' ', d.name);
  });
  const slot = h('span', { class: 'field-problem' });
  const deptSet = h('fieldset', { class: 'checks' }, h('legend', {}, 'Departments'), boxes, slot);
  form.register('$.departments', deptSet, slot);
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  cancel.addEventListener('click', () => loading(box, redraw));
  form.el.append(h('h2', {}, agent.name + ' · ' + agent.email),
    h('div', { class: 'grid' }, form.field('Name', name, '$.name'), form.field('Most chats at once', max, '$.max_chats')),
    deptSet, form.status, h('div', { class: 'row' }, save, cancel));
  form.el.addEventListener('submit', async (event) => {
    event.preventDefault();
    const doc = { ...withoutId(agent), name: name.value.trim(), max_chats: numberOrNull(max.value) ?? 3,
      departments: [...deptSet.querySelectorAll('input:checked')].map((b) => b.value) };
    save.disabled = true;
    try {
      await api('PUT', '/api/agents/' + encodeURIComponent(agent.id), doc);
      toast(`Saved ${doc.name}.`);
      loading(box, redraw);
    } catch (err) {
      form.showError(err);
    } finally {
      save.disabled = false;
    }
  });
  clear(box, form.el);
  name.focus();
}

function inviteForm(departments, redraw) {
  const form = new Form({ 'aria-label': 'Invite someone', 'data-test': 'invite-form' });
  const email = input('', { type: 'email', required: true, autocomplete: 'off', 'data-test': 'invite-email' });
  const name = input('', { required: true, autocomplete: 'off', 'data-test': 'invite-name' });
  const role = select([['agent', 'Agent: chats'], ['admin', 'Admin: manages the workspace']], 'agent', { 'data-test': 'invite-role' });
  const max = input(3, { type: 'number', min: 0, max: 100 });
  const boxes = departments.map((d) => h('label', { class: 'inline' }, h('input', { type: 'checkbox', value: d.key }), ' ', d.name));
  const slot = h('span', { class: 'field-problem' });
  const deptSet = h('fieldset', { class: 'checks' }, h('legend', {}, 'Departments'), boxes, slot);
  form.register('$.departments', deptSet, slot);
  const maxField = form.field('Most chats at once', max, '$.max_chats');
  role.addEventListener('change', () => { deptSet.hidden = maxField.hidden = role.value !== 'agent'; });
  const result = h('div', { class: 'invite-result', 'aria-live': 'polite', 'data-test': 'invite-result' });
  const send = h('button', { type: 'submit', class: 'primary', 'data-test': 'invite' }, 'Create invitation');
  form.el.append(h('h2', {}, 'Invite an agent or admin'),
    h('div', { class: 'grid' }, form.field('E-mail', email, '$.email'), form.field('Name', name, '$.name'),
      form.field('Role', role, '$.role'), maxField), deptSet, form.status, h('div', { class: 'row' }, send), result);
  form.el.addEventListener('submit', async (event) => {
    event.preventDefault();
    const doc = { email: email.value.trim(), name: name.value.trim(), role: role.value };
    if (role.value === 'agent') {
      doc.max_chats = numberOrNull(max.value) ?? 3;
      doc.departments = [...deptSet.querySelectorAll('input:checked')].map((b) => b.value);
    }
    send.disabled = true;
    try {
      const answer = await api('POST', '/api/auth/invitations', doc);
      form.clearProblems();
      const link = new URL(answer.link, location.origin).href;
      clear(result, h('p', {}, `Send this one-time link to ${answer.account.name}. It works once, until `,
        new Date(answer.expires_at * 1000).toLocaleString(), '. Floorwalker does not e-mail it.'),
      copyBox('Invitation link', link, { 'data-test': 'invite-link' }));
      result.querySelector('input, textarea').focus();
      email.value = '';
      name.value = '';
      await redraw();
    } catch (err) {
      form.showError(err);
    } finally {
      send.disabled = false;
    }
  });
  return form.el;
}
