// Sites and their keys (with the snippet to paste), workspace settings, lookup tables.
import {
  Form, act, adminPage, api, cell, clear, confirmDialog, copyBox, h, input, loading,
  numberOrNull, state, table, textarea, toast,
} from './admin-ui.js';
import { ApiError } from './core.js';

// The tag of docs/widget.md, pointing at this server.
export function snippet(writeKey) {
  return `<script async src="${location.origin}/widget/floorwalker.js" data-write-key="${writeKey}"></script>`;
}

// ---------------------------------------------------------------- sites

adminPage('admin/sites', 'Sites and keys', (body) => {
  const list = h('div');
  const fresh = h('div', { 'aria-live': 'polite', 'data-test': 'site-keys' });
  const draw = async () => {
    const sites = await api('GET', '/api/sites');
    clear(list, sites.length ? sites.map((site) => siteCard(site, fresh, draw)) : h('p', { class: 'muted' }, 'No sites yet.'));
  };
  clear(body, fresh, list, createSite(fresh, draw));
  loading(list, draw);
});

function siteCard(site, fresh, redraw) {
  const rotate = h('button', { type: 'button', class: 'danger', 'data-test': 'rotate', 'aria-label': 'Rotate the keys of ' + site.name }, 'Rotate keys');
  rotate.addEventListener('click', async () => {
    if (!(await confirmDialog(`Replace the keys of “${site.name}”? The old write key, server key and identity secret stop working within seconds; update the snippet on your pages and the secret on your server.`, 'Rotate keys'))) return;
    await act(rotate, async () => {
      const next = await api('POST', `/api/sites/${encodeURIComponent(site.id)}/rotate-keys`);
      showKeys(fresh, next, 'New keys for ' + next.name);
      toast('Keys replaced.');
      await redraw();
    });
  });
  const secretBox = copyBox('Identity secret (for signing user ids on your server)', site.identity_secret);
  const secretInput = secretBox.querySelector('input, textarea');
  secretInput.type = 'password';
  const reveal = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Show');
  reveal.addEventListener('click', () => {
    const shown = secretInput.type === 'text';
    secretInput.type = shown ? 'password' : 'text';
    reveal.textContent = shown ? 'Show' : 'Hide';
    reveal.setAttribute('aria-pressed', String(!shown));
  });
  secretBox.querySelector('.copy-row').append(reveal);
  return h('section', { class: 'card site', 'data-site': site.id, 'data-test': 'site' },
    h('h2', {}, site.name, site.domain ? h('span', { class: 'muted' }, ' · ' + site.domain) : null),
    copyBox('Snippet: paste it into every page, before </head>', snippet(site.write_key), { 'data-test': 'snippet' }),
    copyBox('Write key (public)', site.write_key, { 'data-test': 'write-key' }),
    secretBox,
    h('p', { class: 'hint' }, 'The server key is shown only when a site is made or its keys are rotated.'),
    h('div', { class: 'row' }, rotate));
}

function showKeys(box, site, title) {
  clear(box, h('section', { class: 'card notice' }, h('h2', {}, title),
    site.server_key ? h('p', { class: 'warning' }, 'Copy the server key now: it is not shown again.') : null,
    site.server_key ? copyBox('Server key (secret; for your servers only)', site.server_key, { 'data-test': 'server-key' }) : null,
    copyBox('Snippet', snippet(site.write_key), { 'data-test': 'new-snippet' })));
  box.scrollIntoView({ block: 'start' });
  box.querySelector('input, textarea').focus({ preventScroll: true });
}

function createSite(fresh, redraw) {
  const form = new Form({ 'aria-label': 'New site', 'data-test': 'site-form' });
  const name = input('', { required: true, 'data-test': 'site-name' });
  const domain = input('', { placeholder: 'shop.example.com', 'data-test': 'site-domain' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Create site');
  form.el.append(h('h2', {}, 'New site'), h('div', { class: 'grid' },
    form.field('Name', name, '$.name'), form.field('Domain (optional)', domain, '$.domain')), form.status,
  h('div', { class: 'row' }, save));
  form.el.addEventListener('submit', async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      const site = await api('POST', '/api/sites', { name: name.value.trim(), domain: domain.value.trim() || null });
      form.ok(`Created ${site.name}.`);
      name.value = '';
      domain.value = '';
      showKeys(fresh, site, 'Keys of ' + site.name);
      await redraw();
    } catch (err) {
      form.showError(err);
    } finally {
      save.disabled = false;
    }
  });
  return form.el;
}

// ---------------------------------------------------------------- settings

adminPage('admin/settings', 'Workspace settings', (body) => {
  loading(body, async () => {
    const ws = await api('GET', '/api/workspace');
    const s = ws.settings || {};
    const form = new Form({ 'aria-label': 'Workspace settings', 'data-test': 'settings-form' });
    const f = {
      sensitive: textarea((s.sensitive_attributes || []).join('\n'), { rows: 3, placeholder: 'margin\nlifetime_value' }),
      retention: input(s.retention_days ?? 0, { type: 'number', min: 0, max: 36500 }),
      maxProactive: input(s.max_proactive_per_session ?? 2, { type: 'number', min: 0, max: 100, 'data-test': 'max-proactive' }),
      gap: input(s.min_gap_seconds ?? 60, { type: 'number', min: 0, max: 86400, step: 'any' }),
      ttl: input(s.invitation_ttl_seconds ?? 300, { type: 'number', min: 5, max: 86400, step: 'any' }),
      window: input(s.attribution_window_hours ?? 48, { type: 'number', min: 1, max: 720, step: 1, 'data-test': 'attribution-window' }),
      goal: input(s.conversion_event ?? 'purchase', { required: true, maxlength: 255, 'data-test': 'conversion-event' }),
      least: input(s.conversion_min_value ?? '', { type: 'number', min: 0, step: 'any', 'data-test': 'conversion-min' }),
      silent: h('input', { type: 'checkbox', 'data-test': 'silent-chats' }),
      emailUnread: h('input', { type: 'checkbox', 'aria-describedby': 'email-unread-hint', 'data-test': 'email-unread' }),
      emailDelay: input(s.email_unread_delay_seconds ?? 120, { type: 'number', min: 10, max: 604800, step: 'any', 'data-test': 'email-unread-delay' }),
      fromName: input(s.email_from_name ?? '', { maxlength: 100, placeholder: ws.name, 'data-test': 'email-from-name' }),
      fromAddress: input(s.email_from_address ?? '', { type: 'email', maxlength: 254, placeholder: 'help@your-shop.example', 'data-test': 'email-from-address' }),
      quietStart: input(s.email_quiet_start ?? '', { type: 'time', 'data-test': 'email-quiet-start' }),
      quietEnd: input(s.email_quiet_end ?? '', { type: 'time', 'data-test': 'email-quiet-end' }),
      zone: input(s.email_timezone ?? 'UTC', { maxlength: 64, placeholder: 'Europe/Amsterdam', 'data-test': 'email-timezone' }),
    };
    f.silent.checked = !!s.count_chats_without_visitor_message;
    f.emailUnread.checked = s.email_unread_replies ?? true;
    const save = h('button', { type: 'submit', class: 'primary', 'data-test': 'save' }, 'Save settings');
    form.el.append(h('p', {}, 'Workspace ', h('strong', {}, ws.name), ' (', h('code', {}, ws.slug), ')'),
      h('div', { class: 'grid' },
        form.field('Sensitive attributes (one a line)', f.sensitive, '$.sensitive_attributes',
          'Never sent to a browser; only your server key may write them.'),
        form.field('Keep raw events (days, 0: the server default)', f.retention, '$.retention_days'),
        form.field('Proactive messages per visit, at most', f.maxProactive, '$.max_proactive_per_session'),
        form.field('Seconds between two proactive messages, at least', f.gap, '$.min_gap_seconds'),
        form.field('An unanswered invitation holds a chat slot for (seconds)', f.ttl, '$.invitation_ttl_seconds'),
        form.field('Reports: a conversion counts for a message or chat within (hours)', f.window, '$.attribution_window_hours'),
        form.field('Reports: the event that counts as a conversion', f.goal, '$.conversion_event',
          'purchase unless you name another (sign_up, Order Completed…); a scenario may name its own.'),
        form.field('Reports: its least value (empty: any)', f.least, '$.conversion_min_value')),
      h('label', { class: 'inline' }, f.silent,
        ' Reports: count chats where the visitor never wrote (invitations an agent opened, unanswered by the visitor)'),
      h('div', {},
        h('label', { class: 'inline' }, f.emailUnread, ' E-mail agent replies a visitor left unread'),
        h('p', { class: 'hint', id: 'email-unread-hint' }, 'To the address of the pre-chat form or of a verified identity.'),
        h('div', { class: 'grid' }, form.field('after (seconds)', f.emailDelay, '$.email_unread_delay_seconds'),
          form.field('E-mails come from (name)', f.fromName, '$.email_from_name'),
          form.field('E-mails come from (address)', f.fromAddress, '$.email_from_address',
            'Empty: the server\'s address. Your relay must be allowed to send as it (SPF, DKIM).'),
          form.field('Scenarios\' e-mails wait from', f.quietStart, '$.email_quiet_start',
            'Quiet hours: an e-mail due then goes when they end.'),
          form.field('until', f.quietEnd, '$.email_quiet_end'),
          form.field('in the time zone', f.zone, '$.email_timezone'))),
      form.status, h('div', { class: 'row' }, save));
    form.el.addEventListener('submit', async (event) => {
      event.preventDefault();
      save.disabled = true;
      try {
        await api('PATCH', '/api/workspace/settings', {
          sensitive_attributes: f.sensitive.value.split(/[\n,]/).map((x) => x.trim()).filter(Boolean),
          retention_days: numberOrNull(f.retention.value), max_proactive_per_session: numberOrNull(f.maxProactive.value),
          min_gap_seconds: numberOrNull(f.gap.value), invitation_ttl_seconds: numberOrNull(f.ttl.value),
          attribution_window_hours: numberOrNull(f.window.value),
          conversion_event: f.goal.value.trim() || null,
          conversion_min_value: numberOrNull(f.least.value),
          count_chats_without_visitor_message: f.silent.checked,
          email_unread_replies: f.emailUnread.checked,
          email_unread_delay_seconds: numberOrNull(f.emailDelay.value),
          email_from_name: f.fromName.value.trim() || null,
          email_from_address: f.fromAddress.value.trim() || null,
          email_quiet_start: f.quietStart.value || null,
          email_quiet_end: f.quietEnd.value || null,
          email_timezone: f.zone.value.trim() || null,
        });
        form.ok('Settings saved.');
        toast('Settings saved.');
      } catch (err) {
        form.showError(err);
      } finally {
        save.disabled = false;
      }
    });
    clear(body, form.el);
  });
});

// ---------------------------------------------------------------- lookup tables

adminPage('admin/lookups', 'Lookup tables', (body) => {
  const list = h('div');
  const draw = async () => {
    const tables = await api('GET', '/api/lookups');
    const rows = tables.map((t) => {
      const drop = h('button', { type: 'button', class: 'danger', 'aria-label': 'Delete the table ' + t.name }, 'Delete');
      drop.addEventListener('click', async () => {
        if (!(await confirmDialog(`Delete the lookup table “${t.name}” and its ${t.row_count} rows? Rules reading it will find nothing.`))) return;
        await act(drop, async () => {
          await api('DELETE', '/api/lookups/' + encodeURIComponent(t.name));
          toast(`Deleted ${t.name}.`);
          await draw();
        });
      });
      return h('tr', { 'data-name': t.name },
        cell('Table', h('code', {}, t.name)), cell('Key column', t.key_field),
        cell('Rows', h('span', { 'data-test': 'row-count' }, String(t.row_count))),
        cell('Updated', new Date(t.updated_at * 1000).toLocaleString()), cell('', drop));
    });
    clear(list, tables.length ? table(['Table', 'Key column', 'Rows', 'Updated', ''], rows, { 'data-test': 'lookups' })
      : h('p', { class: 'muted' }, 'No lookup tables yet.'));
  };
  clear(body, h('p', { class: 'hint' }, 'Rules read lookup tables on the server (',
    h('code', {}, 'lookup.products[event.item_id].margin'), '); their values never reach a browser.'),
  uploadForm(draw), list);
  loading(list, draw);
});

function uploadForm(redraw) {
  const form = new Form({ 'aria-label': 'Upload a lookup table', 'data-test': 'upload-form' });
  const name = input('', { required: true, pattern: '[a-z][a-z0-9_]*', placeholder: 'products', 'data-test': 'lookup-name' });
  const key = input('', { placeholder: 'first column', 'data-test': 'lookup-key' });
  const file = h('input', { type: 'file', accept: '.csv,text/csv', required: true, 'data-test': 'lookup-file' });
  const progress = h('progress', { max: 100, value: 0, 'data-test': 'upload-progress', 'aria-label': 'Upload progress' });
  const progressText = h('span', { class: 'muted', 'data-test': 'upload-progress-text', 'aria-live': 'polite' });
  const progressRow = h('div', { class: 'row upload-progress' }, progress, progressText);
  progressRow.hidden = true;
  const send = h('button', { type: 'submit', class: 'primary', 'data-test': 'upload' }, 'Upload');
  file.addEventListener('change', () => {
    const chosen = file.files[0];
    if (chosen && !name.value) name.value = chosen.name.replace(/\.csv$/i, '').toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/^[^a-z]+/, '');
  });
  form.el.append(h('h2', {}, 'Upload a CSV'),
    h('p', { class: 'hint' }, 'A header row, then one row per key; it replaces the table of that name.'),
    h('div', { class: 'grid' }, form.field('CSV file', file, '$.file'), form.field('Table name', name, '$.name'),
      form.field('Key column (optional)', key, '$.key_field')),
    progressRow, form.status, h('div', { class: 'row' }, send));
  form.el.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen || !name.value.trim()) {
      form.showProblems([...(!chosen ? [{ path: '$.file', problem: 'choose a CSV file' }] : []),
        ...(!name.value.trim() ? [{ path: '$.name', problem: 'name the table' }] : [])]);
      return;
    }
    send.disabled = true;
    progressRow.hidden = false;
    progress.value = 0;
    progressText.textContent = 'Uploading…';
    form.clearProblems();
    try {
      const table = await upload(name.value.trim(), key.value.trim(), chosen, (sent, total) => {
        const pct = total ? Math.round((sent / total) * 100) : 0;
        progress.value = pct;
        progressText.textContent = `${pct}% (${Math.round(sent / 1024)} of ${Math.round(total / 1024)} KB)`;
      });
      progress.value = 100;
      progressText.textContent = `Done: ${table.row_count} rows in ${table.name}.`;
      form.ok(`Uploaded ${table.name}: ${table.row_count} rows.`);
      file.value = '';
      await redraw();
    } catch (err) {
      progressText.textContent = 'Upload failed.';
      form.showError(err);
    } finally {
      send.disabled = false;
    }
  });
  return form.el;
}

// PUT /api/lookups/{name} with XMLHttpRequest: fetch cannot report upload progress.
function upload(name, keyField, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const query = keyField ? '?key_field=' + encodeURIComponent(keyField) : '';
    xhr.open('PUT', '/api/lookups/' + encodeURIComponent(name) + query);
    xhr.setRequestHeader('Content-Type', 'text/csv');
    xhr.setRequestHeader('Accept', 'application/json');
    if (state.csrf) xhr.setRequestHeader('X-CSRF-Token', state.csrf);
    xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (_e) { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      const body = (data && data.error) || {};
      const err = new ApiError(xhr.status, body.code || 'http_' + xhr.status, body.message || xhr.statusText);
      err.details = body;
      reject(err);
    });
    xhr.addEventListener('error', () => reject(new Error('The upload did not reach the server (network error).')));
    xhr.send(file);
  });
}
